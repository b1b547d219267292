"""Reading one case of an export into memory: every signature and binding checked.

The report and follow-ups are opened with `verify_only_sinks` (attachments verified,
not kept); the report is checked against the casebook (`Casebook.check_case`, the same
pin `python3 -m crypto decrypt` checks); replies and signed status changes are verified
against the list crypto/trust.py's `choose_trust` chose (the organisation-signed one when
the export carries it) and count as verified only when their signer was one of the
reviewers the report's MAC-authenticated header names.
"""

from dataclasses import dataclass

from ..bundle import Bundle, BundleCase
from ..casebook import Casebook, CaseReplacedError
from ..casefolder.read import report_hash
from ..errors import CandourError, NotARecipientError
from ..identity import PublicIdentity, ReviewerKeys
from ..reply import StatusChange, check_reply_binding, open_reply_for_reviewer, verify_statement_signature
from ..submission import OpenedSubmission, open_submission, verify_only_sinks
from . import trust
from .model import Attachment, DeskCase, Followup, ReplyItem, TimelineItem


@dataclass(frozen=True)
class ExportView:
    """One stored export as the Desk reads it: which list verifies its signatures."""

    bundle: Bundle
    name: str
    keys: ReviewerKeys
    known: dict[bytes, PublicIdentity]
    names: dict[bytes, str]
    list_mode: str


def read_case(
    source: ExportView, case: BundleCase, earlier: DeskCase | None, book: Casebook
) -> tuple[DeskCase | None, str | None]:
    """Open and verify one case into memory: (the case, None), or (None, why it was refused).

    A report the casebook pins otherwise is refused (nothing of it is kept; `earlier`
    stays). A first report is pinned in `book` (the caller saves it). Raises
    `CandourError` when the case cannot be read at all (its report fails).
    """
    bundle, name, keys, known, names = source.bundle, source.name, source.keys, source.known, source.names
    report = case.report
    if report is None:
        if earlier is None:
            raise CandourError("the export does not hold this case's report; export the whole case")
        report_opened = None
    else:
        report_opened = open_submission(
            bundle.part_sources(report), keys, expected_case=case.case, attachment_sink_factory=verify_only_sinks
        )
    warnings: list[str] = []
    if report_opened is not None:
        try:
            book.check_case(case.case, report_opened.reporter, report_hash(report_opened), case.created)
        except CaseReplacedError as exc:
            return None, trust.case_refused(case.case, exc)
        server_copy = trust.server_copy_warning(case.case, report_opened, case.reporter)
        if server_copy:
            warnings.append(server_copy)
        fields, reply_key = dict(report_opened.fields), report_opened.reply_key
        sealed_to = report_opened.recipient_key_ids
        attachments = _attachments(report_opened)
        submissions = {report_opened.submission: report} if report is not None else {}
        reporter = report_opened.reporter
    else:
        if earlier is None:  # unreachable: a case without a report and no earlier copy raised above
            raise CandourError("the export does not hold this case's report")
        fields, reply_key, sealed_to = earlier.fields, earlier.reply_key, earlier.sealed_to
        attachments, submissions = earlier.attachments, dict(earlier.submissions)
        pinned = book.pinned_reporter(case.case)
        if pinned is None:
            raise CandourError("the casebook holds no reporter keys for this case; export the whole case")
        reporter = pinned
    extra = trust.extra_recipients_warning(case.case, case.recipients, sealed_to)
    if extra:
        warnings.append(extra)
    followups = list(earlier.followups) if earlier and report_opened is None else []
    for submission in case.followups:
        try:
            opened = open_submission(
                bundle.part_sources(submission),
                keys,
                expected_case=case.case,
                expected_reporter=reporter,
                attachment_sink_factory=verify_only_sinks,
            )
            submissions[opened.submission] = submission
            followups.append(Followup(opened.day, opened.fields.get("message", ""), _attachments(opened)))
        except CandourError as exc:
            followups.append(Followup(submission.day, None, (), f"NOT SHOWN: {exc}"))
    replies, mine = _replies(bundle, case, keys, reply_key, sealed_to, known, names)
    timeline = _timeline(case, sealed_to, known, names)
    try:
        recipients = tuple(trust.reply_recipients(sealed_to, known))
    except LookupError as exc:
        recipients = ()
        warnings.append(f"Case {case.case[:8]}: {exc}; you cannot reply to it from this export")
    texts = [*fields.values(), *(f.text or "" for f in followups), *(r.text or "" for r in replies)]
    read = DeskCase(
        case_id=case.case,
        created=case.created,
        status=case.status,
        outcome=case.outcome,
        acknowledge_by=case.acknowledge_by,
        feedback_by=case.feedback_by,
        fields=fields,
        attachments=attachments,
        followups=tuple(followups),
        replies=replies,
        timeline=timeline,
        warnings=tuple(warnings),
        export_name=name,
        submissions=submissions,
        reply_key=reply_key,
        sealed_to=tuple(sealed_to),
        search_text="\n".join(texts).casefold(),
        my_seqs=tuple(mine),
        recipients=recipients,
        list_mode=source.list_mode,
    )
    return read, None


def _replies(
    bundle: Bundle,
    case: BundleCase,
    keys: ReviewerKeys,
    reply_key: bytes,
    sealed_to: tuple[bytes, ...],
    known: dict[bytes, PublicIdentity],
    names: dict[bytes, str],
) -> tuple[tuple[ReplyItem, ...], list[int]]:
    def signer_name(key_id: bytes) -> str:
        return names.get(key_id, f"unknown reviewer {key_id.hex()}")

    items: list[ReplyItem] = []
    mine: list[int] = []
    for reply in case.replies:
        try:
            statement = verify_statement_signature(reply.statement, reply.signature, known)
            check_reply_binding(statement, case.case, reply_key)
        except CandourError as exc:
            items.append(ReplyItem(None, None, "unknown", "", False, f"NOT VERIFIED: {exc}", None, None))
            continue
        key_id = statement.reviewer_key_id
        if key_id == keys.key_id:
            mine.append(statement.seq)
        status = status_text(statement.status)
        refusal = trust.signer_check(key_id, sealed_to)
        if refusal:
            items.append(
                ReplyItem(
                    statement.seq,
                    statement.day,
                    signer_name(key_id),
                    key_id.hex(),
                    False,
                    f"NOT VERIFIED: {refusal}",
                    None,
                    status,
                )
            )
            continue
        try:
            text: str | None = open_reply_for_reviewer(bundle.read_member(reply.member), keys, statement).text
            verification = "signature verified"
        except NotARecipientError:
            text, verification = None, "signature verified; its text was not sealed to you"
        except CandourError as exc:
            items.append(
                ReplyItem(
                    statement.seq,
                    statement.day,
                    signer_name(key_id),
                    key_id.hex(),
                    False,
                    f"NOT VERIFIED: {exc}",
                    None,
                    status,
                )
            )
            continue
        signer = signer_name(key_id)
        fingerprint = known[key_id].fingerprint
        items.append(
            ReplyItem(
                statement.seq,
                statement.day,
                signer,
                key_id.hex(),
                True,
                f"{verification}: {signer}, fingerprint {fingerprint}",
                text,
                status,
                statement.feedback,
            )
        )
    items.sort(key=lambda item: (item.day or "9999", item.key_id, item.seq or 0))
    return tuple(items), mine


def _timeline(
    case: BundleCase,
    sealed_to: tuple[bytes, ...],
    known: dict[bytes, PublicIdentity],
    names: dict[bytes, str],
) -> tuple[TimelineItem, ...]:
    def signer_name(key_id: bytes) -> str:
        return names.get(key_id, f"unknown reviewer {key_id.hex()}")

    items = []
    for entry in case.timeline:
        if entry.statement is None or entry.signature is None:
            items.append(
                TimelineItem(
                    entry.day, entry.status, entry.outcome, entry.reason, "recorded by the server (unsigned)", False
                )
            )
            continue
        try:
            statement = verify_statement_signature(entry.statement, entry.signature, known)
            if (
                statement.case != case.case
                or statement.status is None
                or statement.status.status != entry.status
                or statement.status.outcome != entry.outcome
                or statement.reviewer_key_id != entry.by
            ):
                raise CandourError("the signed statement says something else than this entry")
            refusal = trust.signer_check(statement.reviewer_key_id, sealed_to)
            if refusal:
                raise CandourError(refusal)
            signer = signer_name(statement.reviewer_key_id)
            fingerprint = known[statement.reviewer_key_id].fingerprint
            items.append(
                TimelineItem(
                    entry.day,
                    entry.status,
                    entry.outcome,
                    statement.status.reason,
                    f"signed by {signer}, fingerprint {fingerprint}",
                    True,
                )
            )
        except CandourError as exc:
            items.append(
                TimelineItem(entry.day, entry.status, entry.outcome, entry.reason, f"NOT VERIFIED: {exc}", False)
            )
    return tuple(items)


def status_text(status: StatusChange | None) -> str | None:
    if status is None:
        return None
    text = status.status + (f" ({status.outcome})" if status.outcome else "")
    return text + (f" — {status.reason}" if status.reason else "")


def _attachments(opened: OpenedSubmission) -> tuple[Attachment, ...]:
    return tuple(
        Attachment(opened.submission, a.info.part, a.info.name, a.info.type, a.info.size) for a in opened.attachments
    )
