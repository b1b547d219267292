"""crypto.org: the organisation-signed reviewer list (docs/format.md §5)."""

import json

import pytest

from crypto.errors import FormatError, IdentityError, SignatureError, UnsupportedVersionError
from crypto.identity import b64url, generate_org_keys, generate_reviewer_keys, unb64url
from crypto.org import LIST_CONTEXT, ListedReviewer, sign_reviewer_list, verify_reviewer_list


@pytest.fixture(scope="module")
def org():
    return generate_org_keys("Acme Ltd")


@pytest.fixture(scope="module")
def reviewers():
    return [generate_reviewer_keys(name) for name in ("ana", "ben", "cat")]


def _entries(reviewers, **overrides):
    roles = ["compliance", "independent adviser", ""]
    return [
        ListedReviewer(k.public, overrides.get("name", k.name.title()), roles[i], i == 0)
        for i, k in enumerate(reviewers)
    ]


def _resign(org, document: dict, body: dict) -> bytes:
    raw = json.dumps(body).encode()
    document = dict(document, body=b64url(raw), signature=b64url(org.signing_key.sign(LIST_CONTEXT + raw).signature))
    return json.dumps(document).encode()


def test_round_trip(org, reviewers) -> None:
    data = sign_reviewer_list(org, _entries(reviewers), 3, "2026-11-25")
    signed = verify_reviewer_list(data, org.public.fingerprint)
    assert signed.serial == 3 and signed.issued == "2026-11-25" and signed.organisation == "Acme Ltd"
    assert [r.display_name for r in signed.reviewers] == ["Ana", "Ben", "Cat"]
    assert [r.required for r in signed.reviewers] == [True, False, False]
    assert signed.reviewers[1].role == "independent adviser"
    assert signed.find(reviewers[2].key_id).identity == reviewers[2].public
    assert signed.find(b"\0" * 8) is None
    assert signed.org.sign_public_key == org.public.sign_public_key


def test_fingerprint_is_typed_loosely(org, reviewers) -> None:
    data = sign_reviewer_list(org, _entries(reviewers), 1, "2026-01-01")
    typed = "  " + org.public.fingerprint.upper().replace(" ", "-") + "\n"
    verify_reviewer_list(data, typed)


def test_other_org_refused(org, reviewers) -> None:
    other = generate_org_keys("Impostor")
    data = sign_reviewer_list(other, _entries(reviewers), 1, "2026-01-01")
    with pytest.raises(SignatureError, match="not the expected"):
        verify_reviewer_list(data, org.public.fingerprint)
    with pytest.raises(IdentityError):
        verify_reviewer_list(data, "six words that are not valid")


def test_altered_body_or_signature_refused(org, reviewers) -> None:
    document = json.loads(sign_reviewer_list(org, _entries(reviewers), 1, "2026-01-01"))
    body = unb64url(document["body"])
    tampered = dict(document, body=b64url(body.replace(b'"serial":1', b'"serial":9')))
    with pytest.raises(SignatureError):
        verify_reviewer_list(json.dumps(tampered).encode())
    signature = bytearray(unb64url(document["signature"]))
    signature[0] ^= 1
    with pytest.raises(SignatureError):
        verify_reviewer_list(json.dumps(dict(document, signature=b64url(bytes(signature)))).encode())


def test_swapped_org_line_refused(org, reviewers) -> None:
    # Replacing the org line with another org's makes the signature fail.
    document = json.loads(sign_reviewer_list(org, _entries(reviewers), 1, "2026-01-01"))
    document["org"] = generate_org_keys("Other").public.to_line()
    with pytest.raises(SignatureError):
        verify_reviewer_list(json.dumps(document).encode())


def test_serial_and_duplicates_checked_when_signing(org, reviewers) -> None:
    with pytest.raises(FormatError, match="serial"):
        sign_reviewer_list(org, _entries(reviewers), 0, "2026-01-01")
    with pytest.raises(FormatError, match="listed twice"):
        sign_reviewer_list(org, _entries(reviewers) + _entries(reviewers[:1]), 1, "2026-01-01")
    with pytest.raises(FormatError, match="issue day"):
        sign_reviewer_list(org, _entries(reviewers), 1, "2026-02-30")


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda b: b.update(serial=0), FormatError, "serial"),
        (lambda b: b.update(serial=True), FormatError, "serial"),
        (lambda b: b.update(issued="yesterday"), FormatError, "issue day"),
        (lambda b: b["reviewers"].append(dict(b["reviewers"][0])), FormatError, "listed twice"),
        (lambda b: b["reviewers"][0].update(identity="candour-reviewer-1:AAAA"), IdentityError, "reviewer 1"),
        (lambda b: b["reviewers"][0].update(required="yes"), FormatError, "required"),
        (lambda b: b["reviewers"][0].update(display_name="a\x1b[2Jb"), FormatError, "control"),
        (lambda b: b.update(extra=1), FormatError, "unknown key"),
    ],
)
def test_signed_but_invalid_body_refused(org, reviewers, change, error, message) -> None:
    document = json.loads(sign_reviewer_list(org, _entries(reviewers), 1, "2026-01-01"))
    body = json.loads(unb64url(document["body"]))
    change(body)
    with pytest.raises(error, match=message):
        verify_reviewer_list(_resign(org, document, body))


def test_wrong_format_and_version(org, reviewers) -> None:
    document = json.loads(sign_reviewer_list(org, _entries(reviewers), 1, "2026-01-01"))
    with pytest.raises(UnsupportedVersionError, match="version 2"):
        verify_reviewer_list(json.dumps(dict(document, version=2)).encode())
    with pytest.raises(FormatError):
        verify_reviewer_list(json.dumps(dict(document, format="something")).encode())
    with pytest.raises(FormatError):
        verify_reviewer_list(b"\xff not json")
    with pytest.raises(FormatError):
        verify_reviewer_list(b"[]")
