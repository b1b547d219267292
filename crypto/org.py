"""The organisation-signed reviewer list (docs/format.md §5).

The organisation's offline root key signs the list of reviewer identities, with the
name and role people see beside each and whether the reviewer must receive every
report. Reporters' browsers check replies against this list, so a server cannot add
a reviewer of its own: it would need the organisation key, which never touches it.
"""

import datetime
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from .errors import FormatError, IdentityError, LimitError, SignatureError, UnsupportedVersionError
from .identity import (
    OrgIdentity,
    OrgKeys,
    PublicIdentity,
    b64url,
    parse_org_identity,
    parse_public_identity,
)
from .strict_json import JsonReader
from .text import is_forbidden_char
from .wordlist import word_index

LIST_FORMAT = "candour-reviewer-list"
LIST_VERSION = 1
LIST_CONTEXT = b"candour/v1 reviewer list\x00"
MAX_LIST_BYTES = 1 << 20
MAX_REVIEWERS = 1000
MAX_DISPLAY_NAME_CHARS = 200  # as in the export bundle (crypto.bundle)
MAX_ROLE_CHARS = 200
MAX_ORGANISATION_CHARS = 200
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ListedReviewer:
    identity: PublicIdentity
    display_name: str
    role: str
    required: bool

    @property
    def key_id(self) -> bytes:
        return self.identity.key_id


@dataclass(frozen=True)
class SignedReviewerList:
    org: OrgIdentity
    organisation: str
    serial: int
    issued: str
    reviewers: tuple[ListedReviewer, ...]
    body: bytes
    signature: bytes

    def find(self, key_id: bytes) -> ListedReviewer | None:
        """The listed reviewer with this key id, or None."""
        for reviewer in self.reviewers:
            if reviewer.key_id == bytes(key_id):
                return reviewer
        return None

    def find_by_sign_key(self, sign_public_key: bytes) -> ListedReviewer | None:
        for reviewer in self.reviewers:
            if reviewer.identity.sign_public_key == bytes(sign_public_key):
                return reviewer
        return None


def normalise_fingerprint(text: str) -> str:
    """Fold what a person types (case, dashes, commas, extra spaces) into six words."""
    folded = unicodedata.normalize("NFKC", text).lower()
    for separator in "-,.;:\n\t":
        folded = folded.replace(separator, " ")
    return " ".join(folded.split())


def _check_text(value: Any, what: str, max_chars: int, *, allow_empty: bool) -> str:
    if not isinstance(value, str):
        raise FormatError(f"the reviewer list's {what} must be text")
    if not value.strip() and not allow_empty:
        raise FormatError(f"the reviewer list's {what} is empty")
    if len(value) > max_chars:
        raise LimitError(f"the reviewer list's {what} is longer than {max_chars} characters")
    # A lone surrogate (from a "\ud800" escape) parses but cannot be written out as UTF-8.
    if any(unicodedata.category(c) == "Cs" for c in value):
        raise FormatError(f"the reviewer list's {what} contains an invalid Unicode escape")
    # The one rule (crypto.text): no control or invisible formatting character in a name or role.
    if any(is_forbidden_char(c) for c in value):
        raise FormatError(f"the reviewer list's {what} contains control or invisible formatting characters")
    return value


def _check_day(value: Any) -> str:
    if not isinstance(value, str) or not DAY_PATTERN.fullmatch(value):
        raise FormatError("the reviewer list's issue day is not a YYYY-MM-DD date")
    try:
        datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise FormatError(f"the reviewer list's issue day {value!r} is not a real date") from exc
    return value


def _check_entries(entries: Sequence[ListedReviewer]) -> None:
    if len(entries) > MAX_REVIEWERS:
        raise LimitError(f"a reviewer list holds at most {MAX_REVIEWERS} reviewers")
    seen: dict[bytes, str] = {}
    for entry in entries:
        _check_text(entry.display_name, "display name", MAX_DISPLAY_NAME_CHARS, allow_empty=False)
        _check_text(entry.role, "role", MAX_ROLE_CHARS, allow_empty=True)
        if not isinstance(entry.required, bool):
            raise FormatError("a reviewer's 'required' flag must be true or false")
        if entry.key_id in seen:
            raise FormatError(
                f"the same reviewer key (key id {entry.key_id.hex()}) is listed twice: "
                f"as '{seen[entry.key_id]}' and as '{entry.display_name}'"
            )
        seen[entry.key_id] = entry.display_name


def sign_reviewer_list(
    org_keys: OrgKeys,
    entries: Sequence[ListedReviewer],
    serial: int,
    issued_day: str | datetime.date,
    organisation: str | None = None,
) -> bytes:
    """Return the signed list file (JSON bytes). `organisation` defaults to the org key's name."""
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
        raise FormatError("the list's serial number must be a whole number, 1 or more")
    if serial > MAX_SERIAL:
        raise LimitError(f"the list's serial number is at most {MAX_SERIAL} (browsers could not compare it)")
    day = issued_day.isoformat() if isinstance(issued_day, datetime.date) else _check_day(issued_day)
    name = _check_text(
        org_keys.name if organisation is None else organisation,
        "organisation name",
        MAX_ORGANISATION_CHARS,
        allow_empty=False,
    )
    _check_entries(entries)
    body = json.dumps(
        {
            "organisation": name,
            "serial": serial,
            "issued": day,
            "reviewers": [
                {
                    "identity": entry.identity.to_line(),
                    "display_name": entry.display_name,
                    "role": entry.role,
                    "required": entry.required,
                }
                for entry in entries
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    signature = org_keys.signing_key.sign(LIST_CONTEXT + body).signature
    document = {
        "format": LIST_FORMAT,
        "version": LIST_VERSION,
        "org": org_keys.public.to_line(),
        "body": b64url(body),
        "signature": b64url(signature),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


# The file and its body are read like every other signed document (§7–§10): no
# duplicate keys (Python's json keeps the last, a browser parser might keep the first:
# two readers must never see two lists in one signed file), no NaN, exact key sets,
# integers only where the format says integer.
_LIST_READER = JsonReader("the reviewer list")
_BODY_READER = JsonReader("the reviewer list body")
_LIST_KEYS = ("format", "version", "org", "body", "signature")
_BODY_KEYS = ("organisation", "serial", "issued", "reviewers")
_ENTRY_KEYS = ("identity", "display_name", "role", "required")
# An org or reviewer line is under 300 characters; this only bounds the work.
MAX_LINE_CHARS = 1000
# The browser holds the serial as a JavaScript number: above 2^53 - 1 two serials
# could compare equal there and differently here.
MAX_SERIAL = 2**53 - 1


def is_reviewer_list(document: Any) -> bool:
    return isinstance(document, dict) and document.get("format") == LIST_FORMAT


def verify_reviewer_list(data: bytes, expected_org_fingerprint: str | None = None) -> SignedReviewerList:
    """Check a signed reviewer list and return its contents.

    Checks, in order: the envelope JSON, the org line's self-signature, the expected
    org fingerprint (when given), the list signature, then the body: serial ≥ 1,
    issue day, every identity's self-signature, no key id twice.
    """
    document = _LIST_READER.loads(data, MAX_LIST_BYTES)
    if not isinstance(document, dict):
        raise FormatError("the reviewer list is not a JSON object")
    if document.get("format") != LIST_FORMAT:
        raise FormatError("this is not a signed reviewer list (its format is not 'candour-reviewer-list')")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatError(f"the reviewer list's version must be an integer, not {version!r}")
    if version != LIST_VERSION:
        raise UnsupportedVersionError(
            f"this reviewer list is version {version}; this tool reads version {LIST_VERSION}"
        )
    _LIST_READER.obj(document, "the file", _LIST_KEYS)
    _LIST_READER.text(document["org"], "'org'", MAX_LINE_CHARS)
    org = parse_org_identity(document["org"])
    if expected_org_fingerprint is not None:
        expected = normalise_fingerprint(expected_org_fingerprint)
        if len(expected.split()) != 6 or any(w not in word_index() for w in expected.split()):
            raise IdentityError("the expected organisation fingerprint must be six words from the word list")
        if org.fingerprint != expected:
            raise SignatureError(
                f"the reviewer list is signed by an organisation key with fingerprint '{org.fingerprint}', "
                f"not the expected '{expected}': do not use it"
            )
    body = _LIST_READER.raw(document["body"], "'body'", max_bytes=MAX_LIST_BYTES)
    signature = _LIST_READER.raw(document["signature"], "'signature'", byte_count=64)
    try:
        VerifyKey(org.sign_public_key).verify(LIST_CONTEXT + body, signature)
    except (BadSignatureError, CryptoError, ValueError) as exc:
        raise SignatureError(
            "the reviewer list's signature does not verify with its organisation key: it was altered"
        ) from exc
    return _parse_body(org, body, signature)


def _parse_body(org: OrgIdentity, body: bytes, signature: bytes) -> SignedReviewerList:
    content = _BODY_READER.loads(body)
    _BODY_READER.obj(content, "the body", _BODY_KEYS)
    serial = _BODY_READER.integer(content["serial"], "the serial number", -MAX_SERIAL, MAX_SERIAL)
    if serial < 1:
        raise FormatError("the reviewer list's serial number must be a whole number, 1 or more")
    organisation = _check_text(content["organisation"], "organisation name", MAX_ORGANISATION_CHARS, allow_empty=False)
    issued = _check_day(content["issued"])
    raw_entries = content["reviewers"]
    if not isinstance(raw_entries, list):
        raise FormatError("the reviewer list's 'reviewers' must be a list")
    if len(raw_entries) > MAX_REVIEWERS:
        raise LimitError(f"a reviewer list holds at most {MAX_REVIEWERS} reviewers")
    entries = []
    for position, raw in enumerate(raw_entries, start=1):
        _BODY_READER.obj(raw, f"reviewer {position} in the list", _ENTRY_KEYS)
        _BODY_READER.text(raw["identity"], f"reviewer {position}'s identity line", MAX_LINE_CHARS)
        try:
            identity = parse_public_identity(raw["identity"])
        except IdentityError as exc:
            raise IdentityError(f"reviewer {position} in the list: {exc}") from exc
        entries.append(
            ListedReviewer(
                identity=identity,
                display_name=raw["display_name"],
                role=raw["role"],
                required=raw["required"],
            )
        )
    _check_entries(entries)
    return SignedReviewerList(
        org=org,
        organisation=organisation,
        serial=serial,
        issued=issued,
        reviewers=tuple(entries),
        body=body,
        signature=signature,
    )
