"""JPEG: drop the metadata segments while the file streams, keep every image byte."""

from __future__ import annotations

from portal.scrub.errors import ScrubError

SOI = 0xD8
EOI = 0xD9
SOS = 0xDA
# Markers that stand alone (no length field): TEM and the restart markers.
STANDALONE = {0x01, *range(0xD0, 0xD8)}
APP0, APP1, APP2, APP13, APP14, COM = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE
MPF_ID = b"MPF\x00"


def _dropped_name(marker: int, start: bytes) -> str | None:
    """Why a segment is dropped (its name for the note), or None to keep it."""
    if marker == APP1:
        if start.startswith(b"Exif\x00"):
            return "Exif (APP1)"
        if start.startswith(b"http://ns.adobe.com/"):
            return "XMP (APP1)"
        return "application data (APP1)"
    if marker == APP13:
        return "IPTC / Photoshop data (APP13)"
    if marker == COM:
        return "comment (COM)"
    if marker == APP2:
        # ICC colour profiles stay (colours depend on them); the multi-picture
        # index goes, with the extra pictures after EOI that it points to.
        return "multi-picture index (APP2)" if start.startswith(MPF_ID) else None
    if 0xE3 <= marker <= 0xEF and marker != APP14:
        return f"application data (APP{marker - APP0})"
    return None


class JpegScrubber:
    """Streaming JPEG segment filter. `feed` returns the bytes that are safe to emit now."""

    def __init__(self) -> None:
        self._pending = b""
        self._started = False
        self._in_scan = False  # inside entropy-coded data after SOS
        self._copy = 0
        self._skip = 0
        self._ended = False
        self.removed: list[str] = []

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        buffer = self._pending + data
        position = 0
        end = len(buffer)
        while position < end:
            if self._copy:
                take = min(self._copy, end - position)
                out += buffer[position : position + take]
                position += take
                self._copy -= take
                continue
            if self._skip:
                take = min(self._skip, end - position)
                position += take
                self._skip -= take
                continue
            if self._ended:
                self._note("data after the end of the image")
                position = end
                break
            if not self._started:
                if end - position < 2:
                    break
                if buffer[position] != 0xFF or buffer[position + 1] != SOI:
                    raise ScrubError("not a JPEG file: it does not start with the start-of-image marker")
                out += buffer[position : position + 2]
                position += 2
                self._started = True
                continue
            if self._in_scan:
                # Copy entropy-coded data up to the next real marker: FF 00 is a
                # stuffed byte and FF D0-D7 a restart marker, both part of the scan.
                found = buffer.find(b"\xff", position)
                if found == -1:
                    out += buffer[position:end]
                    position = end
                    break
                if found + 1 >= end:
                    out += buffer[position:found]
                    position = found
                    break
                following = buffer[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    out += buffer[position : found + 2]
                    position = found + 2
                    continue
                if following == 0xFF:
                    # Fill byte before a marker: emit it and look again from the next FF.
                    out += buffer[position : found + 1]
                    position = found + 1
                    continue
                out += buffer[position:found]
                position = found
                self._in_scan = False
                continue
            # Between segments: FF, optional FF fill bytes, marker, then length.
            if buffer[position] != 0xFF:
                raise ScrubError("broken JPEG: expected a marker between segments")
            if end - position < 2:
                break
            marker = buffer[position + 1]
            if marker == 0xFF:
                position += 1  # fill byte: dropped, the marker follows
                continue
            if marker == EOI:
                out += buffer[position : position + 2]
                position += 2
                self._ended = True
                continue
            if marker in STANDALONE:
                out += buffer[position : position + 2]
                position += 2
                continue
            if marker == SOI or marker == 0x00:
                raise ScrubError("broken JPEG: an unexpected marker between segments")
            if end - position < 4:
                break
            length = int.from_bytes(buffer[position + 2 : position + 4], "big")
            if length < 2:
                raise ScrubError("broken JPEG: a segment length is too short")
            payload = length - 2
            # Enough of the payload to tell Exif from XMP, MPF from ICC.
            peek = min(payload, 32)
            if end - position < 4 + peek:
                break
            name = _dropped_name(marker, bytes(buffer[position + 4 : position + 4 + peek]))
            if name is not None:
                self._note(name)
                position += 4
                self._skip = payload
                continue
            out += buffer[position : position + 4]
            position += 4
            self._copy = payload
            if marker == SOS:
                self._in_scan = True
        self._pending = bytes(buffer[position:])
        return bytes(out)

    def finish(self) -> bytes:
        if not self._started:
            raise ScrubError("not a JPEG file: it ends before the start-of-image marker")
        if self._skip or (self._copy and not self._ended):
            raise ScrubError("broken JPEG: it ends in the middle of a segment")
        # A JPEG cut off in its picture data (no end-of-image marker) still shows what
        # it has; its remaining bytes are picture data, not metadata.
        rest = self._pending if self._in_scan else b""
        if self._pending and not self._in_scan and not self._ended:
            raise ScrubError("broken JPEG: it ends in the middle of a segment header")
        self._pending = b""
        return rest

    def _note(self, what: str) -> None:
        if what not in self.removed:
            self.removed.append(what)
