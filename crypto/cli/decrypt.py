"""`decrypt`: an export bundle into a folder of readable cases."""

import argparse
from pathlib import Path
from typing import Any

from ..bundle import open_bundle
from ..casefolder import write_case_folders
from .common import CommandError, load_reviewer_key_file, parse_day, printable, require_file, say, today
from .org import optional_reviewer_list


def cmd_decrypt(args: argparse.Namespace) -> int:
    bundle_path, out_dir = Path(args.bundle), Path(args.out)
    require_file(bundle_path, "export bundle")
    if out_dir.exists() and not out_dir.is_dir():
        raise CommandError(f"{out_dir} exists and is not a folder")
    day = parse_day(args.today) if args.today else today()
    signed_list = optional_reviewer_list(args)
    keys = load_reviewer_key_file(Path(args.key))
    options: dict[str, Any] = {}
    if signed_list is not None:
        options = {
            "known_reviewers": {r.key_id: r.identity for r in signed_list.reviewers},
            "reviewer_names": {r.key_id: f"{r.display_name} ({r.identity.name})" for r in signed_list.reviewers},
            "list_label": f"the organisation-signed reviewer list (serial {signed_list.serial})",
        }
    with open_bundle(bundle_path, keys) as bundle:
        summary = write_case_folders(bundle, keys, out_dir, day, **options)
    for result in summary.written:
        flag = f"  [{result.deadline.description}]" if result.deadline.overdue else ""
        say(f"decrypted case {result.case.case} into {printable(str(out_dir / result.case.case))}{flag}")
    for unread in summary.unreadable:
        say(f"could not read case {unread.case.case}: {printable(' '.join(unread.reason.split()))}")
    say(f"{len(summary.written)} cases decrypted, {len(summary.unreadable)} could not be read")
    say(f"open {printable(str(summary.index_path))} in a browser")
    return 0
