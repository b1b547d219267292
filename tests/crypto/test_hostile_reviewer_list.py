"""Hostile signed reviewer lists (found by tests/fuzz, issue #7): JSON Python cannot take, lone surrogates."""

import json

import pytest

from crypto.errors import FormatError
from crypto.identity import OrgKeys, ReviewerKeys, b64url, unb64url
from crypto.org import LIST_CONTEXT, ListedReviewer, sign_reviewer_list, verify_reviewer_list

ALICE = ReviewerKeys("alice", bytes([1]) * 32)
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
    with pytest.raises(FormatError, match="not valid JSON|nested too deeply"):
        verify_reviewer_list(data)


def test_reviewer_list_with_a_lone_surrogate_is_refused() -> None:
    # "\ud800" parses to a string that cannot be encoded: the portal would fail rendering it.
    valid = json.loads(sign_reviewer_list(ORG, [ListedReviewer(ALICE.public, "Alice", "", True)], 1, "2026-11-28"))
    body = json.loads(unb64url(valid["body"]).decode("utf-8"))
    text = json.dumps(body).replace('"Alice"', '"Al\\ud800ice"')
    with pytest.raises(FormatError, match="invalid Unicode escape"):
        verify_reviewer_list(_signed_list(text.encode()))


@pytest.mark.parametrize(
    "body",
    [
        b'{"organisation": "Example Org", "serial": 1, "serial": 2, "issued": "2026-11-28", "reviewers": []}',
        b'{"organisation": "Example Org", "serial": 1.0, "issued": "2026-11-28", "reviewers": []}',
        b'{"organisation": "Example Org", "serial": 9007199254740992, "issued": "2026-11-28", "reviewers": []}',
    ],
    ids=["duplicate-key", "float-serial", "serial-beyond-javascript"],
)
def test_reviewer_list_body_is_read_strictly(body: bytes) -> None:
    # Python's json keeps the last of two equal keys, a browser might keep the first:
    # a signed list must mean one thing to both, so both refuse it.
    with pytest.raises(FormatError):
        verify_reviewer_list(_signed_list(body))


def test_reviewer_list_file_is_read_strictly() -> None:
    valid = json.loads(sign_reviewer_list(ORG, [ListedReviewer(ALICE.public, "Alice", "", True)], 1, "2026-11-28"))
    assert verify_reviewer_list(json.dumps(valid).encode()).serial == 1
    for version in (1.0, True):
        with pytest.raises(FormatError, match="version must be an integer"):
            verify_reviewer_list(json.dumps(dict(valid, version=version)).encode())
    duplicated = json.dumps(valid)[:-1] + ', "org": ' + json.dumps(valid["org"]) + "}"
    with pytest.raises(FormatError, match="appears twice"):
        verify_reviewer_list(duplicated.encode())
    with pytest.raises(FormatError, match="canonical base64url|not valid base64url"):
        verify_reviewer_list(json.dumps(dict(valid, signature=valid["signature"] + " ")).encode())
