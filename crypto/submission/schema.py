"""A submission's names, caps and parsed forms, and the sinks its attachments stream into (docs/format.md §7)."""

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from ..codename import ReporterKeys
from ..envelope import (
    MAX_PADDED_PART_SIZE,
    MAX_PARTS,
)
from ..identity import b64url
from ..strict_json import JsonReader

SUBMISSION_FORMAT = "candour-submission"
SUBMISSION_VERSION = 1
SIGNATURE_CONTEXT = b"candour/v1 submission\x00"
KIND_REPORT = "report"
KIND_FOLLOWUP = "followup"
REPORT_FIELDS = ("category", "what", "when", "where", "who", "outcome")
FOLLOWUP_FIELDS = ("message",)
FIELDS_BY_KIND = {KIND_REPORT: REPORT_FIELDS, KIND_FOLLOWUP: FOLLOWUP_FIELDS}
REQUIRED_FIELD = {KIND_REPORT: "what", KIND_FOLLOWUP: "message"}
MAX_FIELD_CHARS = 100_000
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_ATTACHMENTS = MAX_PARTS - 1  # 63: part 0 is the manifest
MAX_NAME_CHARS = 255
MAX_TYPE_CHARS = 255
MAX_ATTACHMENT_SIZE = MAX_PADDED_PART_SIZE - 1
# Part 0 holds {"signed": b64u(manifest), "signature": b64u(64)}: 4/3 of the manifest
# plus a few bytes. A bigger part 0 is refused while it is being decrypted.
MAX_PART0_BYTES = (MAX_MANIFEST_BYTES * 4 + 2) // 3 + 256
HASH_BYTES = 32
KEY_BYTES = 32
SIGNATURE_BYTES = 64

_manifest_json = JsonReader("the submission's manifest")
_part0_json = JsonReader("the submission's part 0")


@dataclass(frozen=True)
class AttachmentInfo:
    """One attachment as the signed manifest lists it. `name` is untrusted: make it safe before use."""

    part: int
    name: str
    type: str
    size: int
    header_hash: bytes


@dataclass(frozen=True)
class ReporterPublic:
    """The reporter's public keys from a signed report: replies are sealed to `reply_key`."""

    reply_key: bytes
    sign_key: bytes

    @classmethod
    def from_keys(cls, keys: ReporterKeys) -> "ReporterPublic":
        """The public half of keys derived from a codename."""
        return cls(reply_key=keys.reply_public_key, sign_key=keys.sign_public_key)

    def to_json(self) -> dict[str, str]:
        """The `{"reply_key", "sign_key"}` object used in manifests and bundles."""
        return {"reply_key": b64url(self.reply_key), "sign_key": b64url(self.sign_key)}


@dataclass(frozen=True)
class SubmissionManifest:
    """Part 0's manifest after its signature verified (bindings not yet checked)."""

    kind: str
    case: str
    submission: str
    day: str
    reporter: ReporterPublic
    fields: dict[str, str]
    attachments: tuple[AttachmentInfo, ...]
    signed_bytes: bytes
    signature: bytes


@dataclass(frozen=True)
class OpenedAttachment:
    """An attachment that verified; `location` is what its sink's `commit()` returned."""

    info: AttachmentInfo
    location: Any


@dataclass(frozen=True)
class OpenedSubmission:
    """A submission whose signature and every §7 binding verified."""

    kind: str
    case: str
    submission: str
    day: str
    fields: dict[str, str]
    reporter: ReporterPublic
    attachments: tuple[OpenedAttachment, ...]
    manifest_bytes: bytes
    signature: bytes
    # Key ids of part 0's recipient stanzas: authenticated by its header MAC, so these
    # are the reviewers the reporter's device (or the sealing server) chose.
    recipient_key_ids: tuple[bytes, ...] = ()

    @property
    def reply_key(self) -> bytes:
        """The reporter's X25519 reply key, from the signed manifest."""
        return self.reporter.reply_key

    @property
    def sign_key(self) -> bytes:
        """The reporter's Ed25519 key, from the signed manifest."""
        return self.reporter.sign_key


class AttachmentSink(Protocol):
    """Where one attachment's plaintext goes while it is being verified.

    `write` receives plaintext only as chunks authenticate. `commit` is called once,
    after the whole submission verified, and returns where the file now is (a path, a
    bytes object…). `discard` is called instead on any failure and must remove
    everything written (a file sink deletes its temporary file).
    """

    def write(self, data: bytes) -> object: ...

    def commit(self) -> Any: ...

    def discard(self) -> None: ...


class MemorySink:
    """An `AttachmentSink` that keeps the plaintext in memory; `commit()` returns the bytes.

    For tests and small files; a case-folder writer supplies a temporary-file sink.
    """

    def __init__(self) -> None:
        self._buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self._buffer.write(data)

    def commit(self) -> bytes:
        return self._buffer.getvalue()

    def discard(self) -> None:
        self._buffer = io.BytesIO()


class _VerifyOnlySink:
    """Counts bytes and forgets them: attachments verified without being kept."""

    def write(self, data: bytes) -> int:
        return len(data)

    def commit(self) -> None:
        return None

    def discard(self) -> None:
        return None


AttachmentSinkFactory = Callable[[AttachmentInfo], AttachmentSink]
"""Given the signed description of an attachment, return a fresh sink for its plaintext."""

PartSource = bytes | bytearray | os.PathLike[str] | Callable[[], BinaryIO]
"""An envelope: its bytes, a file path, or a callable returning a fresh readable stream."""


def memory_sinks(info: AttachmentInfo) -> MemorySink:
    """An `AttachmentSinkFactory` that keeps every attachment in memory."""
    return MemorySink()


def verify_only_sinks(info: AttachmentInfo) -> AttachmentSink:
    """An `AttachmentSinkFactory` that checks attachments and keeps nothing."""
    return _VerifyOnlySink()
