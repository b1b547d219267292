"""`seal` and `open`: one envelope to and from a file."""

import argparse
from pathlib import Path

from ..envelope import MAGIC, new_submission_id
from ..errors import FormatError
from ..files import open_to_file, seal_to_file
from .common import (
    ZIP_MAGIC,
    check_output_free,
    load_public_identity_file,
    load_reviewer_key_file,
    printable,
    require_file,
    say,
)


def cmd_seal(args: argparse.Namespace) -> int:
    recipients = [load_public_identity_file(Path(p)) for p in args.to]
    source, output = Path(args.input), Path(args.output)
    require_file(source, "input file")
    check_output_free(output, args.force)
    sealed = seal_to_file(source, output, recipients, new_submission_id(), 0, overwrite=args.force)
    say(f"sealed {printable(str(source))} ({sealed.plaintext_size} bytes) into {printable(str(output))} for:")
    for identity in recipients:
        say(f"  {printable(identity.name)}  key id {identity.key_id.hex()}  fingerprint: {identity.fingerprint}")
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    source, output = Path(args.input), Path(args.output)
    require_file(source, "envelope")
    with source.open("rb") as handle:
        start = handle.read(len(MAGIC))
    if start.startswith(ZIP_MAGIC):
        raise FormatError(f"{source} is an export bundle, not one envelope: use 'python -m crypto decrypt'")
    if start != MAGIC:
        raise FormatError(f"{source} is not a Candour envelope (the first bytes are not 'CANDOUR')")
    check_output_free(output, args.force)
    keys = load_reviewer_key_file(Path(args.key))
    opened = open_to_file(source, output, keys, overwrite=args.force)
    say(
        f"opened {printable(str(source))}: {opened.plaintext_size} bytes written to {printable(str(output))} "
        f"(part {opened.part_index} of submission {opened.submission_id.hex()})"
    )
    return 0
