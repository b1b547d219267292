"""The Desk's folder on the offline machine: nothing in it is readable without the key.

    <data>/exports/<sha256>.zip   each imported export exactly as it came (ciphertext)
    <data>/state.cnd              the Desk's state (drafts, outbox, what was seen; the pins
                                  and reply numbers are in the casebook beside the key),
                                  JSON encrypted with XSalsa20-Poly1305 (SecretBox) under a
                                  key derived from the reviewer's private key

The state key is BLAKE2b-256 keyed with the reviewer's X25519 secret key over a fixed
label, so the file is useless without the key file and its passphrase. Every write
is atomic and durable (crypto.files.atomic_write). A damaged state file is an error
that names the file and what to do; it is never silently reset.
"""

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from ..errors import CandourError
from ..files import atomic_write, fsync_directory
from ..identity import ReviewerKeys

STATE_FILE = "state.cnd"
EXPORTS_DIR = "exports"
STATE_MAGIC = b"CANDOUR-DESK-STATE-1\n"
STATE_LABEL = b"candour/v1 desk state key"
DATA_DIR_NAME = "candour-desk"
STATE_VERSION = 1
MAX_STATE_BYTES = 256 * 1024 * 1024


class DeskStateError(CandourError):
    """The Desk's state file cannot be read; the message says what to do."""


def default_data_dir(key_path: Path) -> Path:
    """Next to the key file: the key folder is the one the reviewer already protects."""
    return key_path.resolve().parent / DATA_DIR_NAME


def empty_state() -> dict[str, Any]:
    return {"version": STATE_VERSION, "exports": [], "seen": {}, "drafts": {}, "outbox": []}


def _state_key(keys: ReviewerKeys) -> bytes:
    return hashlib.blake2b(STATE_LABEL, key=keys.box_secret_key, digest_size=32).digest()


class Vault:
    """The Desk's folder for one reviewer. State: the folder and the derived key."""

    def __init__(self, directory: Path, keys: ReviewerKeys) -> None:
        self.directory = directory
        self._box = SecretBox(_state_key(keys))
        self.key_id = keys.key_id

    @property
    def exports_dir(self) -> Path:
        return self.directory / EXPORTS_DIR

    @property
    def state_path(self) -> Path:
        return self.directory / STATE_FILE

    def _prepare(self) -> None:
        for folder in (self.directory, self.exports_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def load_state(self) -> dict[str, Any]:
        path = self.state_path
        if not path.exists():
            return empty_state()
        data = path.read_bytes()
        if len(data) > MAX_STATE_BYTES or not data.startswith(STATE_MAGIC):
            raise DeskStateError(
                f"{path} is not a Candour Desk state file; move it away and start the Desk again "
                "(your imported exports are kept; drafts and the outbox are lost)"
            )
        try:
            plain = self._box.decrypt(data[len(STATE_MAGIC) :])
        except CryptoError:
            raise DeskStateError(
                f"{path} does not open with this key: it belongs to another key, or is damaged. Use the key you "
                "used before, or move the file away and start again (drafts and the outbox are lost)"
            ) from None
        state = json.loads(plain.decode("utf-8"))
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise DeskStateError(f"{path} was written by another version of the Desk")
        merged = empty_state()
        merged.update(state)
        return merged

    def save_state(self, state: dict[str, Any]) -> None:
        self._prepare()
        plain = json.dumps(state, sort_keys=True, separators=(",", ":")).encode("utf-8")
        with atomic_write(self.state_path) as handle:
            handle.write(STATE_MAGIC + bytes(self._box.encrypt(plain)))

    def store_export(self, source: Path) -> tuple[str, Path]:
        """Copy an export file in as it is (ciphertext); returns (name, path). Same file, same name."""
        self._prepare()
        digest = hashlib.sha256()
        with source.open("rb") as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
        name = digest.hexdigest()[:32] + ".zip"
        target = self.exports_dir / name
        if not target.exists():
            with source.open("rb") as handle, atomic_write(target, mode=0o600) as sink:
                _copy(handle, sink)
            fsync_directory(self.exports_dir)
        return name, target

    def export_path(self, name: str) -> Path:
        return self.exports_dir / name


def _copy(source: BinaryIO, sink: BinaryIO) -> None:
    shutil.copyfileobj(source, sink, 1024 * 1024)
