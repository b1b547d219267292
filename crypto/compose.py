"""Composing one reply on the offline machine: every check before anything is signed or sealed.

The library side of `python3 -m crypto reply`, for the CLI and the Desk alike:
`compose_reply` takes an opened bundle, the case id, the reviewer's keys and casebook,
and returns the signed reply, its number and who its reviewers' copy is sealed to. It
refuses (raising, nothing written) a case whose report the casebook pins otherwise
(`CaseReplacedError`), a case the server swapped the reply key of or added a recipient
to (`BindingError`), and a status change the export's workflow does not allow from the
case's current status (`WorkflowError`, naming the valid choices). The caller appends
the reply to the reply file, then records it with `book.record_reply` and saves.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .bundle import Bundle
from .casebook import Casebook
from .casefolder.read import report_hash
from .errors import BindingError, BundleError, CandourError
from .identity import PublicIdentity, ReviewerKeys
from .reply import SignedReply, StatusChange, make_reply, verify_statement_signature
from .submission import open_submission, verify_only_sinks
from .workflow import Workflow, WorkflowError, current_status


@dataclass(frozen=True)
class ComposedReply:
    reply: SignedReply
    seq: int
    status: StatusChange | None
    recipients: tuple[PublicIdentity, ...]


def my_seqs(statements: Iterable[tuple[bytes, bytes]], case_id: str, keys: ReviewerKeys) -> list[int]:
    """Numbers of this reviewer's replies on this case among (statement, signature) pairs.

    Only statements that verify with the reviewer's own key count, so a server cannot
    push the numbering up with a forged entry.
    """
    mine = {keys.key_id: keys.public}
    numbers = []
    for statement_bytes, signature in statements:
        try:
            statement = verify_statement_signature(statement_bytes, signature, mine)
        except CandourError:
            continue
        if statement.case == case_id:
            numbers.append(statement.seq)
    return numbers


def reply_copy_recipients(
    listed: Sequence[bytes], sealed_to: Sequence[bytes], known: Mapping[bytes, PublicIdentity]
) -> list[PublicIdentity]:
    """The reviewers who get the reviewers' copy of a reply.

    Only reviewers the report itself was sealed to (its header's key ids, which the
    MAC authenticates): a server that listed an extra key of its own on the case would
    otherwise receive a readable copy of every reply.
    """
    sealed = set(sealed_to)
    extra = [key_id.hex() for key_id in listed if key_id not in sealed]
    if extra:
        raise BindingError(
            f"the server lists reviewer {extra[0]} on this case, but the report was not sealed to that key: "
            "no reply was written; tell your organisation"
        )
    missing = [key_id.hex() for key_id in sealed_to if key_id not in known]
    if missing:
        raise BundleError(f"the case's reviewer {missing[0]} is not in the export's reviewer list")
    return [known[key_id] for key_id in sealed_to]


def checked_status(
    status: StatusChange | None, workflow: Workflow | None, current: str, case_id: str
) -> StatusChange | None:
    """The status change resolved to the workflow's names and checked against it and the case's status."""
    if status is None or workflow is None:
        return status
    try:
        name, outcome = workflow.check_change(
            current_status(workflow, current), status.status, status.outcome, status.reason
        )
    except WorkflowError as exc:
        raise WorkflowError(f"case {case_id}: {exc}. No reply was written") from exc
    return StatusChange(status=name, outcome=outcome, reason=status.reason)


def compose_reply(
    bundle: Bundle,
    case_id: str,
    keys: ReviewerKeys,
    book: Casebook,
    text: str,
    status: StatusChange | None,
    *,
    feedback: bool = False,
    earlier: Iterable[SignedReply] = (),
    day: datetime.date | None = None,
) -> ComposedReply:
    """Check everything, then write and sign reply number n+1 on `case_id` (see the module docstring).

    `earlier`: replies already in the reply file (their numbers count). The casebook
    gains the case's pin if it had none; the caller records the reply and saves.
    """
    case = next((c for c in bundle if c.case == case_id), None)
    if case is None:
        raise BundleError(f"case {case_id} is not in this export; export it again from the portal")
    status = checked_status(status, bundle.workflow, case.status, case_id)
    report = case.report
    if report is None:
        raise BundleError(
            f"this export does not hold case {case_id}'s report, so the reporter's reply key cannot be taken "
            "from their signed report: export the whole case"
        )
    # Verifies the reporter's signature and every part; nothing is kept.
    opened = open_submission(
        bundle.part_sources(report), keys, expected_case=case_id, attachment_sink_factory=verify_only_sinks
    )
    # Sealed only to the reporter keys pinned in the casebook: a case whose report or
    # keys the server replaced is refused here (CaseReplacedError).
    book.check_case(case_id, opened.reporter, report_hash(opened), case.created)
    pinned = book.pinned_reporter(case_id)
    if pinned is None or case.reporter != opened.reporter:
        raise BindingError(
            "the server's copy of the reporter's reply key differs from the one in the reporter's signed "
            "report: the server may have swapped it to read replies. No reply was written; tell your organisation"
        )
    recipients = reply_copy_recipients(case.recipients, opened.recipient_key_ids, bundle.known_reviewers())
    history = [(r.statement, r.signature) for r in case.replies]
    history += [(t.statement, t.signature) for t in case.timeline if t.statement and t.signature]
    history += [(r.statement, r.signature) for r in earlier]
    seq = max([*my_seqs(history, case_id, keys), *book.used_seqs(case_id)], default=0) + 1
    when = (day or datetime.datetime.now(datetime.UTC).date()).isoformat()
    reply = make_reply(keys, case_id, pinned.reply_key, recipients, seq, when, text, status, feedback=feedback)
    return ComposedReply(reply=reply, seq=seq, status=status, recipients=tuple(recipients))
