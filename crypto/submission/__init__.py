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

from .read import (
    check_manifest_binding,
    open_submission,
    parse_part0,
)
from .schema import (
    FIELDS_BY_KIND,
    FOLLOWUP_FIELDS,
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
    REPORT_FIELDS,
    REQUIRED_FIELD,
    SIGNATURE_BYTES,
    SIGNATURE_CONTEXT,
    SUBMISSION_FORMAT,
    SUBMISSION_VERSION,
    AttachmentInfo,
    AttachmentSink,
    AttachmentSinkFactory,
    MemorySink,
    OpenedAttachment,
    OpenedSubmission,
    PartSource,
    ReporterPublic,
    SubmissionManifest,
    memory_sinks,
    verify_only_sinks,
)
from .seal import (
    attachment_info_from_sealed,
    build_manifest,
    check_fields,
    seal_submission_text_part,
)

__all__ = [
    "AttachmentInfo",
    "AttachmentSink",
    "AttachmentSinkFactory",
    "FIELDS_BY_KIND",
    "FOLLOWUP_FIELDS",
    "HASH_BYTES",
    "KEY_BYTES",
    "KIND_FOLLOWUP",
    "KIND_REPORT",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_SIZE",
    "MAX_FIELD_CHARS",
    "MAX_MANIFEST_BYTES",
    "MAX_NAME_CHARS",
    "MAX_PART0_BYTES",
    "MAX_TYPE_CHARS",
    "MemorySink",
    "OpenedAttachment",
    "OpenedSubmission",
    "PartSource",
    "REPORT_FIELDS",
    "REQUIRED_FIELD",
    "ReporterPublic",
    "SIGNATURE_BYTES",
    "SIGNATURE_CONTEXT",
    "SUBMISSION_FORMAT",
    "SUBMISSION_VERSION",
    "SubmissionManifest",
    "attachment_info_from_sealed",
    "build_manifest",
    "check_fields",
    "check_manifest_binding",
    "memory_sinks",
    "open_submission",
    "parse_part0",
    "seal_submission_text_part",
    "verify_only_sinks",
]
