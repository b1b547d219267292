"""Vector families for keys (docs/format.md §4, §5): key files, identity and .pub lines,
organisation lines, signed reviewer lists."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

from nacl.pwhash import argon2id
from nacl.secret import SecretBox
from nacl.signing import SigningKey

from tests.vectors.structure_common import (
    Vector,
    accepted,
    b64u,
    fixed_bytes,
    non_canonical_b64u,
    org_line,
    refused,
    reviewer,
    reviewer_line,
    reviewer_line_raw,
    unb64u,
)

from crypto.identity import OrgKeys
from crypto.org import LIST_CONTEXT, ListedReviewer, sign_reviewer_list

P = 2**255 - 19
ED25519_L = 2**252 + 27742317777372353535851937790883648493
# The fastest settings a reader must accept (§4: opslimit 1..10, memlimit 8 KiB..1 GiB).
FAST_KDF = {"opslimit": 1, "memlimit": 8192}


# --- key files (§4) -------------------------------------------------------------------------


def key_file(keys: Any, passphrase: str, *, label: str, **overrides: Any) -> dict[str, Any]:
    """A key file as `save_private_key` writes it, with fixed salt and nonce and the fast KDF."""
    salt, nonce = fixed_bytes("salt " + label, 16), fixed_bytes("nonce " + label, 24)
    kdf = {"alg": "argon2id13", **FAST_KDF, "salt": b64u(salt)}
    key = argon2id.kdf(32, passphrase.encode("utf-8"), salt, opslimit=kdf["opslimit"], memlimit=kdf["memlimit"])
    sealed = SecretBox(key).encrypt(keys.seed, nonce).ciphertext  # tag (16) ‖ ciphertext (32)
    document = {
        "format": "candour-private-key",
        "version": 1,
        "kind": "org" if isinstance(keys, OrgKeys) else "reviewer",
        "name": keys.name,
        "public": keys.public.to_line(),
        "kdf": kdf,
        "nonce": b64u(nonce),
        "sealed_seed": b64u(sealed),
    }
    document.update(overrides)
    return document


def keyfile_vectors() -> Iterator[Vector]:
    alice = reviewer("key file alice", "Alice")
    org = OrgKeys(name="Example Organisation", seed=fixed_bytes("structure vector org", 32))
    good = key_file(alice, "correct horse", label="alice")

    def vector(case: str, description: str, document: dict[str, Any] | str, passphrase: str, expected: Any) -> Vector:
        text = document if isinstance(document, str) else json.dumps(document, indent=2) + "\n"
        return Vector("keyfile", case, "§4", description, {"file": text, "passphrase": passphrase}, expected)

    unlocked = accepted(kind="reviewer", name="Alice", public=alice.public.to_line(), seed=alice.seed.hex())
    yield vector("unlock", "a reviewer key file opens with its passphrase", good, "correct horse", unlocked)
    yield vector(
        "unlock-org",
        "an organisation key file; the Ed25519 key is the seed itself (no derivation)",
        key_file(org, "org passphrase", label="org"),
        "org passphrase",
        accepted(kind="org", name=org.name, public=org.public.to_line(), seed=org.seed.hex()),
    )
    yield vector("wrong-passphrase", "a wrong passphrase", good, "correct horsf", refused("WrongPassphraseError"))
    yield vector(
        "passphrase-trailing-newline",
        "the passphrase is used exactly as given: a trailing newline is another passphrase",
        good,
        "correct horse\n",
        refused("WrongPassphraseError"),
    )
    nfc = unicodedata.normalize("NFC", "café crème")
    nfd = unicodedata.normalize("NFD", nfc)
    accented = key_file(alice, nfc, label="alice nfc")
    yield vector("passphrase-nfc", "a passphrase typed in NFC opens a file made in NFC", accented, nfc, unlocked)
    yield vector(
        "passphrase-nfd-vs-nfc",
        "the same passphrase in NFD does not: passphrases are not normalised",
        accented,
        nfd,
        refused("WrongPassphraseError"),
    )
    raw_sealed = bytearray(_unb64(good["sealed_seed"]))
    raw_sealed[20] ^= 0x01
    yield vector(
        "tampered-sealed-seed",
        "one flipped bit in sealed_seed: indistinguishable from a wrong passphrase",
        {**good, "sealed_seed": b64u(bytes(raw_sealed))},
        "correct horse",
        refused("WrongPassphraseError"),
    )
    yield vector(
        "sealed-seed-short",
        "sealed_seed is 47 bytes, not 16 + 32: damaged, not a wrong passphrase",
        {**good, "sealed_seed": b64u(_unb64(good["sealed_seed"])[:47])},
        "correct horse",
        refused("KeyFileError"),
    )
    other = reviewer("key file mallory", "Alice")
    yield vector(
        "public-mismatch",
        "the public line is another key's: the seed must give the stored public line",
        {**good, "public": other.public.to_line()},
        "correct horse",
        refused("KeyFileError"),
    )
    yield vector(
        "name-mismatch",
        "the name field differs from the name in the public line",
        {**good, "name": "Alicia"},
        "correct horse",
        refused("KeyFileError"),
    )
    for case, kdf, why in (
        ("opslimit-too-high", {"opslimit": 11}, "opslimit above 10"),
        ("opslimit-zero", {"opslimit": 0}, "opslimit below 1"),
        ("memlimit-too-high", {"memlimit": (1 << 30) + 1024}, "memlimit above 1 GiB"),
        ("memlimit-too-low", {"memlimit": 4096}, "memlimit below 8 KiB"),
        ("memlimit-not-kib", {"memlimit": 8193}, "memlimit not a multiple of 1,024"),
        ("kdf-alg", {"alg": "argon2i13"}, "a KDF other than argon2id13"),
    ):
        yield vector(
            case,
            f"{why} is refused before any work",
            {**good, "kdf": {**good["kdf"], **kdf}},
            "correct horse",
            refused("KeyFileError"),
        )
    yield vector(
        "version-2", "a key file of version 2", {**good, "version": 2}, "correct horse", refused("KeyFileError")
    )
    yield vector(
        "kind-unknown",
        "kind is neither reviewer nor org",
        {**good, "kind": "admin"},
        "correct horse",
        refused("KeyFileError"),
    )
    yield vector("empty-passphrase", "an empty passphrase is refused", good, "", refused("KeyFileError"))
    duplicated = json.dumps(good, indent=2)[:-2] + ',\n  "nonce": "' + b64u(bytes(24)) + '"\n}\n'
    yield vector(
        "duplicate-key",
        "a key file with 'nonce' twice (read strictly, like every Candour JSON)",
        duplicated,
        "correct horse",
        refused("KeyFileError"),
    )
    yield vector(
        "extra-key",
        "a key file with a key not in §4",
        {**good, "comment": "hello"},
        "correct horse",
        refused("KeyFileError"),
    )


def _unb64(text: str) -> bytes:
    return unb64u(text)


# --- identity lines and .pub files (§4) -----------------------------------------------------


def identity_vectors() -> Iterator[Vector]:
    alice = reviewer("identity alice", "Alice")
    line = alice.public.to_line()
    sign_key = alice.signing_key
    box_pk = alice.box_public_key

    def ok(case: str, description: str, text: str, keys: Any = alice) -> Vector:
        public = keys.public
        return Vector(
            "identity",
            case,
            "§4",
            description,
            {"pub": text},
            accepted(
                name=public.name,
                box_public_key=public.box_public_key.hex(),
                sign_public_key=public.sign_public_key.hex(),
                key_id=public.key_id.hex(),
                fingerprint=public.fingerprint,
            ),
        )

    def bad(case: str, description: str, text: str, error: str = "IdentityError") -> Vector:
        return Vector("identity", case, "§4", description, {"pub": text}, refused(error))

    derived = reviewer("identity derivation", "Derivation")
    yield Vector(
        "identity",
        "derive-from-seed",
        "§4",
        "a seed gives exactly these keys, key id, fingerprint and line (X25519 and Ed25519 both derived)",
        {"seed": derived.seed.hex(), "name": derived.name},
        accepted(
            box_secret_key=derived.box_secret_key.hex(),
            box_public_key=derived.box_public_key.hex(),
            sign_seed=bytes(derived.signing_key).hex(),
            sign_public_key=bytes(derived.signing_key.verify_key).hex(),
            key_id=derived.key_id.hex(),
            fingerprint=derived.public.fingerprint,
            line=derived.public.to_line(),
        ),
    )
    yield ok("line", "the line alone", line)
    yield ok("line-newline", "the line and a final LF", line + "\n")
    yield ok("crlf-and-comments", "CRLF line ends, comments and blank lines", f"# Alice's key\r\n\r\n{line}\r\n")
    yield ok("indented-comment", "a comment line may start with spaces or tabs", f"  \t# made on the laptop\n{line}\n")
    yield ok("surrounding-spaces", "spaces and tabs around the line are ignored", f" \t{line} \t\n")
    yield bad("two-lines", "two identity lines in one file", f"{line}\n{reviewer('identity bob').public.to_line()}\n")
    yield bad("empty", "only comments", "# nothing here\n")
    yield bad("bom", "a UTF-8 byte-order mark before the line", "\ufeff" + line)
    yield bad("nbsp-before", "U+00A0 is not a space a .pub line may carry", "\u00a0" + line)
    yield bad("u2028-separator", "U+2028 does not end a line: the comment runs on", "# a comment\u2028" + line)
    yield bad("vertical-tab-separator", "U+000B does not end a line", "# a comment\x0b" + line)
    yield bad(
        "org-prefix",
        "an organisation line is not a reviewer line",
        line.replace("candour-reviewer-1:", "candour-org-1:"),
    )
    yield bad("padded-base64", "base64url with '=' padding", line + "=" * (-len(line.split(":", 1)[1]) % 4 or 2))
    yield bad("non-canonical-base64", "the last character has non-zero unused bits", _non_canonical_line(alice))
    yield bad("standard-base64", "'+' or '/' (standard base64) instead of '-' or '_'", _standard_alphabet(line))
    yield bad("truncated", "one byte short", "candour-reviewer-1:" + b64u(_unb64(line.split(":", 1)[1])[:-1]))
    yield bad("bad-signature", "a flipped bit in the self-signature", _flip_last_signature_byte(line))
    mallory = reviewer("identity mallory")
    yield bad(
        "signed-by-other-key",
        "the Ed25519 key is Alice's but the signature is Mallory's",
        reviewer_line(box_pk, sign_key, b"Alice", signature=mallory.signing_key.sign(b"x").signature),
    )
    yield bad("name-empty", "a name of 0 bytes", reviewer_line(box_pk, sign_key, b""))
    yield ok(
        "name-64-bytes",
        "a name of exactly 64 bytes",
        reviewer_line(box_pk, sign_key, "é".encode() * 32),
        _Line(box_pk, sign_key, "é" * 32),
    )
    yield bad("name-65-bytes", "a name of 65 bytes", reviewer_line(box_pk, sign_key, b"a" * 65))
    yield bad("name-not-utf8", "a name that is not UTF-8", reviewer_line(box_pk, sign_key, b"Al\xffce"))
    yield bad("name-leading-space", "white space at the start of the name", reviewer_line(box_pk, sign_key, b" Alice"))
    yield bad(
        "name-trailing-nbsp", "U+00A0 at the end of the name", reviewer_line(box_pk, sign_key, "Alice\u00a0".encode())
    )
    for case, char in (
        ("nul", "\x00"),
        ("del", "\x7f"),
        ("nel", "\x85"),
        ("csi", "\x9b"),
        ("lrm", "\u200e"),
        ("rlo", "\u202e"),
        ("fsi", "\u2068"),
        ("bom", "\ufeff"),
        ("line-separator", "\u2028"),
        ("paragraph-separator", "\u2029"),
        ("egyptian-format", "\U0001343a"),
    ):
        yield bad(
            f"name-control-{case}",
            f"U+{ord(char):04X} (category {_category(char)}) inside the name",
            reviewer_line(box_pk, sign_key, f"Ali{char}ce".encode()),
        )
    yield bad("box-key-zero", "an all-zero (low-order) X25519 key", reviewer_line(bytes(32), sign_key, b"Alice"))
    top_bit = box_pk[:31] + bytes([box_pk[31] | 0x80])
    yield bad(
        "box-key-top-bit",
        "Alice's X25519 key with bit 255 set: the same key to X25519, another key id",
        reviewer_line(top_bit, sign_key, b"Alice"),
    )
    yield bad(
        "box-key-non-canonical",
        "u = p + 9, the base point spelled above p",
        reviewer_line((P + 9).to_bytes(32, "little"), sign_key, b"Alice"),
    )
    identity_point = (1).to_bytes(32, "little")
    yield bad(
        "sign-key-small-order",
        "Ed25519 key = the identity point with R = identity, S = 0: verifies under ZIP-215, not under libsodium",
        reviewer_line_raw(box_pk, identity_point, b"Alice", identity_point + bytes(32)),
    )
    signature = _unb64(line.split(":", 1)[1])[-64:]
    s_plus_l = (int.from_bytes(signature[32:], "little") + ED25519_L).to_bytes(32, "little")
    yield bad(
        "signature-s-not-canonical",
        "the self-signature with S + L in place of S (malleable unless S < L is checked)",
        reviewer_line_raw(box_pk, bytes(sign_key.verify_key), b"Alice", signature[:32] + s_plus_l),
    )


def _category(char: str) -> str:
    # Python 3.11's database is Unicode 14.0, where U+13439–U+1343F are still unassigned.
    return "Cf since Unicode 15.0" if 0x13439 <= ord(char) <= 0x1343F else unicodedata.category(char)


class _Line:
    """Stands in for a ReviewerKeys when a vector's expected values come from a hand-built line."""

    def __init__(self, box_pk: bytes, sign_key: SigningKey, name: str) -> None:
        from crypto.identity import PublicIdentity

        self.public = PublicIdentity(name, box_pk, bytes(sign_key.verify_key))


def _non_canonical_line(keys: Any) -> str:
    prefix, payload = keys.public.to_line().split(":", 1)
    return prefix + ":" + non_canonical_b64u(payload)


def _standard_alphabet(line: str) -> str:
    prefix, payload = line.split(":", 1)
    assert "-" in payload or "_" in payload, "pick a name whose line has '-' or '_'"
    return prefix + ":" + payload.replace("-", "+").replace("_", "/")


def _flip_last_signature_byte(line: str) -> str:
    prefix, payload = line.split(":", 1)
    raw = bytearray(_unb64(payload))
    raw[-1] ^= 0x01
    return prefix + ":" + b64u(bytes(raw))


# --- organisation lines (§5) ----------------------------------------------------------------


def org_vectors() -> Iterator[Vector]:
    org = OrgKeys(name="Example Organisation", seed=fixed_bytes("structure vector org line", 32))
    line = org.public.to_line()

    def ok(case: str, description: str, text: str) -> Vector:
        return Vector(
            "org",
            case,
            "§5",
            description,
            {"org": text},
            accepted(
                name=org.name,
                sign_public_key=bytes(org.signing_key.verify_key).hex(),
                fingerprint=org.public.fingerprint,
            ),
        )

    def bad(case: str, description: str, text: str) -> Vector:
        return Vector("org", case, "§5", description, {"org": text}, refused("IdentityError"))

    yield Vector(
        "org",
        "derive-from-seed",
        "§5",
        "the organisation's Ed25519 key is crypto_sign_seed_keypair(seed): no subkey derivation",
        {"seed": org.seed.hex(), "name": org.name},
        accepted(
            sign_public_key=bytes(org.signing_key.verify_key).hex(),
            fingerprint=org.public.fingerprint,
            line=line,
        ),
    )
    yield ok("line", "an organisation line", line + "\n")
    yield bad("bad-signature", "a flipped bit in the self-signature", _flip_last_signature_byte(line))
    yield bad(
        "reviewer-line",
        "a reviewer line where an organisation line belongs",
        reviewer("org as reviewer").public.to_line(),
    )
    yield bad("name-rlo", "U+202E in the organisation's name", org_line(org.signing_key, "Example\u202eOrg".encode()))
    yield bad("name-trailing-space", "white space at the end of the name", org_line(org.signing_key, b"Example "))


# --- signed reviewer lists (§5) -------------------------------------------------------------


def _list_document(org: OrgKeys, body: dict[str, Any] | bytes) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return {
        "format": "candour-reviewer-list",
        "version": 1,
        "org": org.public.to_line(),
        "body": b64u(raw),
        "signature": b64u(org.signing_key.sign(LIST_CONTEXT + raw).signature),
    }


def list_vectors() -> Iterator[Vector]:
    org = OrgKeys(name="Example Organisation", seed=fixed_bytes("structure vector list org", 32))
    alice, bob = reviewer("list alice", "Alice"), reviewer("list bob", "Bob")
    entries = [
        ListedReviewer(alice.public, "Alice Adams", "independent adviser", True),
        ListedReviewer(bob.public, "Bob Brown", "", False),
    ]
    good = json.loads(sign_reviewer_list(org, entries, 3, "2026-11-25", "Example Organisation"))
    body = json.loads(_unb64(good["body"]))

    def vector(case: str, description: str, document: Any, expected: Any, **extra: Any) -> Vector:
        text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
        return Vector("list", case, "§5", description, {"list": text, **extra}, expected)

    summary = accepted(
        organisation="Example Organisation",
        serial=3,
        issued="2026-11-25",
        reviewers=[
            {
                "key_id": alice.key_id.hex(),
                "display_name": "Alice Adams",
                "role": "independent adviser",
                "required": True,
            },
            {"key_id": bob.key_id.hex(), "display_name": "Bob Brown", "role": "", "required": False},
        ],
    )
    yield vector("valid", "a list of two reviewers, serial 3", good, summary)
    yield vector(
        "valid-pinned-fingerprint",
        "the same list checked against the organisation's fingerprint",
        good,
        summary,
        expected_org_fingerprint=org.public.fingerprint,
    )
    yield vector(
        "wrong-fingerprint",
        "signed by an organisation key other than the pinned one",
        good,
        refused("SignatureError"),
        expected_org_fingerprint=reviewer("list other").public.fingerprint,
    )
    raw_body = bytearray(_unb64(good["body"]))
    raw_body[raw_body.index(b"3")] = ord("4")
    yield vector(
        "tampered-body",
        "serial 3 changed to 4 after signing",
        {**good, "body": b64u(bytes(raw_body))},
        refused("SignatureError"),
    )
    yield vector(
        "rollback-older-serial",
        "serial 3 when serial 4 is already loaded (no rollback)",
        good,
        refused("SequenceError"),
        loaded_serial=4,
    )
    yield vector(
        "rollback-same-serial",
        "serial 3 when serial 3 is already loaded",
        good,
        refused("SequenceError"),
        loaded_serial=3,
    )
    yield vector("newer-serial", "serial 3 when serial 2 is loaded", good, summary, loaded_serial=2)
    raw = json.dumps(body, separators=(",", ":")).encode()
    duplicated = raw[:-1] + b',"serial":9}'
    yield vector(
        "duplicate-json-key",
        "the body carries 'serial' twice (3 and 9), signed",
        _list_document(org, duplicated),
        refused("FormatError"),
    )
    twice = {**body, "reviewers": [body["reviewers"][0], {**body["reviewers"][0], "display_name": "A. Adams"}]}
    yield vector(
        "duplicate-reviewer", "one reviewer key listed twice", _list_document(org, twice), refused("FormatError")
    )
    yield vector(
        "serial-zero",
        "serial 0 (an integer outside its range)",
        _list_document(org, {**body, "serial": 0}),
        refused("LimitError"),
    )
    yield vector(
        "serial-2-53",
        "serial 2^53, beyond what a browser compares exactly",
        _list_document(org, {**body, "serial": 2**53}),
        refused("LimitError"),
    )
    yield vector(
        "serial-float",
        "serial written 3.0",
        _list_document(org, raw.replace(b'"serial":3', b'"serial":3.0')),
        refused("FormatError"),
    )
    yield vector("version-2", "a list of version 2", {**good, "version": 2}, refused("UnsupportedVersionError"))
    yield vector("extra-key", "a key not in §5 in the file", {**good, "note": "x"}, refused("FormatError"))
    yield vector(
        "issued-not-a-day",
        "issued 2026-02-30",
        _list_document(org, {**body, "issued": "2026-02-30"}),
        refused("FormatError"),
    )
    for case, char in (("rlo", "\u202e"), ("del", "\x7f"), ("lrm", "\u200e")):
        named = {**body, "reviewers": [{**body["reviewers"][0], "display_name": f"Alice{char} Adams"}]}
        yield vector(
            f"display-name-{case}",
            f"U+{ord(char):04X} in a display name",
            _list_document(org, named),
            refused("FormatError"),
        )
    long_name = {**body, "reviewers": [{**body["reviewers"][0], "display_name": "a" * 201}]}
    yield vector(
        "display-name-201", "a display name of 201 characters", _list_document(org, long_name), refused("LimitError")
    )
    full_name = {**body, "reviewers": [{**body["reviewers"][0], "display_name": "a" * 200}]}
    yield vector(
        "display-name-200",
        "a display name of exactly 200 characters",
        _list_document(org, full_name),
        accepted(
            organisation="Example Organisation",
            serial=3,
            issued="2026-11-25",
            reviewers=[
                {
                    "key_id": alice.key_id.hex(),
                    "display_name": "a" * 200,
                    "role": "independent adviser",
                    "required": True,
                }
            ],
        ),
    )
    padded = {**body, "organisation": " Example Organisation"}
    yield vector(
        "organisation-leading-space",
        "white space at the start of the organisation name",
        _list_document(org, padded),
        refused("FormatError"),
    )
