"""`decrypt`: an export bundle into a folder of readable cases, checked against the casebook."""

import argparse
import sys
from pathlib import Path

from ..audit_notes import account_changes
from ..bundle import open_bundle
from ..casebook import open_casebook
from ..casefolder import write_case_folders
from ..trust import choose_trust
from .common import (
    CommandError,
    load_org_identity_file,
    load_reviewer_key_file,
    parse_day,
    printable,
    require_file,
    say,
    today,
)
from .org import optional_reviewer_list


def _typed_fingerprint(args: argparse.Namespace) -> str | None:
    """At first use: the organisation's six words from --org-fingerprint, --org, or typed at a prompt."""
    if args.org_fingerprint:
        return str(args.org_fingerprint)
    if args.org:
        return str(load_org_identity_file(Path(args.org)).fingerprint)
    if sys.stdin.isatty():
        say("This export's reviewer list is signed by an organisation key this machine has not seen yet.")
        return input("Type its six-word fingerprint, as your organisation gave it to you: ")
    return None


def cmd_decrypt(args: argparse.Namespace) -> int:
    bundle_path, out_dir = Path(args.bundle), Path(args.out)
    require_file(bundle_path, "export bundle")
    if out_dir.exists() and not out_dir.is_dir():
        raise CommandError(f"{out_dir} exists and is not a folder")
    day = parse_day(args.today) if args.today else today()
    key_path = Path(args.key)
    keys = load_reviewer_key_file(key_path)
    book = open_casebook(key_path, keys)
    with open_bundle(bundle_path, keys) as bundle:
        trust = choose_trust(bundle, book, lambda: _typed_fingerprint(args), optional_reviewer_list(args))
        # A rewritten audit trail refuses the whole export before anything is written.
        previous_head = book.audit_head
        continuity = book.check_audit(bundle.audit) if bundle.audit is not None else None
        changes = account_changes(bundle.audit, previous_head) if bundle.audit is not None else []
        summary = write_case_folders(
            bundle,
            keys,
            out_dir,
            day,
            known_reviewers=trust.known,
            reviewer_names=trust.names,
            list_label=trust.label,
            trust_warning=trust.warning,
            casebook=book,
        )
    book.save()
    if trust.warning:
        say(f"WARNING: {printable(trust.warning)}")
    if continuity is not None:
        say(f"audit trail: {printable(continuity.message)}")
    if changes:
        say("The audit trail records these changes to accounts and reviewers since your last export:")
        for change in changes:
            say(f"  {change}")
        say("If you did not expect one of them, tell your organisation before you reply.")
    for result in summary.written:
        flag = f"  [{result.deadline.description}]" if result.deadline.overdue else ""
        say(f"decrypted case {result.case.case} into {printable(str(out_dir / result.case.case))}{flag}")
        for warning in result.warnings:
            say(f"  WARNING: {printable(' '.join(warning.split()))}")
    for unread in summary.unreadable:
        what = "REFUSED" if unread.refused else "could not read"
        say(f"{what} case {unread.case.case}: {printable(' '.join(unread.reason.split()))}")
    say(f"{len(summary.written)} cases decrypted, {len(summary.unreadable)} could not be read")
    say(f"open {printable(str(summary.index_path))} in a browser")
    return 0
