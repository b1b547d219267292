"""Hostile signed reviewer lists (found by tests/fuzz, issue #7): JSON Python cannot take, lone surrogates."""

import json

import pytest

from crypto.errors import FormatError
from crypto.identity import OrgKeys, b64url
from crypto.org import LIST_CONTEXT, verify_reviewer_list

ORG = OrgKeys("Example Org", bytes([6]) * 32)


# --- signed reviewer lists ----------------------------------------------------------------------------


def _signed_list(body: bytes) -> bytes:
    document = {
        "format": "candour-reviewer-list",
        "version": 1,
        "org": ORG.public.to_line(),
        "body": b64url(body),
        "signature": b64url(ORG.signing_key.sign(LIST_CONTEXT + body).signature),
    }
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,  # was RecursionError
        b'{"format": ' + b"9" * 5000 + b"}",  # was ValueError (int digits)
        _signed_list(b'{"serial": ' + b"1" * 5000 + b"}"),  # the same in the signed body
        _signed_list(b"[" * 50_000 + b"]" * 50_000),
    ],
    ids=["depth-bomb", "huge-integer", "signed-huge-integer", "signed-depth-bomb"],
)
def test_reviewer_list_that_json_cannot_take_is_a_format_error(data: bytes) -> None:
    with pytest.raises(FormatError, match="not valid JSON"):
        verify_reviewer_list(data)
