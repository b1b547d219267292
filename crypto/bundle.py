"""The export bundle that carries cases from the server to the air-gapped machine (§10).

A ZIP archive, every member stored (no compression: ciphertext does not compress,
and refusing compressed members rules out decompression bombs):

    bundle.json                                   cleartext: format, reviewer key id, day
    manifest.cnd                                  the manifest, sealed to the exporting reviewer
    cases/<case>/<submission>/<part>.cnd          the parts, as stored
    cases/<case>/replies/<key id>-<seq>.cnd       the reviewers' copies of replies

The server writes with `BundleWriter` and builds the manifest with the helpers below
(`bundle_manifest`, `case_entry`, `timeline_entry`, `submission_entry`,
`reply_entry`, `reviewer_entry`) so it never hand-crafts JSON. The reviewer tool reads
with `open_bundle`, which checks everything structural before handing out members.

The manifest's cleartext facts are what the server says; only signed objects (the
report's own manifest, reviewers' reply statements) are trusted by the case-folder
writer.
"""

import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from .audit_chain import AuditTrail, parse_audit
from .envelope import (
    KEY_ID_BYTES,
    MAX_PARTS,
    MAX_STANZAS,
    SUBMISSION_ID_BYTES,
    Opener,
    new_submission_id,
    open_envelope,
    seal_bytes,
)
from .errors import BundleError, CandourError, IdentityError
from .identity import PublicIdentity, b64url, parse_public_identity
from .org import SignedReviewerList, verify_reviewer_list
from .reply import MAX_REASON_CHARS, MAX_SEQ, MAX_STATEMENT_BYTES, MAX_STATUS_CHARS, SIGNATURE_BYTES, parse_statement
from .strict_json import JsonReader, dumps_compact, is_day, is_hex
from .submission import KIND_FOLLOWUP, KIND_REPORT, ReporterPublic
from .workflow import Workflow, parse_workflow

BUNDLE_FORMAT = "candour-bundle"
MANIFEST_FORMAT = "candour-bundle-manifest"
BUNDLE_VERSION = 1  # bundle.json
# Manifest v2 adds "signed_list", "workflow" and "audit"; v1 (without them) is still read.
MANIFEST_VERSION = 2
MANIFEST_VERSIONS = (1, 2)
BUNDLE_JSON = "bundle.json"
MANIFEST_MEMBER = "manifest.cnd"
MAX_CASES = 100_000
MAX_SUBMISSIONS_PER_CASE = 10_000
MAX_REPLIES_PER_CASE = 10_000
MAX_TIMELINE_PER_CASE = 10_000
MAX_REVIEWERS = 1_000
MAX_DISPLAY_CHARS = 200  # display names and roles
MAX_COUNTER = (1 << 63) - 1
MAX_BUNDLE_JSON_BYTES = 4096
MAX_MANIFEST_BYTES = 512 * 1024 * 1024
SEALED_ON = ("browser", "server")
COPY_BLOCK = 1024 * 1024

MEMBER_NAME = re.compile(
    r"cases/(?P<case>[0-9a-f]{32})/"
    r"(?:(?P<submission>[0-9a-f]{32})/(?P<index>[0-9]|[1-5][0-9]|6[0-3])"
    r"|replies/(?P<key_id>[0-9a-f]{16})-(?P<seq>[1-9][0-9]{0,8}))\.cnd"
)

_bundle_json = JsonReader("bundle.json", error=BundleError, limit_error=BundleError)
_manifest_json = JsonReader("the bundle's manifest", error=BundleError, limit_error=BundleError)


# --- names and manifest pieces (the portal builds the manifest with these) ---------------


def _hex_id(value: bytes | str, byte_count: int, what: str) -> str:
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
        f"cases/{_hex_id(case, SUBMISSION_ID_BYTES, 'a case id')}/"
        f"{_hex_id(submission, SUBMISSION_ID_BYTES, 'a submission id')}/{index}.cnd"
    )


def member_name_for_reply(case: bytes | str, key_id_hex: bytes | str, seq: int) -> str:
    """`cases/<case>/replies/<key id>-<seq>.cnd` — where a reply's reviewers' copy lives."""
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise BundleError(f"a reply number is 1 to {MAX_SEQ:,}, not {seq!r}")
    return (
        f"cases/{_hex_id(case, SUBMISSION_ID_BYTES, 'a case id')}/replies/"
        f"{_hex_id(key_id_hex, KEY_ID_BYTES, 'a key id')}-{seq}.cnd"
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
        "by": None if by is None else _hex_id(by, KEY_ID_BYTES, "'by'"),
        "statement": None if statement is None else b64url(statement),
        "signature": None if signature is None else b64url(signature),
    }


def submission_entry(
    case: bytes | str, submission_id: bytes | str, kind: str, day: str, part_indexes: Iterable[int]
) -> dict[str, Any]:
    """One submission of a case; member names are derived, never typed."""
    submission = _hex_id(submission_id, SUBMISSION_ID_BYTES, "a submission id")
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
        "case": _hex_id(case, SUBMISSION_ID_BYTES, "a case id"),
        "created": created,
        "status": status,
        "outcome": outcome,
        "sealed_on": sealed_on,
        "acknowledge_by": acknowledge_by,
        "feedback_by": feedback_by,
        "recipients": [_hex_id(key_id, KEY_ID_BYTES, "a recipient key id") for key_id in recipients],
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
        "reviewer_key_id": _hex_id(reviewer_key_id, KEY_ID_BYTES, "the reviewer key id"),
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


# --- what a reader gets ------------------------------------------------------------------


@dataclass(frozen=True)
class BundleReviewer:
    """A reviewer the server lists (its identity's self-signature checked, nothing more)."""

    key_id: bytes
    identity: PublicIdentity
    display_name: str
    role: str
    required: bool


@dataclass(frozen=True)
class TimelineEntry:
    """A status change as the server reports it; `statement`/`signature` if a reply carried it."""

    day: str
    status: str
    outcome: str | None
    reason: str
    by: bytes | None
    statement: bytes | None
    signature: bytes | None


@dataclass(frozen=True)
class BundlePart:
    """One part of a submission and the member holding it."""

    index: int
    member: str


@dataclass(frozen=True)
class BundleSubmission:
    """A submission as the manifest lists it; open it with `open_submission(bundle.part_sources(s), …)`."""

    id: str
    kind: str
    day: str
    parts: tuple[BundlePart, ...]

    @property
    def members_by_index(self) -> dict[int, str]:
        """`{part index: member name}`."""
        return {part.index: part.member for part in self.parts}


@dataclass(frozen=True)
class BundleReply:
    """A reply's signed statement and where its reviewers' copy is. Verify before trusting."""

    statement: bytes
    signature: bytes
    member: str


@dataclass(frozen=True)
class BundleCase:
    """One case as the server exported it (cleartext facts: not signed)."""

    case: str
    created: str
    status: str
    outcome: str | None
    sealed_on: str
    acknowledge_by: str | None
    feedback_by: str | None
    recipients: tuple[bytes, ...]
    reporter: ReporterPublic
    timeline: tuple[TimelineEntry, ...]
    submissions: tuple[BundleSubmission, ...]
    replies: tuple[BundleReply, ...]

    @property
    def report(self) -> BundleSubmission | None:
        """The case's report, if this (possibly incremental) export holds it."""
        for submission in self.submissions:
            if submission.kind == KIND_REPORT:
                return submission
        return None

    @property
    def followups(self) -> tuple[BundleSubmission, ...]:
        """The follow-ups this export holds, in manifest order."""
        return tuple(s for s in self.submissions if s.kind == KIND_FOLLOWUP)


@dataclass(frozen=True)
class BundleManifest:
    """The checked manifest; `members` is every member it lists."""

    reviewer_key_id: bytes
    day: str
    since: int
    until: int
    reviewers: tuple[BundleReviewer, ...]
    cases: tuple[BundleCase, ...]
    members: frozenset[str]
    version: int = 1
    # v2 only (None for v1): the signed list as the server loaded it (its signature checked,
    # `reviewer_list` holds it parsed; whether its organisation is the reviewer's is the
    # casebook's question), the workflow, and the audit trail's head and new entries.
    signed_list: dict[str, Any] | None = None
    reviewer_list: SignedReviewerList | None = None
    workflow: Workflow | None = None
    audit: AuditTrail | None = None


# --- manifest validation (shared by the writer and the reader) -----------------------------


_MANIFEST_KEYS_V1 = ("format", "version", "reviewer_key_id", "day", "since", "until", "reviewers", "cases")
_MANIFEST_KEYS_V2 = (*_MANIFEST_KEYS_V1, "signed_list", "workflow", "audit")


def _parse_signed_list(r: JsonReader, value: Any) -> tuple[dict[str, Any] | None, SignedReviewerList | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise r.fail("the manifest's signed_list must be a JSON object or null")
    try:
        # The signature covers the body bytes inside the object, so re-encoding the
        # outer object does not change what is verified.
        return value, verify_reviewer_list(dumps_compact(value))
    except CandourError as exc:
        raise r.fail(f"the export's signed reviewer list is not valid: {exc}") from exc


def _parse_manifest(document: Any, present_members: Iterable[str]) -> BundleManifest:
    r = _manifest_json
    if not isinstance(document, dict):
        raise r.fail("the manifest must be a JSON object")
    version = r.header(document, "the manifest", MANIFEST_FORMAT, MANIFEST_VERSIONS)
    top = r.obj(document, "the manifest", _MANIFEST_KEYS_V1 if version == 1 else _MANIFEST_KEYS_V2)
    signed_list, reviewer_list, workflow, audit = None, None, None, None
    if version >= 2:
        signed_list, reviewer_list = _parse_signed_list(r, top["signed_list"])
        workflow = parse_workflow(r, top["workflow"], "the manifest's workflow")
        audit = parse_audit(r, top["audit"], "the manifest's audit trail")
    reviewer_key_id = r.hex_bytes(top["reviewer_key_id"], "'reviewer_key_id'", KEY_ID_BYTES)
    day = r.day(top["day"], "'day'")
    since = r.integer(top["since"], "'since'", 0, MAX_COUNTER)
    until = r.integer(top["until"], "'until'", 0, MAX_COUNTER)
    if since > until:
        raise r.fail(f"'since' ({since}) is after 'until' ({until})")

    reviewers = []
    seen_reviewers: set[bytes] = set()
    for position, entry in enumerate(r.list(top["reviewers"], "'reviewers'", MAX_REVIEWERS), start=1):
        where = f"reviewer {position}"
        entry = r.obj(entry, where, ("key_id", "identity", "display_name", "role", "required"))
        key_id = r.hex_bytes(entry["key_id"], f"{where}'s key_id", KEY_ID_BYTES)
        identity_line = r.text(entry["identity"], f"{where}'s identity", 1024)
        try:
            identity = parse_public_identity(identity_line)
        except IdentityError as exc:
            raise r.fail(f"{where}'s identity is invalid: {exc}") from exc
        if identity.key_id != key_id:
            raise r.fail(f"{where}'s key_id does not belong to its identity")
        if key_id in seen_reviewers:
            raise r.fail(f"reviewer {key_id.hex()} is listed twice")
        seen_reviewers.add(key_id)
        reviewers.append(
            BundleReviewer(
                key_id=key_id,
                identity=identity,
                display_name=r.text(entry["display_name"], f"{where}'s display_name", MAX_DISPLAY_CHARS),
                role=r.text(entry["role"], f"{where}'s role", MAX_DISPLAY_CHARS),
                required=r.boolean(entry["required"], f"{where}'s required"),
            )
        )

    listed: set[str] = set()

    def claim(member: Any, where: str) -> str:
        if not isinstance(member, str) or not MEMBER_NAME.fullmatch(member):
            raise r.fail(f"{where} names the member {member!r}, which is not a valid bundle member name")
        if member in listed:
            raise r.fail(f"the member {member} is listed twice")
        listed.add(member)
        return member

    cases = []
    seen_cases: set[str] = set()
    seen_submissions: set[str] = set()
    for position, entry in enumerate(r.list(top["cases"], "'cases'", MAX_CASES), start=1):
        cases.append(_parse_case(r, entry, position, seen_cases, seen_submissions, claim))

    present = set()
    for name in present_members:
        if name in present:
            raise BundleError(f"the bundle holds the member {name} twice")
        present.add(name)
    missing = sorted(listed - present)
    if missing:
        raise BundleError(
            f"the bundle is incomplete: {missing[0]} is listed in the manifest but missing"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    unlisted = sorted(present - listed)
    if unlisted:
        raise BundleError(f"the bundle holds {unlisted[0]}, which its manifest does not list: it was tampered with")
    return BundleManifest(
        reviewer_key_id=reviewer_key_id,
        day=day,
        since=since,
        until=until,
        reviewers=tuple(reviewers),
        cases=tuple(cases),
        members=frozenset(listed),
        version=version,
        signed_list=signed_list,
        reviewer_list=reviewer_list,
        workflow=workflow,
        audit=audit,
    )


def _parse_case(
    r: JsonReader,
    entry: Any,
    position: int,
    seen_cases: set[str],
    seen_submissions: set[str],
    claim: Callable[[Any, str], str],
) -> BundleCase:
    where = f"case {position}"
    entry = r.obj(
        entry,
        where,
        (
            "case",
            "created",
            "status",
            "outcome",
            "sealed_on",
            "acknowledge_by",
            "feedback_by",
            "recipients",
            "reporter",
            "timeline",
            "submissions",
            "replies",
        ),
    )
    case = r.hex_id(entry["case"], f"{where}'s id", SUBMISSION_ID_BYTES)
    where = f"case {case}"
    if case in seen_cases:
        raise r.fail(f"{where} is listed twice")
    seen_cases.add(case)
    sealed_on = entry["sealed_on"]
    if sealed_on not in SEALED_ON:
        raise r.fail(f"{where}'s sealed_on must be 'browser' or 'server'")
    recipients = []
    for key_id in r.list(entry["recipients"], f"{where}'s recipients", MAX_STANZAS, min_items=1):
        recipients.append(r.hex_bytes(key_id, f"a recipient of {where}", KEY_ID_BYTES))
    if len(set(recipients)) != len(recipients):
        raise r.fail(f"{where} lists a recipient twice")
    reporter_json = r.obj(entry["reporter"], f"{where}'s reporter", ("reply_key", "sign_key"))
    reporter = ReporterPublic(
        reply_key=r.raw(reporter_json["reply_key"], f"{where}'s reporter reply_key", byte_count=32),
        sign_key=r.raw(reporter_json["sign_key"], f"{where}'s reporter sign_key", byte_count=32),
    )

    timeline = []
    for item in r.list(entry["timeline"], f"{where}'s timeline", MAX_TIMELINE_PER_CASE):
        item = r.obj(
            item, f"a timeline entry of {where}", ("day", "status", "outcome", "reason", "by", "statement", "signature")
        )
        statement = r.optional_raw(item["statement"], f"a timeline statement of {where}", max_bytes=MAX_STATEMENT_BYTES)
        signature = r.optional_raw(item["signature"], f"a timeline signature of {where}", byte_count=SIGNATURE_BYTES)
        if (statement is None) != (signature is None):
            raise r.fail(f"a timeline entry of {where} has a statement without a signature, or the reverse")
        timeline.append(
            TimelineEntry(
                day=r.day(item["day"], f"a timeline day of {where}"),
                status=r.text(item["status"], f"a timeline status of {where}", MAX_STATUS_CHARS, non_empty=True),
                outcome=r.optional_text(item["outcome"], f"a timeline outcome of {where}", MAX_STATUS_CHARS),
                reason=r.text(item["reason"], f"a timeline reason of {where}", MAX_REASON_CHARS),
                by=r.optional_hex_bytes(item["by"], f"a timeline 'by' of {where}", KEY_ID_BYTES),
                statement=statement,
                signature=signature,
            )
        )

    submissions = []
    report_seen = False
    for item in r.list(entry["submissions"], f"{where}'s submissions", MAX_SUBMISSIONS_PER_CASE):
        item = r.obj(item, f"a submission of {where}", ("id", "kind", "day", "parts"))
        submission = r.hex_id(item["id"], f"a submission id of {where}", SUBMISSION_ID_BYTES)
        if submission in seen_submissions:
            raise r.fail(f"submission {submission} is listed twice")
        seen_submissions.add(submission)
        kind = item["kind"]
        if kind == KIND_REPORT:
            if submission != case or report_seen:
                raise r.fail(f"{where} has a report whose id is not the case id")
            report_seen = True
        elif kind == KIND_FOLLOWUP:
            if submission == case:
                raise r.fail(f"{where} has a follow-up with the case's own id")
        else:
            raise r.fail(f"submission {submission}'s kind must be 'report' or 'followup'")
        parts = []
        indexes: set[int] = set()
        for part in r.list(item["parts"], f"submission {submission}'s parts", MAX_PARTS, min_items=1):
            part = r.obj(part, f"a part of submission {submission}", ("index", "member"))
            index = r.integer(part["index"], f"a part index of submission {submission}", 0, MAX_PARTS - 1)
            if index in indexes:
                raise r.fail(f"submission {submission} lists part {index} twice")
            indexes.add(index)
            member = claim(part["member"], f"part {index} of submission {submission}")
            if member != f"cases/{case}/{submission}/{index}.cnd":
                raise r.fail(f"part {index} of submission {submission} is filed under another name ({member})")
            parts.append(BundlePart(index=index, member=member))
        if 0 not in indexes:
            raise r.fail(f"submission {submission} has no part 0")
        submissions.append(
            BundleSubmission(
                id=submission,
                kind=kind,
                day=r.day(item["day"], f"submission {submission}'s day"),
                parts=tuple(sorted(parts, key=lambda p: p.index)),
            )
        )

    replies = []
    for item in r.list(entry["replies"], f"{where}'s replies", MAX_REPLIES_PER_CASE):
        item = r.obj(item, f"a reply of {where}", ("statement", "signature", "member"))
        member = claim(item["member"], f"a reply of {where}")
        if not member.startswith(f"cases/{case}/replies/"):
            raise r.fail(f"a reply of {where} is filed under another case ({member})")
        replies.append(
            BundleReply(
                statement=r.raw(item["statement"], f"a reply statement of {where}", max_bytes=MAX_STATEMENT_BYTES),
                signature=r.raw(item["signature"], f"a reply signature of {where}", byte_count=SIGNATURE_BYTES),
                member=member,
            )
        )

    return BundleCase(
        case=case,
        created=r.day(entry["created"], f"{where}'s created"),
        status=r.text(entry["status"], f"{where}'s status", MAX_STATUS_CHARS, non_empty=True),
        outcome=r.optional_text(entry["outcome"], f"{where}'s outcome", MAX_STATUS_CHARS),
        sealed_on=sealed_on,
        acknowledge_by=r.optional_day(entry["acknowledge_by"], f"{where}'s acknowledge_by"),
        feedback_by=r.optional_day(entry["feedback_by"], f"{where}'s feedback_by"),
        recipients=tuple(recipients),
        reporter=reporter,
        timeline=tuple(timeline),
        submissions=tuple(submissions),
        replies=tuple(replies),
    )


# --- writing ---------------------------------------------------------------------------------


def _zip_time(day: str) -> tuple[int, int, int, int, int, int]:
    # Members carry the export day at midnight: nothing finer leaves the server.
    year, month, date = (int(piece) for piece in day.split("-"))
    return (max(year, 1980), month, date, 0, 0, 0)


def _remaining_size(source: BinaryIO) -> int | None:
    try:
        if not source.seekable():
            return None
        position = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(position)
        return end - position
    except (AttributeError, OSError, ValueError):
        return None


class BundleWriter:
    """Streams an export bundle into `sink` (seekable or not: a response stream works).

    Usage: `writer = BundleWriter(sink, reviewer.public, day)`; `writer.add_member(name,
    blob_file)` for every part and reply; `writer.finish(bundle_manifest(...))`. The
    caller owns and closes `sink`. If anything raises, discard what was written.

    State is needed here: the open ZIP and the set of members written so far.
    """

    def __init__(self, sink: BinaryIO, exporting_reviewer: PublicIdentity, day: str) -> None:
        if not is_day(day):
            raise BundleError(f"the export day must be written YYYY-MM-DD, not {day!r}")
        self._reviewer = exporting_reviewer
        self._day = day
        self._members: list[str] = []
        self._names: set[str] = set()
        self._finished = False
        self._zip = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._write_small(
            BUNDLE_JSON,
            dumps_compact(
                {
                    "format": BUNDLE_FORMAT,
                    "version": BUNDLE_VERSION,
                    "reviewer_key_id": exporting_reviewer.key_id.hex(),
                    "day": day,
                }
            ),
        )

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_zip_time(self._day))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        return info

    def _write_small(self, name: str, data: bytes) -> None:
        self._zip.writestr(self._info(name), data)

    def add_member(self, name: str, source: BinaryIO) -> int:
        """Copy an envelope from `source` (e.g. an open blob file) into the bundle as `name`.

        `name` must be a part or reply member name (`member_name_for_part`,
        `member_name_for_reply`) not already added. Streams in 1 MiB blocks; members
        over 4 GiB use ZIP64. Returns the number of bytes copied.
        """
        if self._finished:
            raise BundleError("the bundle is already finished")
        if not isinstance(name, str) or not MEMBER_NAME.fullmatch(name):
            raise BundleError(f"{name!r} is not a valid bundle member name")
        if name in self._names:
            raise BundleError(f"the member {name} was already added")
        info = self._info(name)
        size = _remaining_size(source)
        if size is not None:
            info.file_size = size
        copied = 0
        with self._zip.open(info, "w", force_zip64=size is None) as target:
            while block := source.read(COPY_BLOCK):
                target.write(block)
                copied += len(block)
        self._names.add(name)
        self._members.append(name)
        return copied

    def finish(self, manifest: Mapping[str, Any]) -> None:
        """Check the manifest exactly as a reader will, seal it to the exporting reviewer, close the ZIP.

        Raises `BundleError` if the manifest is malformed, is for another reviewer or
        day, lists a member that was not added, or misses one that was.
        """
        if self._finished:
            raise BundleError("the bundle is already finished")
        try:
            encoded = dumps_compact(manifest)
        except (TypeError, ValueError) as exc:
            raise BundleError(f"the manifest cannot be written as JSON: {exc}") from exc
        if len(encoded) > MAX_MANIFEST_BYTES:
            raise BundleError("the manifest is larger than 512 MiB: export fewer cases at a time")
        parsed = _parse_manifest(_manifest_json.loads(encoded), self._members)
        if parsed.reviewer_key_id != self._reviewer.key_id or parsed.day != self._day:
            raise BundleError("the manifest names another reviewer or day than the bundle")
        sealed = seal_bytes(encoded, [self._reviewer], new_submission_id(), 0)
        self._write_small(MANIFEST_MEMBER, sealed)
        self._zip.close()
        self._finished = True


# --- reading ---------------------------------------------------------------------------------

# zipfile reports a damaged archive with more than BadZipFile: a header offset before the
# start of the file (ValueError), a "version needed" or feature flag it lacks
# (NotImplementedError), a member cut short (EOFError), a name that is not UTF-8
# (UnicodeDecodeError, a ValueError), an offset too large to seek to (OverflowError).
_ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    NotImplementedError,
    OSError,
    OverflowError,
    ValueError,
)


def _damaged(name: str, exc: BaseException) -> BundleError:
    return BundleError(f"the bundle's member {name} is damaged ({exc}): download the export again")


class _MemberReader:
    """One member's bytes, with zipfile's damage exceptions reported as `BundleError`.

    A member's CRC and length are only checked as it is read (by `open_envelope`, deep
    inside `open_submission`), so the translation has to live in the stream itself.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def read(self, size: int = -1) -> bytes:
        if self._stream.closed:
            raise ValueError(f"the stream of bundle member {self._name} is closed")
        try:
            return self._stream.read(size)
        except _ZIP_DAMAGE as exc:
            raise _damaged(self._name, exc) from exc

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> "_MemberReader":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _open_member(archive: zipfile.ZipFile, name: str) -> BinaryIO:
    try:
        stream = cast(BinaryIO, archive.open(name))
    except _ZIP_DAMAGE as exc:
        raise _damaged(name, exc) from exc
    # Duck-typed: readers of members only call read() and close().
    return cast(BinaryIO, _MemberReader(stream, name))


class _BoundedBuffer:
    def __init__(self, limit: int, what: str) -> None:
        self._buffer = bytearray()
        self._limit = limit
        self._what = what

    def write(self, data: bytes) -> int:
        if len(self._buffer) + len(data) > self._limit:
            raise BundleError(f"{self._what} is larger than the {self._limit:,} bytes allowed")
        self._buffer += data
        return len(data)

    def getvalue(self) -> bytes:
        return bytes(self._buffer)


class Bundle:
    """An opened, checked export bundle. Close it (or use `with`) when done.

    `cases` holds every case in manifest order; `open_member(name)` streams a member
    from the one open ZIP (no re-opening per member). State is needed: the open ZIP.
    """

    def __init__(self, archive: zipfile.ZipFile, manifest: BundleManifest) -> None:
        self._zip = archive
        self._manifest = manifest
        self.reviewer_key_id = manifest.reviewer_key_id
        self.day = manifest.day
        self.since = manifest.since
        self.until = manifest.until
        self.reviewers = manifest.reviewers
        self.cases = manifest.cases
        self.version = manifest.version
        self.signed_list = manifest.signed_list
        self.reviewer_list = manifest.reviewer_list
        self.workflow = manifest.workflow
        self.audit = manifest.audit

    @property
    def manifest(self) -> BundleManifest:
        """The checked manifest (also for the v2 fields: `.signed_list`, `.workflow`, `.audit`)."""
        return self._manifest

    def __iter__(self) -> Iterator[BundleCase]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def __enter__(self) -> "Bundle":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the ZIP; streams from `open_member` stop working."""
        self._zip.close()

    def known_reviewers(self) -> dict[bytes, PublicIdentity]:
        """The server's reviewer list by key id (for checking reply signatures in the bundle)."""
        return {reviewer.key_id: reviewer.identity for reviewer in self.reviewers}

    def open_member(self, name: str) -> BinaryIO:
        """A readable stream of one listed member's bytes. Raises `BundleError` for an unlisted name."""
        if name not in self._manifest.members:
            raise BundleError(f"{name} is not a member listed in this bundle's manifest")
        return _open_member(self._zip, name)

    def read_member(self, name: str) -> bytes:
        """All of one member's bytes (replies are small; stream parts with `open_member`)."""
        with self.open_member(name) as stream:
            return stream.read()

    def member_opener(self, name: str) -> Callable[[], BinaryIO]:
        """A callable that opens `name`: what `crypto.submission.open_submission` takes per part."""
        if name not in self._manifest.members:
            raise BundleError(f"{name} is not a member listed in this bundle's manifest")
        return lambda: self.open_member(name)

    def part_sources(self, submission: BundleSubmission) -> dict[int, Callable[[], BinaryIO]]:
        """`{part index: opener}` for `open_submission(bundle.part_sources(s), keys, ...)`."""
        return {part.index: self.member_opener(part.member) for part in submission.parts}


def _check_archive_members(archive: zipfile.ZipFile) -> list[str]:
    names: list[str] = []
    for info in archive.infolist():
        name = info.filename
        if name not in (BUNDLE_JSON, MANIFEST_MEMBER) and not MEMBER_NAME.fullmatch(name):
            raise BundleError(
                f"the bundle holds a member named {name!r}, which no bundle may hold: it was tampered with"
            )
        if info.compress_type != zipfile.ZIP_STORED:
            raise BundleError(f"the bundle's member {name} is compressed; bundles store members uncompressed")
        if info.flag_bits & 0x1:
            raise BundleError(f"the bundle's member {name} is ZIP-encrypted; bundles never are")
        names.append(name)
    for required in (BUNDLE_JSON, MANIFEST_MEMBER):
        if names.count(required) != 1:
            raise BundleError(
                f"the bundle has {'no' if required not in names else 'more than one'} {required}: "
                "it is incomplete or not a Candour bundle"
            )
    return [name for name in names if name not in (BUNDLE_JSON, MANIFEST_MEMBER)]


def _read_bundle_json(archive: zipfile.ZipFile) -> tuple[bytes, str]:
    info = archive.getinfo(BUNDLE_JSON)
    if info.file_size > MAX_BUNDLE_JSON_BYTES:
        raise BundleError("bundle.json is too large: this is not a Candour bundle")
    with _open_member(archive, BUNDLE_JSON) as stream:
        data = stream.read(MAX_BUNDLE_JSON_BYTES + 1)
    r = _bundle_json
    document = r.obj(
        r.loads(data, MAX_BUNDLE_JSON_BYTES), "bundle.json", ("format", "version", "reviewer_key_id", "day")
    )
    r.header(document, "bundle.json", BUNDLE_FORMAT, BUNDLE_VERSION)
    key_id = r.hex_bytes(document["reviewer_key_id"], "'reviewer_key_id'", KEY_ID_BYTES)
    day = r.day(document["day"], "'day'")
    return key_id, day


def open_bundle(path: str | os.PathLike[str] | BinaryIO, reviewer_keys: Opener) -> Bundle:
    """Open an export bundle for `reviewer_keys` and check it completely before any member is read.

    In order: the ZIP's member names (only the names §10 allows, no duplicates, stored
    uncompressed); bundle.json (format, version, and that it was exported for this
    reviewer — before any cryptography); manifest.cnd (decrypted with the reviewer's
    key; its errors are the envelope's); the manifest (types, caps, member names
    consistent with their case, submission and part, every listed member present
    exactly once, nothing unlisted). Raises `BundleError` (and the envelope errors for
    manifest.cnd).
    """
    try:
        archive = zipfile.ZipFile(path if not isinstance(path, (str, os.PathLike)) else Path(path), "r")
    except FileNotFoundError:
        raise BundleError(f"there is no bundle at {path}") from None
    except _ZIP_DAMAGE as exc:
        raise BundleError(f"{path} is not a readable bundle (not a ZIP archive: {exc})") from exc
    try:
        members = _check_archive_members(archive)
        key_id, day = _read_bundle_json(archive)
        mine = bytes(reviewer_keys.key_id)
        if key_id != mine:
            raise BundleError(
                f"this bundle was exported for reviewer {key_id.hex()}, not for you ({mine.hex()}): "
                "ask the server for an export made for your key"
            )
        buffer = _BoundedBuffer(MAX_MANIFEST_BYTES, "the bundle's manifest")
        with _open_member(archive, MANIFEST_MEMBER) as stream:
            open_envelope(stream, cast(BinaryIO, buffer), reviewer_keys)
        manifest = _parse_manifest(_manifest_json.loads(buffer.getvalue()), members)
        if manifest.reviewer_key_id != key_id or manifest.day != day:
            raise BundleError(
                "the sealed manifest names another reviewer or day than bundle.json: it was tampered with"
            )
        return Bundle(archive, manifest)
    except zipfile.BadZipFile as exc:
        archive.close()
        raise BundleError(f"the bundle is damaged: {exc}") from exc
    except BaseException:
        archive.close()
        raise
