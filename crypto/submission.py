"""Submissions (reports and follow-ups): the signed manifest in part 0 and its reader.

docs/format.md §7. A submission is part 0 — the reporter-signed manifest with the
text fields — and parts 1..n, one attachment each. Attachments are sealed first (a
server sealing a streamed upload learns their hashes only at the end); part 0 then
commits to each of them by header hash.

Sealing side:  seal each attachment with `crypto.envelope.EnvelopeSealer` (part
1..n), turn each `SealedPart` into an `AttachmentInfo` with
`attachment_info_from_sealed`, then call `seal_submission_text_part`.

Reading side:  `open_submission` opens part 0, checks the signature and every binding
of §7, streams each attachment to a sink the caller supplies, and commits the sinks
only when the whole submission has verified (all or nothing).
"""

import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from .codename import ReporterKeys
from .envelope import (
    MAX_PADDED_PART_SIZE,
    MAX_PARTS,
    SUBMISSION_ID_BYTES,
    EnvelopeHeader,
    Opener,
    Recipient,
    SealedPart,
    open_envelope,
    read_header,
    seal_envelope,
)
from .errors import BindingError, FormatError, LimitError, SignatureError
from .identity import b64url
from .strict_json import JsonReader, dumps_compact, is_day, is_hex

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


# --- sealing ------------------------------------------------------------------------


def attachment_info_from_sealed(sealed_part: SealedPart, name: str, type: str) -> AttachmentInfo:
    """Describe an attachment sealed with `EnvelopeSealer` for the manifest of part 0.

    Raises `FormatError`/`LimitError` if the name or type is unusable or the part is
    part 0.
    """
    info = AttachmentInfo(
        part=sealed_part.part_index,
        name=name,
        type=type,
        size=sealed_part.plaintext_size,
        header_hash=sealed_part.header_hash,
    )
    _check_attachment_info(info)
    return info


def _check_attachment_info(info: AttachmentInfo) -> None:
    if not isinstance(info.part, int) or isinstance(info.part, bool) or not 1 <= info.part <= MAX_ATTACHMENTS:
        raise LimitError(f"an attachment is part 1 to {MAX_ATTACHMENTS}, not {info.part!r}")
    if not isinstance(info.name, str) or not isinstance(info.type, str):
        raise FormatError("an attachment's name and type must be strings")
    if len(info.name) > MAX_NAME_CHARS:
        raise LimitError(f"an attachment's name is at most {MAX_NAME_CHARS} characters; this one has {len(info.name)}")
    if len(info.type) > MAX_TYPE_CHARS:
        raise LimitError(f"an attachment's type is at most {MAX_TYPE_CHARS} characters")
    if not isinstance(info.size, int) or isinstance(info.size, bool) or not 0 <= info.size <= MAX_ATTACHMENT_SIZE:
        raise LimitError(f"an attachment's size {info.size!r} is outside what the format allows")
    if not isinstance(info.header_hash, bytes) or len(info.header_hash) != HASH_BYTES:
        raise FormatError("an attachment's header hash must be 32 bytes")
    for text in (info.name, info.type):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FormatError("an attachment's name or type is not valid Unicode") from exc


def check_fields(kind: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Check a submission's text fields for `kind` and return them complete, in format order.

    A report's missing optional fields become empty strings (the manifest always
    carries all six); `what` (report) and `message` (follow-up) must be non-empty.
    Raises `FormatError` for an unknown kind or field, `LimitError` for a field over
    100,000 characters.
    """
    if kind not in FIELDS_BY_KIND:
        raise FormatError(f"a submission is a '{KIND_REPORT}' or a '{KIND_FOLLOWUP}', not {kind!r}")
    allowed = FIELDS_BY_KIND[kind]
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise FormatError(f"a {kind} has no field '{unknown[0]}' (its fields are {', '.join(allowed)})")
    complete: dict[str, str] = {}
    for name in allowed:
        value = fields.get(name, "")
        if not isinstance(value, str):
            raise FormatError(f"the field '{name}' must be text")
        if len(value) > MAX_FIELD_CHARS:
            raise LimitError(
                f"the field '{name}' has {len(value):,} characters; at most {MAX_FIELD_CHARS:,} are allowed"
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FormatError(f"the field '{name}' is not valid Unicode") from exc
        complete[name] = value
    required = REQUIRED_FIELD[kind]
    if not complete[required]:
        raise FormatError(f"a {kind} needs its '{required}' field filled in")
    return complete


def build_manifest(
    submission_id: bytes,
    kind: str,
    case_id: str | None,
    day: str,
    reporter: ReporterPublic,
    fields: Mapping[str, str],
    attachments: Sequence[AttachmentInfo],
) -> bytes:
    """The manifest JSON bytes that part 0 signs (§7), after every check; no cryptography.

    `case_id` may be None for a report (it is then `hex(submission_id)`); a follow-up
    names its report's case. Raises `FormatError`/`LimitError`.
    """
    if not isinstance(submission_id, bytes) or len(submission_id) != SUBMISSION_ID_BYTES:
        raise FormatError(f"a submission id is {SUBMISSION_ID_BYTES} bytes")
    complete_fields = check_fields(kind, fields)
    submission_hex = submission_id.hex()
    if kind == KIND_REPORT:
        if case_id is not None and case_id != submission_hex:
            raise FormatError("a report's case id is its submission id; pass case_id=None or the same value")
        case_id = submission_hex
    elif not is_hex(case_id, SUBMISSION_ID_BYTES):
        raise FormatError("a follow-up must name its case (32 lowercase hex characters)")
    if case_id == submission_hex and kind == KIND_FOLLOWUP:
        raise FormatError("a follow-up needs a fresh submission id, not the case id")
    if not is_day(day):
        raise FormatError(f"the day must be written YYYY-MM-DD, not {day!r}")
    if len(reporter.reply_key) != KEY_BYTES or len(reporter.sign_key) != KEY_BYTES:
        raise FormatError("the reporter's keys must be 32 bytes each")
    if len(attachments) > MAX_ATTACHMENTS:
        raise LimitError(f"a submission has at most {MAX_ATTACHMENTS} attachments; this one has {len(attachments)}")
    for position, info in enumerate(attachments, start=1):
        _check_attachment_info(info)
        if info.part != position:
            raise FormatError(f"attachments must be parts 1..n in order; entry {position} is part {info.part}")
    manifest = {
        "format": SUBMISSION_FORMAT,
        "version": SUBMISSION_VERSION,
        "kind": kind,
        "case": case_id,
        "submission": submission_hex,
        "day": day,
        "reporter": reporter.to_json(),
        "fields": complete_fields,
        "attachments": [
            {
                "part": info.part,
                "name": info.name,
                "type": info.type,
                "size": info.size,
                "header_hash": b64url(info.header_hash),
            }
            for info in attachments
        ],
    }
    encoded = dumps_compact(manifest)
    if len(encoded) > MAX_MANIFEST_BYTES:
        raise LimitError(
            f"the submission's text is {len(encoded):,} bytes once encoded; at most {MAX_MANIFEST_BYTES:,} "
            "fit in one submission: move long text into an attached file"
        )
    return encoded


def seal_submission_text_part(
    sink: BinaryIO,
    recipients: Sequence[Recipient],
    submission_id: bytes,
    kind: str,
    case_id: str | None,
    day: str,
    reporter_keys: ReporterKeys,
    fields: Mapping[str, str],
    attachments: Sequence[AttachmentInfo],
) -> SealedPart:
    """Build, sign and seal part 0 of a submission to `recipients`, writing it to `sink`.

    Every check (kind, fields, caps, attachment list) runs before any cryptography and
    raises `FormatError`/`LimitError`. The manifest is signed with the reporter's key
    over `"candour/v1 submission\\0" ‖ manifest` and wrapped as
    `{"signed": b64u(manifest), "signature": b64u(sig)}`.
    """
    manifest = build_manifest(
        submission_id, kind, case_id, day, ReporterPublic.from_keys(reporter_keys), fields, attachments
    )
    signature = reporter_keys.signing_key.sign(SIGNATURE_CONTEXT + manifest).signature
    plaintext = dumps_compact({"signed": b64url(manifest), "signature": b64url(signature)})
    return seal_envelope(io.BytesIO(plaintext), sink, recipients, submission_id, 0)


# --- reading ------------------------------------------------------------------------


class _BoundedBuffer:
    """Collects part 0's plaintext and refuses to grow past the cap (no memory blow-up)."""

    def __init__(self, limit: int) -> None:
        self._buffer = bytearray()
        self._limit = limit

    def write(self, data: bytes) -> int:
        if len(self._buffer) + len(data) > self._limit:
            raise LimitError(f"the submission's part 0 is larger than the {self._limit:,} bytes the format allows")
        self._buffer += data
        return len(data)

    def getvalue(self) -> bytes:
        return bytes(self._buffer)


class _CountingSink:
    """Passes plaintext to the caller's sink and stops as soon as it exceeds the signed size."""

    def __init__(self, inner: AttachmentSink, info: AttachmentInfo) -> None:
        self._inner = inner
        self._info = info
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        if self.written > self._info.size:
            raise BindingError(
                f"attachment part {self._info.part} is larger than the {self._info.size:,} bytes its manifest "
                "lists: it is not the file the reporter signed"
            )
        self._inner.write(data)
        return len(data)


class _HeaderThenRest:
    """A stream that replays an already-read header, then continues with the source.

    Lets us check the header against the signed manifest before handing the whole
    envelope to `open_envelope`, without seeking (bundle members may not seek).
    """

    def __init__(self, header: EnvelopeHeader, rest: BinaryIO) -> None:
        self._head = memoryview(header.raw)
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head.nbytes:
            if size < 0 or size >= self._head.nbytes:
                head, self._head = bytes(self._head), memoryview(b"")
                more = self._rest.read(-1 if size < 0 else size - len(head))
                return head + more
            head, self._head = bytes(self._head[:size]), self._head[size:]
            return head
        return self._rest.read(size)


def _open_source(source: PartSource) -> BinaryIO:
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source))
    if isinstance(source, os.PathLike):
        return open(Path(source), "rb")
    return source()


def parse_part0(plaintext: bytes) -> SubmissionManifest:
    """Parse part 0's plaintext, check the manifest strictly and verify the reporter's signature.

    Raises `FormatError`/`LimitError` for a malformed manifest and `SignatureError` when
    the signature does not verify with the manifest's `reporter.sign_key`. Bindings to
    the envelope and the case are checked by `open_submission`.
    """
    wrapper = _part0_json.obj(_part0_json.loads(plaintext, MAX_PART0_BYTES), "part 0", ("signed", "signature"))
    signed = _part0_json.raw(wrapper["signed"], "'signed'", max_bytes=MAX_MANIFEST_BYTES)
    signature = _part0_json.raw(wrapper["signature"], "'signature'", byte_count=SIGNATURE_BYTES)
    manifest = _parse_manifest(signed, signature)
    try:
        VerifyKey(manifest.reporter.sign_key).verify(SIGNATURE_CONTEXT + signed, signature)
    except (BadSignatureError, CryptoError, ValueError) as exc:
        raise SignatureError(
            "the submission's signature does not verify: its text was altered after the reporter sent it"
        ) from exc
    return manifest


def _parse_manifest(signed: bytes, signature: bytes) -> SubmissionManifest:
    reader = _manifest_json
    document = reader.obj(
        reader.loads(signed, MAX_MANIFEST_BYTES),
        "the manifest",
        ("format", "version", "kind", "case", "submission", "day", "reporter", "fields", "attachments"),
    )
    reader.header(document, "the manifest", SUBMISSION_FORMAT, SUBMISSION_VERSION)
    kind = document["kind"]
    # The type first: a list or object cannot be looked up in a dict (TypeError).
    if not isinstance(kind, str) or kind not in FIELDS_BY_KIND:
        raise reader.fail(f"'kind' must be '{KIND_REPORT}' or '{KIND_FOLLOWUP}', not {kind!r}")
    case = reader.hex_id(document["case"], "'case'", SUBMISSION_ID_BYTES)
    submission = reader.hex_id(document["submission"], "'submission'", SUBMISSION_ID_BYTES)
    day = reader.day(document["day"], "'day'")
    reporter_json = reader.obj(document["reporter"], "'reporter'", ("reply_key", "sign_key"))
    reporter = ReporterPublic(
        reply_key=reader.raw(reporter_json["reply_key"], "'reporter.reply_key'", byte_count=KEY_BYTES),
        sign_key=reader.raw(reporter_json["sign_key"], "'reporter.sign_key'", byte_count=KEY_BYTES),
    )
    names = FIELDS_BY_KIND[kind]
    fields_json = reader.obj(document["fields"], "'fields'", names)
    fields = {
        name: reader.text(
            fields_json[name], f"the field '{name}'", MAX_FIELD_CHARS, non_empty=name == REQUIRED_FIELD[kind]
        )
        for name in names
    }
    attachments = []
    for position, entry in enumerate(reader.list(document["attachments"], "'attachments'", MAX_ATTACHMENTS), start=1):
        where = f"attachment {position}"
        entry = reader.obj(entry, where, ("part", "name", "type", "size", "header_hash"))
        part = reader.integer(entry["part"], f"{where}'s part", 1, MAX_ATTACHMENTS)
        if part != position:
            raise reader.fail(f"attachments must be parts 1..n in order; entry {position} is part {part}")
        attachments.append(
            AttachmentInfo(
                part=part,
                name=reader.text(entry["name"], f"{where}'s name", MAX_NAME_CHARS),
                type=reader.text(entry["type"], f"{where}'s type", MAX_TYPE_CHARS),
                size=reader.integer(entry["size"], f"{where}'s size", 0, MAX_ATTACHMENT_SIZE),
                header_hash=reader.raw(entry["header_hash"], f"{where}'s header_hash", byte_count=HASH_BYTES),
            )
        )
    return SubmissionManifest(
        kind=kind,
        case=case,
        submission=submission,
        day=day,
        reporter=reporter,
        fields=fields,
        attachments=tuple(attachments),
        signed_bytes=signed,
        signature=signature,
    )


def check_manifest_binding(
    manifest: SubmissionManifest,
    envelope_submission_id: bytes,
    expected_case: str | None,
    expected_reporter: ReporterPublic | None,
) -> None:
    """Check §7's bindings of a verified manifest to its envelope, case and reporter.

    `expected_case` is the case the caller is reading (required for a follow-up);
    `expected_reporter` the keys from the case's own signed report (required for a
    follow-up, optional for a report). Raises `BindingError`.
    """
    if manifest.submission != envelope_submission_id.hex():
        raise BindingError(
            f"the signed manifest names submission {manifest.submission} but its envelope is "
            f"{envelope_submission_id.hex()}: part 0 was moved from another submission"
        )
    if manifest.kind == KIND_REPORT and manifest.case != manifest.submission:
        raise BindingError("a report's case id must be its submission id; this one names another case")
    if manifest.kind == KIND_FOLLOWUP and manifest.case == manifest.submission:
        raise BindingError("a follow-up cannot reuse its case id as its own submission id")
    if expected_case is None and manifest.kind == KIND_FOLLOWUP:
        raise BindingError("a follow-up can only be verified against its case: pass expected_case")
    if expected_case is not None and manifest.case != expected_case:
        raise BindingError(
            f"this submission belongs to case {manifest.case}, not to case {expected_case}: it was moved between cases"
        )
    if expected_reporter is None and manifest.kind == KIND_FOLLOWUP:
        raise BindingError(
            "a follow-up can only be verified against the reporter keys of its case's report: open the report first"
        )
    if expected_reporter is not None and manifest.reporter != expected_reporter:
        raise BindingError(
            f"this {manifest.kind} was signed by a different codename than the case's report: "
            "it was not written by the same reporter"
        )


def open_submission(
    parts: Mapping[int, PartSource],
    keys: Opener,
    *,
    expected_case: str | None = None,
    expected_reporter: ReporterPublic | None = None,
    attachment_sink_factory: AttachmentSinkFactory | None = None,
) -> OpenedSubmission:
    """Open and verify a whole submission: part 0 in memory, attachments streamed to sinks.

    `parts` maps each part index to its envelope (bytes, a path, or a callable
    returning a fresh readable stream — e.g. `lambda: bundle.open_member(name)`).
    `keys` is the reader's `ReviewerKeys`. For a follow-up both `expected_case` and
    `expected_reporter` (from the case's report) are required.

    `attachment_sink_factory(info)` returns a sink per attachment (see
    `AttachmentSink`); None keeps attachments in memory (`location` is the bytes). All
    sinks are committed only after every check has passed; on any failure every sink
    is discarded and the error is raised, so nothing unverified is left behind.

    Raises the envelope errors (`NotARecipientError`, `HeaderMacError`,
    `PayloadError`…), `FormatError`/`LimitError` for a malformed manifest,
    `SignatureError` for a bad reporter signature and `BindingError` when any part,
    hash, size, case or reporter does not match (§7).
    """
    if 0 not in parts:
        raise BindingError("the submission has no part 0 (its manifest): it is incomplete")
    manifest, envelope_submission_id, recipient_key_ids = _open_part0(parts[0], keys)
    check_manifest_binding(manifest, envelope_submission_id, expected_case, expected_reporter)
    listed = {info.part for info in manifest.attachments}
    present = set(parts) - {0}
    missing = sorted(listed - present)
    if missing:
        raise BindingError(f"attachment part {missing[0]} listed in the signed manifest is missing")
    extra = sorted(present - listed)
    if extra:
        raise BindingError(
            f"part {extra[0]} is not listed in the reporter's signed manifest: it was added to the submission"
        )

    factory = attachment_sink_factory or memory_sinks
    opened_sinks: list[tuple[AttachmentInfo, AttachmentSink]] = []
    try:
        for info in manifest.attachments:
            sink = factory(info)
            opened_sinks.append((info, sink))
            _open_attachment(parts[info.part], keys, info, envelope_submission_id, sink)
    except BaseException:
        for _, sink in opened_sinks:
            sink.discard()
        raise
    committed = []
    try:
        for info, sink in opened_sinks:
            committed.append(OpenedAttachment(info=info, location=sink.commit()))
    except BaseException:
        # A commit failed (disk full…): drop what was not yet committed; the caller gets the error.
        for _, sink in opened_sinks[len(committed) :]:
            sink.discard()
        raise
    return OpenedSubmission(
        kind=manifest.kind,
        case=manifest.case,
        submission=manifest.submission,
        day=manifest.day,
        fields=dict(manifest.fields),
        reporter=manifest.reporter,
        attachments=tuple(committed),
        manifest_bytes=manifest.signed_bytes,
        signature=manifest.signature,
        recipient_key_ids=recipient_key_ids,
    )


def _open_part0(source: PartSource, keys: Opener) -> tuple[SubmissionManifest, bytes, tuple[bytes, ...]]:
    stream = _open_source(source)
    buffer = _BoundedBuffer(MAX_PART0_BYTES)
    try:
        # open_envelope only calls write() on its sink and read() on its source.
        opened = open_envelope(stream, cast(BinaryIO, buffer), keys)
    finally:
        stream.close()
    if opened.part_index != 0:
        raise BindingError(f"the envelope given as part 0 is part {opened.part_index}")
    return parse_part0(buffer.getvalue()), opened.submission_id, opened.recipient_key_ids


def _open_attachment(
    source: PartSource,
    keys: Opener,
    info: AttachmentInfo,
    submission_id: bytes,
    sink: AttachmentSink,
) -> None:
    stream = _open_source(source)
    try:
        # The header is checked against the signed manifest before any payload is decrypted.
        header = read_header(stream)
        if header.submission_id != submission_id:
            raise BindingError(
                f"attachment part {info.part} belongs to submission {header.submission_id.hex()}, "
                f"not {submission_id.hex()}: it was grafted from another submission"
            )
        if header.part_index != info.part:
            raise BindingError(f"the envelope given as part {info.part} says it is part {header.part_index}")
        if header.header_hash != info.header_hash:
            raise BindingError(
                f"attachment part {info.part}'s header does not match the hash the reporter signed: "
                "it was replaced or re-sealed"
            )
        counter = _CountingSink(sink, info)
        open_envelope(cast(BinaryIO, _HeaderThenRest(header, stream)), cast(BinaryIO, counter), keys)
    finally:
        stream.close()
    if counter.written != info.size:
        raise BindingError(
            f"attachment part {info.part} opened to {counter.written:,} bytes, but the reporter signed "
            f"{info.size:,}: it is not the file the reporter sent"
        )
