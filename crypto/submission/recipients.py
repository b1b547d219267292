"""The recipients statement: which reviewers the reporter sealed the report to, signed
by the reporter (docs/format.md §7.1).

A reporter's browser knows the recipients only in the visit that sealed the report; on
a later visit it would have to take the server's word for them. The statement, signed
with the reporter's key at sealing time and kept by the server, lets every later visit
check the recipients against the reporter's own signature instead.
"""

from __future__ import annotations

import json
import re

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from crypto.errors import FormatError, SignatureError

RECIPIENTS_CONTEXT = b"candour/v1 recipients\x00"
RECIPIENTS_FORMAT = "candour-recipients"
RECIPIENTS_VERSION = 1
MAX_RECIPIENTS = 255
MAX_STATEMENT_BYTES = 8192
SIGNATURE_BYTES = 64
_CASE = re.compile(r"[0-9a-f]{32}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")


def recipients_statement(case_id: str, key_ids: list[str]) -> bytes:
    """The canonical statement bytes: compact JSON, keys in this order, ids sorted, no repeats."""
    if not _CASE.fullmatch(case_id):
        raise FormatError("the case id must be 32 lowercase hex digits")
    if not key_ids or len(key_ids) > MAX_RECIPIENTS:
        raise FormatError(f"a report goes to 1..{MAX_RECIPIENTS} reviewers")
    if any(not _KEY_ID.fullmatch(key_id) for key_id in key_ids) or len(set(key_ids)) != len(key_ids):
        raise FormatError("recipients must be distinct key ids of 16 lowercase hex digits")
    value = {
        "format": RECIPIENTS_FORMAT,
        "version": RECIPIENTS_VERSION,
        "case": case_id,
        "recipients": sorted(key_ids),
    }
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def sign_recipients(signing_key: SigningKey, case_id: str, key_ids: list[str]) -> tuple[bytes, bytes]:
    """The statement and the reporter's Ed25519 signature over context ‖ statement."""
    statement = recipients_statement(case_id, key_ids)
    return statement, signing_key.sign(RECIPIENTS_CONTEXT + statement).signature


def verify_recipients(statement: bytes, signature: bytes, sign_public_key: bytes, case_id: str) -> list[str]:
    """The recipients' key ids (sorted) if the reporter signed this statement for this case.

    Raises SignatureError for a signature that does not verify and FormatError for
    statement bytes that are not the canonical statement of this case (a writer makes
    only canonical bytes, so a reader rebuilds them and compares).
    """
    if len(statement) > MAX_STATEMENT_BYTES:
        raise FormatError("the recipients statement is too long")
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError("the recipients statement's signature is not 64 bytes")
    try:
        VerifyKey(sign_public_key).verify(RECIPIENTS_CONTEXT + statement, signature)
    except (BadSignatureError, ValueError):
        raise SignatureError("the recipients statement is not signed by this case's reporter") from None
    try:
        value = json.loads(statement.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise FormatError("the recipients statement is not JSON") from None
    if not isinstance(value, dict) or set(value) != {"format", "version", "case", "recipients"}:
        raise FormatError("the recipients statement does not have the listed keys")
    if value["format"] != RECIPIENTS_FORMAT or value["version"] != RECIPIENTS_VERSION:
        raise FormatError("the recipients statement is of another format or version")
    if value["case"] != case_id:
        raise FormatError("the recipients statement names another case")
    recipients = value["recipients"]
    if not isinstance(recipients, list) or not all(isinstance(item, str) for item in recipients):
        raise FormatError("the recipients statement's list is not a list of key ids")
    if recipients_statement(case_id, recipients) != statement:
        raise FormatError("the recipients statement is not in its canonical form")
    return list(recipients)
