"""`Scrubber(kind)`: one object for every kind of upload, deciding by content."""

from __future__ import annotations

from typing import Protocol

from portal.scrub.jpeg import JpegScrubber
from portal.scrub.png import SIGNATURE as PNG_SIGNATURE
from portal.scrub.png import PngScrubber

KINDS = ("auto", "jpeg", "png")
# Bytes "auto" waits for before it decides (the PNG signature is the longest).
DETECT_BYTES = len(PNG_SIGNATURE)


class _Filter(Protocol):
    removed: list[str]

    def feed(self, data: bytes) -> bytes: ...

    def finish(self) -> bytes: ...


def detect_kind(head: bytes) -> str:
    """ "jpeg", "png" or "other" from a file's first bytes (its name and stated type
    are not trusted: a renamed photo keeps its GPS position)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(PNG_SIGNATURE):
        return "png"
    return "other"


class Scrubber:
    """Removes hidden data from a JPEG or PNG as it streams; passes anything else
    through untouched when the kind is "auto"."""

    def __init__(self, kind: str = "auto") -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
        self.kind = kind
        self._head = b""
        self._filter: _Filter | None = self._make(kind) if kind != "auto" else None

    @staticmethod
    def _make(kind: str) -> _Filter | None:
        if kind == "jpeg":
            return JpegScrubber()
        if kind == "png":
            return PngScrubber()
        return None

    @property
    def removed(self) -> list[str]:
        """What was taken out so far, in words for a note ("Exif (APP1)", …)."""
        return list(self._filter.removed) if self._filter is not None else []

    def feed(self, data: bytes) -> bytes:
        if self.kind == "auto":
            self._head += data
            if len(self._head) < DETECT_BYTES:
                return b""
            self._decide()
            data, self._head = self._head, b""
        if self._filter is None:
            return data
        return self._filter.feed(data)

    def finish(self) -> bytes:
        if self.kind == "auto":
            # A file shorter than the signature: too short to be either format.
            self._decide()
            head, self._head = self._head, b""
            if self._filter is None:
                return head
            return self._filter.feed(head) + self._filter.finish()
        if self._filter is None:
            return b""
        return self._filter.finish()

    def _decide(self) -> None:
        self.kind = detect_kind(self._head)
        self._filter = self._make(self.kind)
