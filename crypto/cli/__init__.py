"""`python -m crypto`: the reviewer's offline tool.

Every command either succeeds or prints exactly one line, `error: <message>`, on
stderr and exits non-zero (1 for a cryptographic, format or file failure, 2 for a
mistake in the command line), leaving no partial output file behind.

One module per command group: keys (keygen, org keygen), envelopes (seal, open),
org (org sign and reviewer-list checks), decrypt, reply, verify; common holds what
they share and parser the command line. A command's module is imported only when it
runs.
"""

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from ..errors import CandourError
from .common import (
    DEBUG_ENV,
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    CommandError,
    UsageError,
    printable,
    read_passphrase,
    say,
    today,
)
from .parser import build_parser

__all__ = [
    "DEBUG_ENV",
    "PASSPHRASE_ENV",
    "PASSPHRASE_FILE_ENV",
    "CommandError",
    "UsageError",
    "build_parser",
    "main",
    "printable",
    "read_passphrase",
    "say",
    "today",
]


def _handler(name: str) -> "Callable[..., int]":
    module_name, _, function = name.partition(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    handler: Callable[..., int] = getattr(module, function)
    return handler


def _one_line(message: str) -> str:
    return printable(" ".join(message.split()))


def _describe_os_error(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _handler(args.handler)(args)
    except UsageError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except (CandourError, CommandError) as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {_one_line(_describe_os_error(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        detail = f"{type(exc).__name__}: {_one_line(str(exc))}"
        print(f"error: unexpected failure ({detail}); please report it", file=sys.stderr)
        return 1
