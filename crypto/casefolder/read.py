"""Opening and verifying one case of a bundle into a staging folder: report, follow-ups, replies, timeline."""

import datetime
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..bundle import Bundle, BundleCase, BundleReply, BundleSubmission
from ..errors import CandourError, NotARecipientError
from ..files import publish_file, temp_path_in
from ..identity import ReviewerKeys
from ..kdf import hash256
from ..reply import ReplyStatement, check_reply_binding, open_reply_for_reviewer, verify_statement_signature
from ..submission import AttachmentInfo, OpenedSubmission, ReporterPublic, open_submission
from .model import (
    DIR_MODE,
    CaseResult,
    ReadSubmission,
    ReplyView,
    TimelineView,
    Trust,
    UnreadSubmission,
    case_deadline,
)
from .names import (
    numbered_name,
    safe_file_name,
)

# --- attachments: temporary file until verified ------------------------------------------------


class TempFileSink:
    """An attachment sink (`crypto.submission.AttachmentSink`) writing to a temporary file.

    The file is renamed to its final, safe name only on `commit` — after the whole
    submission verified — and deleted on `discard`. State: the open temporary file.
    """

    def __init__(self, final_path: Path) -> None:
        self.final_path = final_path
        self._temp_path = temp_path_in(final_path.parent)
        descriptor = os.open(self._temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._handle: BinaryIO | None = os.fdopen(descriptor, "wb")

    def _open_handle(self) -> BinaryIO:
        if self._handle is None:
            raise ValueError("this attachment sink is already committed or discarded")
        return self._handle

    def write(self, data: bytes) -> int:
        return self._open_handle().write(data)

    def commit(self) -> Path:
        handle = self._open_handle()
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        self._handle = None
        publish_file(self._temp_path, self.final_path, overwrite=False)
        return self.final_path

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._temp_path.unlink(missing_ok=True)


@dataclass
class AttachmentFolder:
    """Hands out a sink per attachment, with a unique safe name inside one folder."""

    directory: Path
    taken: set[str] = field(default_factory=set)
    names: dict[int, str] = field(default_factory=dict)

    def __call__(self, info: AttachmentInfo) -> TempFileSink:
        self.directory.mkdir(mode=DIR_MODE, exist_ok=True)
        name = numbered_name(safe_file_name(info.name, f"attachment-{info.part}"), self.taken)
        self.names[info.part] = name
        return TempFileSink(self.directory / name)


# --- reading one case -----------------------------------------------------------------------


def _reporter_warning(case: BundleCase, signed: ReporterPublic) -> str | None:
    if case.reporter == signed:
        return None
    return (
        "The server's copy of the reporter's keys differs from the keys in the reporter's own signed report. "
        "The server may have swapped the reply key to read replies. 'python -m crypto reply' refuses this "
        "case; tell your organisation."
    )


def _open_report(
    bundle: Bundle, case: BundleCase, report: BundleSubmission, keys: ReviewerKeys, case_dir: Path
) -> ReadSubmission:
    attachments = AttachmentFolder(case_dir / "attachments")
    try:
        opened = open_submission(
            bundle.part_sources(report), keys, expected_case=case.case, attachment_sink_factory=attachments
        )
    except CandourError as exc:
        raise type(exc)(f"the report could not be read: {exc}") from exc
    return ReadSubmission(opened=opened, attachment_names=dict(attachments.names), folder="")


def _reviewer_name(key_id: bytes | None, names: Mapping[bytes, str]) -> str:
    if key_id is None:
        return "the server"
    return names.get(key_id, f"unknown reviewer {key_id.hex()}")


def _signer(statement: ReplyStatement, trust: Trust, recipients: frozenset[bytes]) -> tuple[str | None, str]:
    """(failure or None, how the signer is described) for a statement whose signature verified."""
    key_id = statement.reviewer_key_id
    identity = trust.known[key_id]
    who = f"{_reviewer_name(key_id, trust.names)}, key id {key_id.hex()}, fingerprint {identity.fingerprint}"
    if key_id not in recipients:
        return (
            f"NOT VERIFIED: signed by {who}, who is not one of the reviewers this case's report was sealed to "
            "(its authenticated header): the server may have added this signer",
            who,
        )
    return None, who


def _read_replies(
    bundle: Bundle,
    case: BundleCase,
    keys: ReviewerKeys,
    reply_key: bytes,
    trust: Trust,
    recipients: frozenset[bytes],
) -> tuple[ReplyView, ...]:
    views: list[ReplyView] = []
    last_seq: dict[bytes, int] = {}
    checked: list[tuple[ReplyStatement | None, BundleReply, str | None]] = []
    for reply in case.replies:
        try:
            signed = verify_statement_signature(reply.statement, reply.signature, trust.known)
            check_reply_binding(signed, case.case, reply_key)
            checked.append((signed, reply, None))
        except CandourError as exc:
            checked.append((None, reply, str(exc)))
    # Signed day, then each reviewer's own numbering; unverifiable replies last.
    ordered = sorted(
        checked,
        key=lambda item: (item[0].day, item[0].reviewer_key_id, item[0].seq) if item[0] else ("9999", b"", 0),
    )
    for statement, reply, failure in ordered:
        if statement is None:
            views.append(ReplyView(None, None, "unknown", "", False, f"NOT VERIFIED: {failure}", None, None))
            continue
        key_id = statement.reviewer_key_id
        author = _reviewer_name(key_id, trust.names)
        not_recipient, who = _signer(statement, trust, recipients)
        if not_recipient:
            views.append(
                ReplyView(statement.seq, statement.day, author, key_id.hex(), False, not_recipient, None, None)
            )
            continue
        gap = ""
        previous = last_seq.get(key_id, 0)
        if statement.seq > previous + 1:
            gap = f" (replies {previous + 1}–{statement.seq - 1} by this reviewer are not in this export)"
        elif statement.seq <= previous:
            views.append(
                ReplyView(
                    statement.seq, statement.day, author, key_id.hex(), False, "NOT VERIFIED: a replay", None, None
                )
            )
            continue
        last_seq[key_id] = statement.seq
        status = None
        if statement.status is not None:
            status = statement.status.status + (f" ({statement.status.outcome})" if statement.status.outcome else "")
            if statement.status.reason:
                status += f" — {statement.status.reason}"
        if statement.feedback:
            status = "marked as feedback on the report" + (f"; {status}" if status else "")
        try:
            body = open_reply_for_reviewer(bundle.read_member(reply.member), keys, statement)
            text: str | None = body.text
            result = f"signature verified: {who}, against {trust.label}{gap}"
            verified = True
        except NotARecipientError:
            text = None
            result = f"signature verified: {who}, against {trust.label}, but its text was not sealed to you{gap}"
            verified = True
        except CandourError as exc:
            text = None
            result = f"NOT VERIFIED: {exc}"
            verified = False
        views.append(ReplyView(statement.seq, statement.day, author, key_id.hex(), verified, result, text, status))
    return tuple(views)


def _read_timeline(case: BundleCase, trust: Trust, recipients: frozenset[bytes]) -> tuple[TimelineView, ...]:
    views = []
    for entry in case.timeline:
        by = _reviewer_name(entry.by, trust.names)
        if entry.statement is None or entry.signature is None:
            views.append(TimelineView(entry, by, "recorded by the server (unsigned)"))
            continue
        try:
            statement = verify_statement_signature(entry.statement, entry.signature, trust.known)
            if (
                statement.case != case.case
                or statement.status is None
                or statement.status.status != entry.status
                or statement.status.outcome != entry.outcome
                or statement.reviewer_key_id != entry.by
            ):
                raise CandourError("the signed statement says something else than this entry")
            not_recipient, who = _signer(statement, trust, recipients)
            views.append(TimelineView(entry, by, not_recipient or f"signed by {who}, verified against {trust.label}"))
        except CandourError as exc:
            views.append(TimelineView(entry, by, f"NOT VERIFIED: {exc}"))
    return tuple(views)


def _added_recipients(case: BundleCase, header: frozenset[bytes], trust: Trust) -> str | None:
    extra = [key_id for key_id in case.recipients if key_id not in header]
    if not extra:
        return None
    named = ", ".join(f"{_reviewer_name(k, trust.names)} ({k.hex()})" for k in extra)
    return (
        f"The server lists {named} on this case, but the report was not sealed to "
        f"{'that key' if len(extra) == 1 else 'those keys'}: the server may have added a key of its own. "
        "'python -m crypto reply' refuses this case; tell your organisation."
    )


def read_case(
    bundle: Bundle,
    case: BundleCase,
    keys: ReviewerKeys,
    case_dir: Path,
    trust: Trust,
    today: datetime.date,
) -> CaseResult:
    """Open and verify one case into `case_dir` (a fresh staging folder). Raises if the report fails.

    With a casebook, a report whose reporter keys or content differ from the pinned ones
    raises `CaseReplacedError`; a case seen for the first time is pinned.
    """
    report_entry = case.report
    if report_entry is None:
        raise CandourError(
            "this export does not hold the case's report, so nothing in it can be checked against the reporter's "
            "signature: export the whole case"
        )
    report = _open_report(bundle, case, report_entry, keys, case_dir)
    if trust.casebook is not None:
        trust.casebook.check_case(case.case, report.opened.reporter, report_hash(report.opened), case.created)
    header = frozenset(report.opened.recipient_key_ids)
    warnings = []
    for warning in (_reporter_warning(case, report.opened.reporter), _added_recipients(case, header, trust)):
        if warning:
            warnings.append(warning)
    followups: list[ReadSubmission | UnreadSubmission] = []
    for number, submission in enumerate(case.followups, start=1):
        folder = f"followups/{number}-{submission.day}"
        (case_dir / "followups").mkdir(mode=DIR_MODE, exist_ok=True)
        (case_dir / folder).mkdir(mode=DIR_MODE)
        try:
            opened = open_submission(
                bundle.part_sources(submission),
                keys,
                expected_case=case.case,
                expected_reporter=report.opened.reporter,
                attachment_sink_factory=(attachments := AttachmentFolder(case_dir / folder / "attachments")),
            )
            followups.append(ReadSubmission(opened, dict(attachments.names), folder))
        except CandourError as exc:
            shutil.rmtree(case_dir / folder, ignore_errors=True)
            followups.append(UnreadSubmission(submission, str(exc)))
            warnings.append(
                f"Follow-up {number} of {submission.day} was REFUSED and is not shown: {exc}. A follow-up signed "
                "with other keys than the report's may have been fabricated by the server; tell your organisation."
            )
    replies = _read_replies(bundle, case, keys, report.opened.reply_key, trust, header)
    timeline = _read_timeline(case, trust, header)
    return CaseResult(
        case=case,
        report=report,
        followups=tuple(followups),
        replies=replies,
        timeline=timeline,
        warnings=tuple(warnings),
        deadline=case_deadline(case, today, trust.final_status),
        trust_warning=trust.warning,
    )


def report_hash(opened: OpenedSubmission) -> bytes:
    """What the casebook pins of a report: the hash of its reporter-signed manifest."""
    return hash256(opened.manifest_bytes)
