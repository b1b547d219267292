"""Manifest pieces: the portal builds an export's manifest with these, never by hand."""

from collections.abc import Iterable, Mapping
from typing import Any

from ..envelope import (
    KEY_ID_BYTES,
    MAX_PARTS,
    SUBMISSION_ID_BYTES,
)
from ..errors import BundleError, CandourError
from ..identity import PublicIdentity, b64url
from ..reply import MAX_SEQ, parse_statement
from ..strict_json import is_hex
from ..submission import ReporterPublic
from .schema import BUNDLE_VERSION, MANIFEST_FORMAT, MANIFEST_VERSION

# --- names and manifest pieces (the portal builds the manifest with these) ---------------


def hex_id(value: bytes | str, byte_count: int, what: str) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).hex()
    if not is_hex(value, byte_count):
        raise BundleError(f"{what} must be {byte_count} bytes (or {2 * byte_count} lowercase hex characters)")
    return value


def member_name_for_part(case: bytes | str, submission: bytes | str, index: int) -> str:
    """`cases/<case>/<submission>/<index>.cnd` — where a part lives in the bundle."""
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < MAX_PARTS:
        raise BundleError(f"a part index is 0 to {MAX_PARTS - 1}, not {index!r}")
    return (
        f"cases/{hex_id(case, SUBMISSION_ID_BYTES, 'a case id')}/"
        f"{hex_id(submission, SUBMISSION_ID_BYTES, 'a submission id')}/{index}.cnd"
    )


def member_name_for_reply(case: bytes | str, key_id_hex: bytes | str, seq: int) -> str:
    """`cases/<case>/replies/<key id>-<seq>.cnd` — where a reply's reviewers' copy lives."""
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise BundleError(f"a reply number is 1 to {MAX_SEQ:,}, not {seq!r}")
    return (
        f"cases/{hex_id(case, SUBMISSION_ID_BYTES, 'a case id')}/replies/"
        f"{hex_id(key_id_hex, KEY_ID_BYTES, 'a key id')}-{seq}.cnd"
    )


def reviewer_entry(identity: PublicIdentity, display_name: str, role: str, required: bool) -> dict[str, Any]:
    """One entry of the manifest's `reviewers` list."""
    return {
        "key_id": identity.key_id.hex(),
        "identity": identity.to_line(),
        "display_name": display_name,
        "role": role,
        "required": bool(required),
    }


def timeline_entry(
    *,
    day: str,
    status: str,
    outcome: str | None = None,
    reason: str = "",
    by: bytes | str | None = None,
    statement: bytes | None = None,
    signature: bytes | None = None,
) -> dict[str, Any]:
    """One status change in a case's timeline; `statement`/`signature` when a signed reply made it."""
    return {
        "day": day,
        "status": status,
        "outcome": outcome,
        "reason": reason,
        "by": None if by is None else hex_id(by, KEY_ID_BYTES, "'by'"),
        "statement": None if statement is None else b64url(statement),
        "signature": None if signature is None else b64url(signature),
    }


def submission_entry(
    case: bytes | str, submission_id: bytes | str, kind: str, day: str, part_indexes: Iterable[int]
) -> dict[str, Any]:
    """One submission of a case; member names are derived, never typed."""
    submission = hex_id(submission_id, SUBMISSION_ID_BYTES, "a submission id")
    return {
        "id": submission,
        "kind": kind,
        "day": day,
        "parts": [{"index": index, "member": member_name_for_part(case, submission, index)} for index in part_indexes],
    }


def reply_entry(case: bytes | str, statement: bytes, signature: bytes) -> dict[str, Any]:
    """One reply of a case; its member name comes from the statement's reviewer key id and seq."""
    try:
        parsed = parse_statement(statement)
    except CandourError as exc:
        raise BundleError(f"a reply in the export has a malformed statement: {exc}") from exc
    return {
        "statement": b64url(statement),
        "signature": b64url(signature),
        "member": member_name_for_reply(case, parsed.reviewer_key_id, parsed.seq),
    }


def case_entry(
    *,
    case: bytes | str,
    created: str,
    status: str,
    outcome: str | None,
    sealed_on: str,
    acknowledge_by: str | None,
    feedback_by: str | None,
    recipients: Iterable[bytes | str],
    reporter: ReporterPublic,
    timeline: Iterable[Mapping[str, Any]],
    submissions: Iterable[Mapping[str, Any]],
    replies: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """One case of the manifest. `recipients` are key ids (bytes or hex)."""
    return {
        "case": hex_id(case, SUBMISSION_ID_BYTES, "a case id"),
        "created": created,
        "status": status,
        "outcome": outcome,
        "sealed_on": sealed_on,
        "acknowledge_by": acknowledge_by,
        "feedback_by": feedback_by,
        "recipients": [hex_id(key_id, KEY_ID_BYTES, "a recipient key id") for key_id in recipients],
        "reporter": reporter.to_json(),
        "timeline": [dict(entry) for entry in timeline],
        "submissions": [dict(entry) for entry in submissions],
        "replies": [dict(entry) for entry in replies],
    }


def bundle_manifest(
    *,
    reviewer_key_id: bytes | str,
    day: str,
    since: int,
    until: int,
    reviewers: Iterable[Mapping[str, Any]],
    cases: Iterable[Mapping[str, Any]],
    signed_list: Mapping[str, Any] | None = None,
    workflow: Mapping[str, Any] | None = None,
    audit: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole manifest, for `BundleWriter.finish`.

    With `workflow` and `audit` (and `signed_list`, the organisation-signed reviewer list
    exactly as loaded, or None when the instance has no organisation key) the manifest is
    version 2 (docs/format.md §10); without them, version 1.
    """
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "version": BUNDLE_VERSION,
        "reviewer_key_id": hex_id(reviewer_key_id, KEY_ID_BYTES, "the reviewer key id"),
        "day": day,
        "since": since,
        "until": until,
        "reviewers": [dict(entry) for entry in reviewers],
        "cases": [dict(entry) for entry in cases],
    }
    if workflow is None and audit is None and signed_list is None:
        return manifest
    if workflow is None or audit is None:
        raise BundleError("a version 2 manifest needs both the workflow and the audit trail's head")
    manifest["version"] = MANIFEST_VERSION
    manifest["signed_list"] = None if signed_list is None else dict(signed_list)
    manifest["workflow"] = dict(workflow)
    manifest["audit"] = dict(audit)
    return manifest


def audit_section(
    head_seq: int, head_hash: bytes | str, entries: Iterable[Mapping[str, Any]], *, truncated: bool = False
) -> dict[str, Any]:
    """The manifest's `audit` object: the head and the entries after the reviewer's previous export.

    Each entry: {"seq", "day", "actor", "action", "case_id", "details" (the stored JSON text),
    "entry_hash" (hex)}. With `truncated` the entries are left out (over 100,000 of them).
    """
    head = bytes(head_hash).hex() if isinstance(head_hash, (bytes, bytearray)) else head_hash
    section: dict[str, Any] = {"head": {"seq": head_seq, "hash": head}, "entries": [] if truncated else list(entries)}
    if truncated:
        section["truncated"] = True
    return section
