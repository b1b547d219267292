"""PNG: drop the text, Exif and time chunks while the file streams."""

from __future__ import annotations

from portal.scrub.errors import ScrubError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunk types that carry words or places: comments, author, software, XMP (iTXt),
# Exif with GPS (eXIf), and the last-modified time (tIME).
DROPPED = {
    b"tEXt": "text (tEXt)",
    b"zTXt": "compressed text (zTXt)",
    b"iTXt": "international text or XMP (iTXt)",
    b"eXIf": "Exif (eXIf)",
    b"tIME": "modification time (tIME)",
}
# The largest chunk PNG allows (2^31 - 1 bytes); anything bigger is not a PNG.
MAX_CHUNK = 0x7FFFFFFF


class PngScrubber:
    """Streaming PNG chunk filter. `feed` returns the bytes that are safe to emit now."""

    def __init__(self) -> None:
        self._pending = b""
        self._signature_seen = False
        self._copy = 0  # bytes of the current chunk (data + CRC) still to pass through
        self._skip = 0  # bytes of the current chunk still to drop
        self._ended = False  # IEND passed: everything after it is dropped
        self.removed: list[str] = []

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        buffer = self._pending + data
        position = 0
        while position < len(buffer):
            if self._copy:
                take = min(self._copy, len(buffer) - position)
                out += buffer[position : position + take]
                position += take
                self._copy -= take
                continue
            if self._skip:
                take = min(self._skip, len(buffer) - position)
                position += take
                self._skip -= take
                continue
            # The last chunk (and its CRC) has been copied: nothing after it is kept.
            if self._ended:
                if buffer[position:]:
                    self._note("data after the end of the image")
                position = len(buffer)
                break
            if not self._signature_seen:
                if len(buffer) - position < len(SIGNATURE):
                    break
                if buffer[position : position + 8] != SIGNATURE:
                    raise ScrubError("not a PNG file: the first 8 bytes are not the PNG signature")
                out += SIGNATURE
                position += 8
                self._signature_seen = True
                continue
            if len(buffer) - position < 8:
                break
            length = int.from_bytes(buffer[position : position + 4], "big")
            kind = bytes(buffer[position + 4 : position + 8])
            if length > MAX_CHUNK or not kind.isalpha():
                raise ScrubError("broken PNG: a chunk header is not valid")
            position += 8
            if kind in DROPPED:
                self._note(DROPPED[kind])
                self._skip = length + 4
            else:
                out += buffer[position - 8 : position]
                self._copy = length + 4
                if kind == b"IEND":
                    self._ended = True
        self._pending = bytes(buffer[position:])
        return bytes(out)

    def finish(self) -> bytes:
        if not self._signature_seen:
            raise ScrubError("not a PNG file: it ends before the PNG signature")
        if self._pending and not self._ended:
            raise ScrubError("broken PNG: it ends in the middle of a chunk header")
        if self._skip or self._copy:
            raise ScrubError("broken PNG: it ends in the middle of a chunk")
        self._pending = b""
        return b""

    def _note(self, what: str) -> None:
        if what not in self.removed:
            self.removed.append(what)
