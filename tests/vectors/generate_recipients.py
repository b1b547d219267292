"""Writes tests/vectors/recipients/ (docs/format.md §7.1): one valid recipients statement
and its tampered twin, from a fixed signing seed. Run by tests/crypto/test_recipients.py
and tests/js/recipients.test.mjs.

    .venv/bin/python -m tests.vectors.generate_recipients
"""

from __future__ import annotations

import json
from pathlib import Path

from nacl.signing import SigningKey

from crypto.identity import b64url
from crypto.submission.recipients import sign_recipients

HERE = Path(__file__).resolve().parent / "recipients"
SEED = bytes(range(32))
CASE = "00112233445566778899aabbccddeeff"
RECIPIENTS = ["b0b0b0b0b0b0b0b0", "0a0a0a0a0a0a0a0a", "c1c1c1c1c1c1c1c1"]
LEFT_OUT = "d2d2d2d2d2d2d2d2"


def main() -> None:
    key = SigningKey(SEED)
    statement, signature = sign_recipients(key, CASE, RECIPIENTS)
    common = {"sign_seed": SEED.hex(), "sign_public_key": b64url(bytes(key.verify_key)), "case": CASE}
    valid = {
        **common,
        "description": "a statement the reporter signed: verifies to the sorted recipients",
        "recipients": RECIPIENTS,
        "statement": b64url(statement),
        "signature": b64url(signature),
        "expected": {"outcome": "accepted", "recipients": sorted(RECIPIENTS)},
    }
    tampered_statement = statement.replace(RECIPIENTS[2].encode(), LEFT_OUT.encode())
    tampered = {
        **common,
        "description": "a server swapped a recipient for a reviewer the reporter left out: the signature fails",
        "statement": b64url(tampered_statement),
        "signature": b64url(signature),
        "expected": {"outcome": "refused", "error": "SignatureError"},
    }
    HERE.mkdir(exist_ok=True)
    for name, document in (("valid", valid), ("tampered", tampered)):
        (HERE / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
