"""`reply`: write one signed, sealed reply into a reply file."""

import argparse
from pathlib import Path

from ..bundle import open_bundle
from ..casebook import open_casebook
from ..compose import compose_reply
from ..errors import BundleError
from ..reply import StatusChange
from ..replyfile import append_to_reply_file, read_reply_file
from ..workflow import Workflow
from .common import CommandError, UsageError, load_reviewer_key_file, printable, read_utf8, require_file, say, today

# `--status list` prints the statuses and outcomes the case may take, and writes nothing.
LIST_CHOICES = ("list", "?")


def _as_signed_text(text: str) -> str:
    """What a message or reason file (or --reason) becomes in the signed reply (docs/format.md
    §15, replies): CR LF and lone CR read as LF, every trailing LF removed, nothing else changed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


def _status_from_args(args: argparse.Namespace) -> StatusChange | None:
    reason = _as_signed_text(args.reason) if args.reason is not None else ""
    if args.reason_file:
        reason = _as_signed_text(read_utf8(Path(args.reason_file), "reason"))
    if not args.status:
        if args.outcome or reason:
            raise UsageError("--outcome and --reason go with --status (the status the case moves to)")
        return None
    return StatusChange(status=args.status, outcome=args.outcome or None, reason=reason)


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
    text = "" if listing else _as_signed_text(read_utf8(Path(args.message_file), "message"))
    status = None if listing else _status_from_args(args)
    existing = read_reply_file(output) if output.exists() else []
    if not output.parent.is_dir():
        raise CommandError(f"the folder {output.parent} does not exist")
    key_path = Path(args.key)
    keys = load_reviewer_key_file(key_path)
    book = open_casebook(key_path, keys)
    with open_bundle(bundle_path, keys) as bundle:
        if listing:
            case = next((c for c in bundle if c.case == case_id), None)
            if case is None:
                raise BundleError(f"case {case_id} is not in this export; export it again from the portal")
            return _list_choices(bundle.workflow, case.status)
        composed = compose_reply(
            bundle, case_id, keys, book, text, status, feedback=args.feedback, earlier=existing, day=today()
        )
    count = append_to_reply_file(output, composed.reply)
    book.record_reply(case_id, composed.seq)
    book.save()
    say(f"reply {composed.seq} on case {case_id} added to {printable(str(output))} ({count} in the file)")
    say("sealed to the reporter's reply key pinned from their signed report, and for the case's reviewers:")
    for identity in composed.recipients:
        say(f"  {printable(identity.name)}  key id {identity.key_id.hex()}  fingerprint: {identity.fingerprint}")
    if composed.status is not None:
        change = composed.status
        say(
            f"status change: {printable(change.status)}" + (f" ({printable(change.outcome)})" if change.outcome else "")
        )
    if args.feedback:
        say("marked as feedback on the report (it meets the feedback deadline)")
    return 0
