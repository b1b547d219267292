"""`keygen` and `org keygen`: make a key pair, both files or neither, never replacing one."""

import argparse
from pathlib import Path

from ..casebook import create_casebook
from ..identity import generate_org_keys, generate_reviewer_keys
from ..keypair import reviewer_pub_text, write_key_pair
from ..text import is_forbidden_char
from .common import CommandError, UsageError, read_passphrase, say


def _file_stem(name: str) -> str:
    """The key's name is also its file name, so it must be one harmless path component."""
    stripped = name.strip()
    if (
        not stripped
        or stripped in (".", "..")
        or stripped.startswith(".")
        or any(c in stripped for c in "/\\")
        or any(is_forbidden_char(c) for c in stripped)
    ):
        raise UsageError("--name is also the file name: no '/', '\\' or control characters, and no leading '.'")
    return stripped


def _prepare_key_dir(directory: Path, *names: str) -> list[Path]:
    if directory.exists() and not directory.is_dir():
        raise CommandError(f"{directory} is not a folder")
    paths = [directory / n for n in names]
    for path in paths:
        if path.exists():
            raise CommandError(f"{path} already exists: keygen never replaces a key; choose another --name or --dir")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return paths


def cmd_keygen(args: argparse.Namespace) -> int:
    stem = _file_stem(args.name)
    keys = generate_reviewer_keys(args.name)
    key_path, pub_path = _prepare_key_dir(Path(args.dir), f"{stem}.key", f"{stem}.pub")
    passphrase = read_passphrase(f"Choose a passphrase for {key_path}: ", confirm=True)
    identity = keys.public
    write_key_pair(keys, key_path, pub_path, reviewer_pub_text(identity), passphrase, args.kdf)
    book = create_casebook(key_path, keys)
    say(f"private key: {key_path} (keep it on this machine; it is useless without the passphrase)")
    say(f"casebook:    {book.path} (what this machine has verified; back it up with the key)")
    say(f"public key:  {pub_path} (give this file to the portal administrator)")
    say(f"fingerprint: {identity.fingerprint}")
    say(f"key id:      {identity.key_id.hex()}")
    return 0


def cmd_org_keygen(args: argparse.Namespace) -> int:
    keys = generate_org_keys(args.name)
    key_path, pub_path = _prepare_key_dir(Path(args.dir), "org.key", "org.pub")
    passphrase = read_passphrase(f"Choose a passphrase for {key_path}: ", confirm=True)
    identity = keys.public
    pub_text = (
        f"# Candour organisation key: {identity.name}\n# fingerprint: {identity.fingerprint}\n{identity.to_line()}\n"
    )
    write_key_pair(keys, key_path, pub_path, pub_text, passphrase, args.kdf)
    say(f"organisation private key: {key_path} (keep it offline)")
    say(f"organisation public key:  {pub_path}")
    say(f"fingerprint: {identity.fingerprint}")
    return 0
