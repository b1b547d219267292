"""`reply`: write one signed, sealed reply into a reply file."""

import argparse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..bundle import open_bundle
from ..errors import BindingError, BundleError, CandourError
from ..identity import PublicIdentity, ReviewerKeys
from ..reply import StatusChange, make_reply, verify_statement_signature
from ..replyfile import append_to_reply_file, read_reply_file
from ..submission import open_submission, verify_only_sinks
from .common import CommandError, UsageError, load_reviewer_key_file, printable, read_utf8, require_file, say, today


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


def cmd_reply(args: argparse.Namespace) -> int:
    case_id = args.case.strip().lower()
    if len(case_id) != 32 or any(c not in "0123456789abcdef" for c in case_id):
        raise UsageError("--case takes the case id, 32 hexadecimal characters (as in the case folder's name)")
    bundle_path, output = Path(args.bundle), Path(args.output)
    require_file(bundle_path, "export bundle")
    text = read_utf8(Path(args.message_file), "message").rstrip("\n")
    status = _status_from_args(args)
    existing = read_reply_file(output) if output.exists() else []
    if not output.parent.is_dir():
        raise CommandError(f"the folder {output.parent} does not exist")
    keys = load_reviewer_key_file(Path(args.key))
    with open_bundle(bundle_path, keys) as bundle:
        case = next((c for c in bundle if c.case == case_id), None)
        if case is None:
            raise BundleError(f"case {case_id} is not in this export; export it again from the portal")
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
        if case.reporter != opened.reporter:
            raise BindingError(
                "the server's copy of the reporter's reply key differs from the one in the reporter's signed "
                "report: the server may have swapped it to read replies. No reply was written; tell your organisation"
            )
        known = bundle.known_reviewers()
        recipients = _reply_copy_recipients(case.recipients, opened.recipient_key_ids, known)
        history = [(r.statement, r.signature) for r in case.replies]
        history += [(t.statement, t.signature) for t in case.timeline if t.statement and t.signature]
    history += [(r.statement, r.signature) for r in existing]
    seq = max(_my_seqs(history, case_id, keys), default=0) + 1
    reply = make_reply(keys, case_id, opened.reply_key, recipients, seq, today().isoformat(), text, status)
    count = append_to_reply_file(output, reply)
    say(f"reply {seq} on case {case_id} added to {printable(str(output))} ({count} in the file)")
    say("sealed to the reporter's reply key from their signed report, and for the case's reviewers:")
    for identity in recipients:
        say(f"  {printable(identity.name)}  key id {identity.key_id.hex()}  fingerprint: {identity.fingerprint}")
    if status is not None:
        say(
            f"status change: {printable(status.status)}" + (f" ({printable(status.outcome)})" if status.outcome else "")
        )
    return 0
