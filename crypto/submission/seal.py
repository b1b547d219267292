"""Sealing a submission: attachment infos and the reporter-signed manifest in part 0."""

import io
from collections.abc import Mapping, Sequence
from typing import BinaryIO

from ..codename import ReporterKeys
from ..envelope import (
    SUBMISSION_ID_BYTES,
    Recipient,
    SealedPart,
    seal_envelope,
)
from ..errors import FormatError, LimitError
from ..identity import b64url
from ..strict_json import dumps_compact, is_day, is_hex
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
    MAX_TYPE_CHARS,
    REQUIRED_FIELD,
    SIGNATURE_CONTEXT,
    SUBMISSION_FORMAT,
    SUBMISSION_VERSION,
    AttachmentInfo,
    ReporterPublic,
)

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
