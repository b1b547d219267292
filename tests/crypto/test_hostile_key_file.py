"""Hostile private key files (found by tests/fuzz, issue #7): every damage is a `KeyFileError`."""

import json
from pathlib import Path

import pytest

from crypto.errors import KeyFileError
from crypto.identity import MAX_KEY_FILE_BYTES, ReviewerKeys, load_private_key, save_private_key

ALICE = ReviewerKeys("alice", bytes([1]) * 32)
PASSPHRASE = "correct horse battery staple"


# --- private key files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key_document(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("key") / "alice.key"
    save_private_key(ALICE, path, PASSPHRASE, profile="interactive")
    return json.loads(path.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "fuzzed.key"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,  # was RecursionError
        b'{"format": "candour-private-key", "version": ' + b"1" * 5000 + b"}",  # was ValueError (int digits)
    ],
    ids=["depth-bomb", "huge-integer"],
)
def test_key_file_that_json_cannot_take_is_a_key_file_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(KeyFileError, match="not a Candour private key file"):
        load_private_key(_write(tmp_path, data), PASSPHRASE)


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("kdf", "opslimit", float("inf")),  # was OverflowError from int()
        ("kdf", "opslimit", "2"),  # a string is not a number, even one int() would take
        ("kdf", "memlimit", True),
        ("kdf", "salt", 12),  # was AttributeError from unb64url
        (None, "nonce", None),
        (None, "sealed_seed", ["x"]),
        (None, "name", 123),  # was AttributeError once the seed opened
        (None, "kdf", "argon2id13"),
    ],
)
def test_key_file_field_of_the_wrong_type_is_a_key_file_error(
    tmp_path: Path, key_document: dict, where: str | None, key: str, value: object
) -> None:
    document = json.loads(json.dumps(key_document))
    (document[where] if where else document)[key] = value
    with pytest.raises(KeyFileError, match="damaged"):
        load_private_key(_write(tmp_path, json.dumps(document).encode()), PASSPHRASE)


def test_key_file_name_that_is_not_a_key_name_is_a_key_file_error(tmp_path: Path, key_document: dict) -> None:
    document = dict(key_document, name="alice\x07")  # was IdentityError, from deriving the public line
    with pytest.raises(KeyFileError, match="control characters"):
        load_private_key(_write(tmp_path, json.dumps(document).encode()), PASSPHRASE)


def test_passphrase_that_is_not_utf8_is_a_key_file_error(tmp_path: Path, key_document: dict) -> None:
    # Undecodable bytes in an environment variable reach Python as lone surrogates (was UnicodeEncodeError).
    with pytest.raises(KeyFileError, match="not valid UTF-8"):
        load_private_key(_write(tmp_path, json.dumps(key_document).encode()), "pass\udcffword")


def test_key_file_far_too_large_is_refused_unread(tmp_path: Path, key_document: dict) -> None:
    data = json.dumps(key_document).encode() + b" " * MAX_KEY_FILE_BYTES
    with pytest.raises(KeyFileError, match="far too large"):
        load_private_key(_write(tmp_path, data), PASSPHRASE)


def test_key_file_still_loads(tmp_path: Path, key_document: dict) -> None:
    keys = load_private_key(_write(tmp_path, json.dumps(key_document).encode()), PASSPHRASE)
    assert keys.public == ALICE.public
