"""Writing a new key pair's files: NAME.key and NAME.pub, both or neither.

The command line (`keygen`, `org keygen`) and the Desk ("Make a new key") both make keys;
this is the one place that writes them, so an interrupted write never leaves a private
key without its public file (or the other way round) and never replaces a file.
"""

from pathlib import Path

from .files import atomic_write, publish_file, temp_path_in
from .identity import OrgKeys, PublicIdentity, ReviewerKeys, save_private_key


def reviewer_pub_text(identity: PublicIdentity) -> str:
    """The reviewer's `.pub` file: comments a person can read, then the identity line."""
    return (
        f"# Candour reviewer public key: {identity.name}\n"
        f"# fingerprint: {identity.fingerprint}\n"
        f"# key id: {identity.key_id.hex()}\n"
        f"{identity.to_line()}\n"
    )


def write_key_pair(
    keys: ReviewerKeys | OrgKeys, key_path: Path, pub_path: Path, pub_text: str, passphrase: str, profile: str
) -> None:
    """Write the private key (under `passphrase`) and the public file, both or neither,
    never replacing an existing file."""
    temp_key = temp_path_in(key_path.parent)
    try:
        save_private_key(keys, temp_key, passphrase, profile)
        with atomic_write(pub_path, overwrite=False, mode=0o644) as handle:
            handle.write(pub_text.encode("utf-8"))
        try:
            publish_file(temp_key, key_path, overwrite=False)
        except BaseException:
            pub_path.unlink(missing_ok=True)
            raise
    finally:
        temp_key.unlink(missing_ok=True)
