"""Making the reviewer's key from the Desk, so the first step needs no command either.

The same files as `keygen` (crypto/cli/keys.py): NAME.key (the private key, encrypted
under the passphrase, 0600), NAME.pub (comment lines with the name, fingerprint and key
id, then the identity line), both or neither, never replacing an existing file; then
NAME.casebook, the empty casebook that the Desk and `python3 -m crypto` share.
"""

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..casebook import create_casebook
from ..errors import CandourError
from ..identity import PublicIdentity, generate_reviewer_keys
from ..keypair import reviewer_pub_text, write_key_pair

MIN_PASSPHRASE_CHARS = 12


class KeyMakingError(CandourError):
    """The key was not made; the message says what to change."""


@dataclass(frozen=True)
class MadeKey:
    key_path: Path
    pub_path: Path
    identity: PublicIdentity


def default_key_folder(home: Path) -> Path:
    """Tails' Persistent Storage when there is one, so the key survives a restart."""
    persistent = home / "Persistent"
    return (persistent if persistent.is_dir() else home) / "keys"


def file_stem(name: str) -> str:
    if (
        not name
        or name != name.strip()
        or name.startswith(".")
        or any(c in name for c in "/\\")
        or any(unicodedata.category(c).startswith("C") for c in name)
    ):
        raise KeyMakingError(
            "your name is also the key's file name: no '/', '\\', control characters, leading '.' or spaces at the ends"
        )
    return name


def make_key(name: str, folder: Path, passphrase: str, repeated: str, profile: str = "moderate") -> MadeKey:
    stem = file_stem(name)
    if passphrase != repeated:
        raise KeyMakingError("the two passphrases differ; type the same one twice")
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise KeyMakingError(
            f"choose a longer passphrase: at least {MIN_PASSPHRASE_CHARS} characters (several unrelated words)"
        )
    keys = generate_reviewer_keys(name)
    key_path, pub_path = folder / f"{stem}.key", folder / f"{stem}.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise KeyMakingError(f"{path} already exists: a key is never replaced; choose another name or folder")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    identity = keys.public
    write_key_pair(keys, key_path, pub_path, reviewer_pub_text(identity), passphrase, profile)
    create_casebook(key_path, keys)
    return MadeKey(key_path, pub_path, identity)
