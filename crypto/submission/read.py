"""Opening a submission: part 0's signature and every binding of §7, then the attachments, all or nothing."""

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO, cast

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from ..envelope import (
    SUBMISSION_ID_BYTES,
    EnvelopeHeader,
    Opener,
    open_envelope,
    read_header,
)
from ..errors import BindingError, LimitError, SignatureError
from .schema import (
    FIELDS_BY_KIND,
    HASH_BYTES,
    KEY_BYTES,
    KIND_FOLLOWUP,
    KIND_REPORT,
    MAX_ATTACHMENT_SIZE,
    MAX_ATTACHMENTS,
    MAX_FIELD_CHARS,
    MAX_MANIFEST_BYTES,
    MAX_NAME_CHARS,
    MAX_PART0_BYTES,
    MAX_TYPE_CHARS,
    REQUIRED_FIELD,
    SIGNATURE_BYTES,
    SIGNATURE_CONTEXT,
    SUBMISSION_FORMAT,
    SUBMISSION_VERSION,
    AttachmentInfo,
    AttachmentSink,
    AttachmentSinkFactory,
    OpenedAttachment,
    OpenedSubmission,
    PartSource,
    ReporterPublic,
    SubmissionManifest,
    _manifest_json,
    _part0_json,
    memory_sinks,
)

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
