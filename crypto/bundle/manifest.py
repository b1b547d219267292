"""Checking a manifest strictly: shared by the writer (before sealing) and the reader."""

from collections.abc import Callable, Iterable
from typing import Any

from ..audit_chain import parse_audit
from ..envelope import (
    KEY_ID_BYTES,
    MAX_PARTS,
    MAX_STANZAS,
    SUBMISSION_ID_BYTES,
)
from ..errors import BundleError, CandourError, IdentityError
from ..identity import parse_public_identity
from ..org import SignedReviewerList, verify_reviewer_list
from ..reply import MAX_REASON_CHARS, MAX_STATEMENT_BYTES, MAX_STATUS_CHARS, SIGNATURE_BYTES
from ..strict_json import JsonReader, dumps_compact
from ..submission import KIND_FOLLOWUP, KIND_REPORT, ReporterPublic
from ..workflow import parse_workflow
from .schema import (
    MANIFEST_FORMAT,
    MANIFEST_VERSIONS,
    MAX_CASES,
    MAX_COUNTER,
    MAX_DISPLAY_CHARS,
    MAX_REPLIES_PER_CASE,
    MAX_REVIEWERS,
    MAX_SUBMISSIONS_PER_CASE,
    MAX_TIMELINE_PER_CASE,
    MEMBER_NAME,
    SEALED_ON,
    BundleCase,
    BundleManifest,
    BundlePart,
    BundleReply,
    BundleReviewer,
    BundleSubmission,
    TimelineEntry,
    manifest_json_reader,
)

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


def parse_manifest(document: Any, present_members: Iterable[str]) -> BundleManifest:
    r = manifest_json_reader
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
