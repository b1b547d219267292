"""What every command shares: errors, output, passphrases, reading the files a command is given.

Imports only the standard library at load time; the key-file code is imported by the
functions that load keys, so `python -m crypto --help` stays fast.
"""

import argparse
import datetime
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import IdentityError
from ..text import visible_name

if TYPE_CHECKING:
    from ..identity import OrgKeys, PublicIdentity, ReviewerKeys

PASSPHRASE_FILE_ENV = "CANDOUR_PASSPHRASE_FILE"  # noqa: S105 - a variable name, not a secret
# The passphrase itself in the environment: for scripts such as `make demo-reviewer`.
PASSPHRASE_ENV = "CANDOUR_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
DEBUG_ENV = "CANDOUR_DEBUG"
MAX_SMALL_FILE_BYTES = 80 * 1024 * 1024  # reply files are capped at 64 MiB, lists at 1 MiB
ZIP_MAGIC = b"PK\x03\x04"


class UsageError(Exception):
    """The command line is wrong: exit status 2."""


class CommandError(Exception):
    """A failure outside the crypto package (a file, a prompt): exit status 1."""


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, like every other failure."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def printable(text: str) -> str:
    """Escape control characters so a name from a file cannot drive the terminal (crypto.text's rule)."""
    return visible_name(text)


def say(line: str = "") -> None:
    print(line, flush=True)


# --- inputs ---------------------------------------------------------------------


def read_passphrase(prompt: str, *, confirm: bool = False) -> str:
    """From the file named by CANDOUR_PASSPHRASE_FILE, else CANDOUR_PASSPHRASE, else a prompt."""
    file_name = os.environ.get(PASSPHRASE_FILE_ENV)
    if file_name:
        try:
            text = Path(file_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the passphrase file named by {PASSPHRASE_FILE_ENV} ({file_name})") from exc
        if text.endswith("\n"):
            text = text[:-1]
            if text.endswith("\r"):
                text = text[:-1]
        if not text:
            raise CommandError(f"the passphrase file named by {PASSPHRASE_FILE_ENV} is empty")
        return text
    from_environment = os.environ.get(PASSPHRASE_ENV)
    if from_environment:
        return from_environment
    try:
        passphrase = getpass.getpass(prompt)
        if not passphrase:
            raise CommandError("no passphrase entered")
        if confirm and getpass.getpass("Type the passphrase again: ") != passphrase:
            raise CommandError("the two passphrases differ; nothing was written")
    except EOFError:
        raise CommandError(f"no passphrase given (type it at the prompt or set {PASSPHRASE_FILE_ENV})") from None
    return passphrase


def require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise CommandError(f"no {what} at {path}")
    if not path.is_file():
        raise CommandError(f"{path} is not a file (expected the {what})")


def load_reviewer_key_file(path: Path) -> "ReviewerKeys":
    from ..identity import load_reviewer_keys

    require_file(path, "key file")
    return load_reviewer_keys(path, read_passphrase(f"Passphrase for {path}: "))


def load_org_key_file(path: Path) -> "OrgKeys":
    from ..identity import load_org_keys

    require_file(path, "organisation key file")
    return load_org_keys(path, read_passphrase(f"Passphrase for the organisation key {path}: "))


def read_small_file(path: Path, what: str) -> bytes:
    require_file(path, what)
    if path.stat().st_size > MAX_SMALL_FILE_BYTES:
        raise CommandError(f"{path} is too large to be a {what}")
    return path.read_bytes()


def read_text_file(path: Path, what: str) -> str:
    try:
        return read_small_file(path, what).decode("utf-8")
    except UnicodeDecodeError:
        raise IdentityError(f"{path} is not a {what} (it is not text)") from None


def load_public_identity_file(path: Path) -> "PublicIdentity":
    from ..identity import parse_public_identity

    text = read_text_file(path, "public key file (.pub)")
    try:
        return parse_public_identity(text)
    except IdentityError as exc:
        raise IdentityError(f"{path}: {exc}") from exc


def load_org_identity_file(path: Path) -> Any:
    from ..identity import parse_org_identity

    text = read_text_file(path, "organisation public key file (org.pub)")
    try:
        return parse_org_identity(text)
    except IdentityError as exc:
        raise IdentityError(f"{path}: {exc}") from exc


def check_output_free(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise CommandError(f"{path} already exists; choose another name, remove it, or add --force to replace it")
    if not path.parent.is_dir():
        raise CommandError(f"the folder {path.parent} does not exist")


def today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def parse_day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a YYYY-MM-DD date") from None


def read_utf8(path: Path, what: str) -> str:
    data = read_small_file(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text; save the {what} as UTF-8") from None
