"""The recipients statement (docs/format.md §7.1): the vectors in tests/vectors/recipients/
(the browser code runs the same files: tests/js/recipients.test.mjs) and the reader's
refusals of bytes no honest writer makes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from crypto import errors
from crypto.identity import b64url, unb64url
from crypto.submission.recipients import (
    RECIPIENTS_CONTEXT,
    recipients_statement,
    sign_recipients,
    verify_recipients,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "recipients"
CASE = "ab" * 16
IDS = ["1111111111111111", "0000000000000000"]


def _vectors() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(VECTORS.glob("*.json"))]


def test_the_vector_family_holds_a_valid_and_a_tampered_statement() -> None:
    assert sorted(vector["expected"]["outcome"] for vector in _vectors()) == ["accepted", "refused"]


@pytest.mark.parametrize("vector", _vectors(), ids=lambda vector: str(vector["expected"]["outcome"]))
def test_vectors(vector: dict[str, Any]) -> None:
    key = SigningKey(bytes.fromhex(vector["sign_seed"]))
    assert b64url(bytes(key.verify_key)) == vector["sign_public_key"]
    statement, signature = unb64url(vector["statement"]), unb64url(vector["signature"])
    expected = vector["expected"]
    if expected["outcome"] == "accepted":
        assert sign_recipients(key, vector["case"], vector["recipients"]) == (statement, signature)
        assert verify_recipients(statement, signature, bytes(key.verify_key), vector["case"]) == expected["recipients"]
    else:
        with pytest.raises(getattr(errors, expected["error"])):
            verify_recipients(statement, signature, bytes(key.verify_key), vector["case"])


def _signed(key: SigningKey, statement: bytes) -> bytes:
    return key.sign(RECIPIENTS_CONTEXT + statement).signature


def test_another_case_another_key_and_a_short_signature_are_refused() -> None:
    key = SigningKey(bytes(32))
    statement, signature = sign_recipients(key, CASE, IDS)
    with pytest.raises(errors.FormatError, match="another case"):
        verify_recipients(statement, signature, bytes(key.verify_key), "cd" * 16)
    with pytest.raises(errors.SignatureError):
        verify_recipients(statement, signature, bytes(SigningKey(bytes([1]) * 32).verify_key), CASE)
    with pytest.raises(errors.SignatureError):
        verify_recipients(statement, signature[:63], bytes(key.verify_key), CASE)


@pytest.mark.parametrize(
    "text",
    [
        '{"format":"candour-recipients","version":1,"case":"%s","recipients":["1111111111111111","0000000000000000"]}',
        '{"format":"candour-recipients","version":2,"case":"%s","recipients":["0000000000000000"]}',
        '{"format":"candour-recipients","version":true,"case":"%s","recipients":["0000000000000000"]}',
        '{"version":1,"format":"candour-recipients","case":"%s","recipients":["0000000000000000"]}',
        '{"format":"candour-recipients","version":1,"case":"%s","recipients":["0000000000000000"],"x":1}',
        '{"format":"candour-recipients","version":1,"case":"%s","recipients":["0000000000000000","0000000000000000"]}',
        '{"format":"candour-recipients","version":1,"case":"%s","recipients":[]}',
        '{"format": "candour-recipients","version":1,"case":"%s","recipients":["0000000000000000"]}',
    ],
    ids=["unsorted", "version-2", "version-true", "key-order", "extra-key", "repeated", "empty", "spaced"],
)
def test_signed_but_not_canonical_is_refused(text: str) -> None:
    key = SigningKey(bytes(32))
    statement = (text % CASE).encode()
    with pytest.raises(errors.FormatError):
        verify_recipients(statement, _signed(key, statement), bytes(key.verify_key), CASE)


def test_a_writer_refuses_what_it_must_not_sign() -> None:
    with pytest.raises(errors.FormatError):
        recipients_statement(CASE.upper(), IDS)
    with pytest.raises(errors.FormatError):
        recipients_statement(CASE, [])
    with pytest.raises(errors.FormatError):
        recipients_statement(CASE, ["00"])
