"""`reply`: write one signed, sealed reply into a reply file."""

import argparse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..bundle import open_bundle
from ..casebook import open_casebook
from ..casefolder.read import report_hash
from ..errors import BindingError, BundleError, CandourError
from ..identity import PublicIdentity, ReviewerKeys
from ..reply import StatusChange, make_reply, verify_statement_signature
from ..replyfile import append_to_reply_file, read_reply_file
from ..submission import open_submission, verify_only_sinks
from ..workflow import Workflow, WorkflowError
from .common import CommandError, UsageError, load_reviewer_key_file, printable, read_utf8, require_file, say, today

# `--status list` prints the statuses and outcomes the case may take, and writes nothing.
LIST_CHOICES = ("list", "?")


def _my_seqs(statements: Iterable[tuple[bytes, bytes]], case_id: str, keys: ReviewerKeys) -> list[int]:
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


def _status_from_args(args: argparse.Namespace) -> StatusChange | None:
    reason = args.reason if args.reason is not None else ""
    if args.reason_file:
        reason = read_utf8(Path(args.reason_file), "reason").rstrip("\n")
    if not args.status:
        if args.outcome or reason:
            raise UsageError("--outcome and --reason go with --status (the status the case moves to)")
        return None
    return StatusChange(status=args.status, outcome=args.outcome or None, reason=reason)


def _reply_copy_recipients(
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


def _checked_status(
    status: StatusChange | None, workflow: Workflow | None, current: str, case_id: str
) -> StatusChange | None:
    """The status change resolved to the workflow's names and checked against it and the case's status."""
    if status is None or workflow is None:
        return status
    try:
        name, outcome = workflow.check_change(current, status.status, status.outcome, status.reason)
    except WorkflowError as exc:
        raise WorkflowError(f"case {case_id}: {exc}. No reply was written") from exc
    return StatusChange(status=name, outcome=outcome, reason=status.reason)


def _list_choices(workflow: Workflow | None, current: str) -> int:
    if workflow is None:
        say("this export (manifest version 1) does not carry the organisation's workflow")
        return 0
    say(f"the case is '{workflow.label_of(current)}' ({current}); it can become:")
    for choice in workflow.allowed_from(current):
        say(f"  {printable(choice.shown())}")
    say(f"closing ('{workflow.label_of(workflow.final)}') takes --outcome, one of:")
    for choice in workflow.outcomes:
        say(f"  {printable(choice.shown())}")
    if workflow.reason_required:
        say("every status change needs --reason (or --reason-file)")
    return 0


def cmd_reply(args: argparse.Namespace) -> int:
    case_id = args.case.strip().lower()
    if len(case_id) != 32 or any(c not in "0123456789abcdef" for c in case_id):
        raise UsageError("--case takes the case id, 32 hexadecimal characters (as in the case folder's name)")
    bundle_path, output = Path(args.bundle), Path(args.output)
    require_file(bundle_path, "export bundle")
    listing = args.status in LIST_CHOICES
    if not listing and not args.message_file:
        raise UsageError("give the reply's text with --message-file FILE")
    text = "" if listing else read_utf8(Path(args.message_file), "message").rstrip("\n")
    status = None if listing else _status_from_args(args)
    existing = read_reply_file(output) if output.exists() else []
    if not output.parent.is_dir():
        raise CommandError(f"the folder {output.parent} does not exist")
    key_path = Path(args.key)
    keys = load_reviewer_key_file(key_path)
    book = open_casebook(key_path, keys)
    with open_bundle(bundle_path, keys) as bundle:
        case = next((c for c in bundle if c.case == case_id), None)
        if case is None:
            raise BundleError(f"case {case_id} is not in this export; export it again from the portal")
        if listing:
            return _list_choices(bundle.workflow, case.status)
        status = _checked_status(status, bundle.workflow, case.status, case_id)
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
        # The reply is sealed only to the reporter keys pinned in the casebook: a case whose
        # report or keys the server replaced is refused here (CaseReplacedError).
        book.check_case(case_id, opened.reporter, report_hash(opened), case.created)
        pinned = book.pinned_reporter(case_id)
        if pinned is None or case.reporter != opened.reporter:
            raise BindingError(
                "the server's copy of the reporter's reply key differs from the one in the reporter's signed "
                "report: the server may have swapped it to read replies. No reply was written; tell your organisation"
            )
        known = bundle.known_reviewers()
        recipients = _reply_copy_recipients(case.recipients, opened.recipient_key_ids, known)
        history = [(r.statement, r.signature) for r in case.replies]
        history += [(t.statement, t.signature) for t in case.timeline if t.statement and t.signature]
    history += [(r.statement, r.signature) for r in existing]
    seq = max([*_my_seqs(history, case_id, keys), *book.used_seqs(case_id)], default=0) + 1
    reply = make_reply(
        keys, case_id, pinned.reply_key, recipients, seq, today().isoformat(), text, status, feedback=args.feedback
    )
    count = append_to_reply_file(output, reply)
    book.record_reply(case_id, seq)
    book.save()
    say(f"reply {seq} on case {case_id} added to {printable(str(output))} ({count} in the file)")
    say("sealed to the reporter's reply key pinned from their signed report, and for the case's reviewers:")
    for identity in recipients:
        say(f"  {printable(identity.name)}  key id {identity.key_id.hex()}  fingerprint: {identity.fingerprint}")
    if status is not None:
        say(
            f"status change: {printable(status.status)}" + (f" ({printable(status.outcome)})" if status.outcome else "")
        )
    if args.feedback:
        say("marked as feedback on the report (it meets the feedback deadline)")
    return 0
