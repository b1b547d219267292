"""`python3 -m crypto desk` / `python3 candour.pyz desk`: start the Candour Desk.

Only this module is imported by the command line; Textual is imported when the Desk
starts, so the rest of the kit keeps working (PyNaCl and the standard library) on a
machine where Textual is missing, and the Desk says so in one sentence.
"""

import argparse
import sys
from pathlib import Path
from typing import Any

TEXTUAL_MISSING = (
    "The Candour Desk needs the Textual library, which this Python does not have: install the kit with "
    "its install.sh (or install.ps1) and start the Desk from the Candour Desk launcher."
)


def add_desk_command(commands: Any, handler: object = None) -> None:
    """Register `desk` on the kit's subcommand parser (crypto.cli's build_parser).

    `handler` is what the parser's `handler` default is set to: `run_desk` itself unless
    the command line names its handlers another way (e.g. "desk:run_desk").
    """
    desk = commands.add_parser("desk", help="open the Candour Desk: read, decide and reply without commands")
    desk.add_argument("--key", metavar="KEYFILE", help="your private key file (default: pick it on screen)")
    desk.add_argument(
        "--data",
        metavar="DIR",
        help="where the Desk keeps imported exports (ciphertext) and its encrypted state (default: next to the key)",
    )
    desk.add_argument("--headless-start", action="store_true", help=argparse.SUPPRESS)
    desk.set_defaults(handler=run_desk if handler is None else handler)


def run_desk(args: argparse.Namespace) -> int:
    try:
        import textual  # noqa: F401
    except ImportError:
        print(TEXTUAL_MISSING, file=sys.stderr)
        return 1
    from .app import DeskApp

    app = DeskApp(key_path=Path(args.key) if args.key else None, data_dir=Path(args.data) if args.data else None)
    if args.headless_start:
        return app.headless_start()
    app.run()
    return 0
