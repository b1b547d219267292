"""What the structure vector families share: the vector record, fixed inputs, encodings.

A structure vector is one JSON file, `tests/vectors/<family>/<case>.json`:

    {"name": "<family>/<case>", "family": "<family>", "spec": "§4",
     "description": "...", "input": {...}, "expected": {"outcome": "accepted", ...}}

`expected.outcome` is "accepted" (with the values a reader must produce) or "refused"
(with `error`, the §12 error a reader raises). tests/vectors/README.md lists the families.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from crypto.identity import IDENTITY_CONTEXT, ORG_CONTEXT, REVIEWER_PREFIX, ReviewerKeys

# The errors of docs/format.md §12. A reader passes a refused vector when the most
# specific of these that its error is an instance of is exactly `expected.error`.
SPEC_ERRORS = (
    "FormatError",
    "UnsupportedVersionError",
    "LimitError",
    "TruncatedError",
    "TruncatedPayloadError",
    "TrailingDataError",
    "NotARecipientError",
    "HeaderMacError",
    "PayloadError",
    "PaddingError",
    "KeyFileError",
    "WrongPassphraseError",
    "IdentityError",
    "CodenameError",
    "SignatureError",
    "BindingError",
    "SequenceError",
    "BundleError",
    "ReplyFileError",
)


@dataclass(frozen=True)
class Vector:
    family: str
    case: str
    spec: str
    description: str
    input: dict[str, Any]
    expected: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.family}/{self.case}"

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "spec": self.spec,
            "description": self.description,
            "input": self.input,
            "expected": self.expected,
        }


def accepted(**values: Any) -> dict[str, Any]:
    return {"outcome": "accepted", **values}


def refused(error: str) -> dict[str, Any]:
    assert error in SPEC_ERRORS, error
    return {"outcome": "refused", "error": error}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    """Lenient decoding for the test side only (a vector may carry deliberately odd text)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fixed_bytes(label: str, size: int) -> bytes:
    """Reproducible filler (BLAKE2b in counter mode), distinct per label."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.blake2b(label.encode() + counter.to_bytes(8, "big"), digest_size=64).digest()
        counter += 1
    return bytes(out[:size])


def reviewer(label: str, name: str | None = None) -> ReviewerKeys:
    return ReviewerKeys(name=name or label.title(), seed=fixed_bytes("structure vector reviewer " + label, 32))


# --- hand-built public lines (for names and keys an honest generator refuses to make) --------


def reviewer_line(box_pk: bytes, sign_key: SigningKey, name_bytes: bytes, *, signature: bytes | None = None) -> str:
    """A `candour-reviewer-1:` line over exactly these bytes, self-signed unless `signature` is given."""
    sign_pk = bytes(sign_key.verify_key)
    body = box_pk + sign_pk + bytes([len(name_bytes)]) + name_bytes
    if signature is None:
        signature = sign_key.sign(IDENTITY_CONTEXT + body).signature
    return REVIEWER_PREFIX + b64u(body + signature)


def reviewer_line_raw(box_pk: bytes, sign_pk: bytes, name_bytes: bytes, signature: bytes) -> str:
    return REVIEWER_PREFIX + b64u(box_pk + sign_pk + bytes([len(name_bytes)]) + name_bytes + signature)


def org_line(sign_key: SigningKey, name_bytes: bytes) -> str:
    sign_pk = bytes(sign_key.verify_key)
    body = sign_pk + bytes([len(name_bytes)]) + name_bytes
    return "candour-org-1:" + b64u(body + sign_key.sign(ORG_CONTEXT + body).signature)


def non_canonical_b64u(text: str) -> str:
    """The same bytes spelled with non-zero unused bits in the last character (when it has any)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused_bits = {2: 4, 3: 2}.get(len(text) % 4)
    assert unused_bits, "a length that is a multiple of 4 has no unused bits"
    last = alphabet.index(text[-1])
    assert last & ((1 << unused_bits) - 1) == 0
    return text[:-1] + alphabet[last | 1]
