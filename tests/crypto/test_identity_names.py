"""A public line's name must be exactly the name that was signed (docs/format.md §4, §5).

The self-signature covers the stripped name, so without the check a line carrying
" alice " verifies as well as "alice": one key, two valid lines.
"""

from __future__ import annotations

import pytest

from crypto.errors import IdentityError
from crypto.identity import (
    ORG_PREFIX,
    REVIEWER_PREFIX,
    b64url,
    generate_org_keys,
    generate_reviewer_keys,
    parse_org_identity,
    parse_public_identity,
)

PADDINGS = [" alice", "alice ", " alice ", "alice\u3000", "\u00a0alice"]


@pytest.mark.parametrize("padded", PADDINGS)
def test_a_reviewer_line_with_a_padded_name_is_refused(padded: str) -> None:
    public = generate_reviewer_keys("alice").public
    assert parse_public_identity(public.to_line()).name == "alice"
    name = padded.encode()
    line = REVIEWER_PREFIX + b64url(
        public.box_public_key + public.sign_public_key + bytes([len(name)]) + name + public.signature
    )
    with pytest.raises(IdentityError, match="white space"):
        parse_public_identity(line)


@pytest.mark.parametrize("padded", PADDINGS)
def test_an_org_line_with_a_padded_name_is_refused(padded: str) -> None:
    public = generate_org_keys("alice").public
    assert parse_org_identity(public.to_line()).name == "alice"
    name = padded.encode()
    line = ORG_PREFIX + b64url(public.sign_public_key + bytes([len(name)]) + name + public.signature)
    with pytest.raises(IdentityError, match="white space"):
        parse_org_identity(line)


def test_generation_still_strips_what_is_typed() -> None:
    reviewer = generate_reviewer_keys("  Alice Example  ").public
    assert reviewer.name == "Alice Example"
    assert parse_public_identity(reviewer.to_line()).name == "Alice Example"
    org = generate_org_keys(" Acme ").public
    assert parse_org_identity(org.to_line()).name == "Acme"


@pytest.mark.parametrize("ch", ["\u202e", "\u200f", "\x7f", "\x85", "\ufeff", "\u2028"])
def test_names_with_control_or_format_characters_are_refused(ch: str) -> None:
    # crypto.text's one rule: a right-to-left override could make one name look like another.
    from crypto.errors import IdentityError
    from crypto.identity import generate_reviewer_keys

    with pytest.raises(IdentityError, match="control characters"):
        generate_reviewer_keys(f"Ana{ch}Smith")
