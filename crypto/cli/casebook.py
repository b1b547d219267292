"""`casebook init` and `casebook show`: the offline machine's memory of what it verified (crypto.casebook)."""

import argparse
from pathlib import Path

from ..casebook import create_casebook, open_casebook
from .common import load_reviewer_key_file, say


def cmd_casebook_init(args: argparse.Namespace) -> int:
    key_path = Path(args.key)
    keys = load_reviewer_key_file(key_path)
    book = create_casebook(key_path, keys, replace=args.replace)
    say(f"casebook {book.path}: {'replaced by an empty one' if args.replace else 'created'}")
    if args.replace:
        say("everything is now trusted afresh on first sight: confirm the organisation's fingerprint again")
    return 0


def cmd_casebook_show(args: argparse.Namespace) -> int:
    key_path = Path(args.key)
    book = open_casebook(key_path, load_reviewer_key_file(key_path))
    say(f"casebook {book.path} (created {book.created or 'unknown'})")
    if book.org is None:
        say("organisation key: none pinned yet (the unsigned mode, or no export read yet)")
    else:
        say(f"organisation key: fingerprint {book.org.fingerprint}")
    say(f"highest reviewer list serial seen: {book.list_serial or 'none'}")
    head = book.audit_head
    say(f"audit trail head: {'none' if head is None else f'entry {head.seq} {head.hash.hex()}'}")
    say(f"{len(book.cases)} case(s) pinned")
    for case_id, pinned in sorted(book.cases.items()):
        seqs = ", ".join(str(s) for s in sorted(pinned.seqs)) or "none"
        say(f"  {case_id}  first seen {pinned.first_seen or '-'}  your replies: {seqs}")
    return 0
