"""Reviewer and organisation keys: generation, public identities, private key files.

A reviewer holds one 32-byte seed; from it come an X25519 key (reports are sealed to
it) and an Ed25519 key (replies are signed with it). The public identity is one
copy-pasteable line that signs itself; its fingerprint is six words people can read
aloud to each other. The organisation root key is an Ed25519 key kept the same way.
"""

import base64
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id as argon2id
from nacl import bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.secret import SecretBox
from nacl.signing import SigningKey, VerifyKey

from .errors import IdentityError, KeyFileError, WrongPassphraseError
from .files import write_new_file
from .kdf import derive_subkey, hash256
from .text import is_forbidden_char
from .wordlist import bits_to_words

REVIEWER_PREFIX = "candour-reviewer-1:"
ORG_PREFIX = "candour-org-1:"
MAX_NAME_BYTES = 64
KEY_ID_BYTES = 8
FINGERPRINT_WORDS = 6
SEED_BYTES = 32
LABEL_BOX = b"candour/v1 reviewer box"
LABEL_SIGN = b"candour/v1 reviewer sign"
IDENTITY_CONTEXT = b"candour/v1 identity\x00"
ORG_CONTEXT = b"candour/v1 org identity\x00"
DIGEST_CONTEXT = b"candour/v1 identity digest\x00"
ORG_DIGEST_CONTEXT = b"candour/v1 org digest\x00"

KEY_FILE_FORMAT = "candour-private-key"
KEY_FILE_VERSION = 1
# Argon2id profiles for private key files. "moderate" is the default; "interactive"
# exists for tests and slow machines and is recorded in the file like any other.
KDF_PROFILES = {
    "moderate": (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
    "interactive": (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE),
}
# A key file cannot make us spend more than this (a crafted file is a denial of service).
MAX_OPSLIMIT = 10
MAX_MEMLIMIT = 1 << 30
# A key file is under 1 KiB; anything far larger is not one, and is not read whole.
MAX_KEY_FILE_BYTES = 64 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64URL_TEXT = re.compile(r"[A-Za-z0-9_-]+")


def unb64url(text: str) -> bytes:
    text = text.strip()
    # A compiled pattern, not a per-character loop: bundles decode hundreds of thousands of these.
    if not _B64URL_TEXT.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _name_bytes(name: str) -> bytes:
    encoded = name.strip().encode("utf-8")
    if not encoded:
        raise IdentityError("a key needs a name (for example the reviewer's own name)")
    if len(encoded) > MAX_NAME_BYTES:
        raise IdentityError(f"a key's name is at most {MAX_NAME_BYTES} bytes of UTF-8")
    if any(is_forbidden_char(c) for c in name):
        raise IdentityError("a key's name cannot contain control characters (nor invisible formatting ones)")
    return encoded


def _refuse_padded_name(name: str, what: str) -> None:
    """A parsed name must be exactly the name that was signed.

    The self-signature covers the stripped name (`_name_bytes`), so a line whose
    name carries white space at either end would verify too: one key with two valid
    lines, and a reviewer list or an audit entry could name the same key two ways.
    Generation strips its input, so honest lines never have such a name.
    """
    if name != name.strip():
        raise IdentityError(
            f"the name in the {what} starts or ends with white space, which no honest key has: "
            "it was altered; ask its owner for the line again"
        )
    if any(is_forbidden_char(c) for c in name):
        raise IdentityError(
            f"the name in the {what} contains a control or invisible formatting character (crypto.text), "
            "which no key made by this tool has: ask its owner for the line again"
        )


@dataclass(frozen=True)
class PublicIdentity:
    """A reviewer's public keys and the name they chose when generating them."""

    name: str
    box_public_key: bytes
    sign_public_key: bytes
    signature: bytes = field(default=b"", repr=False)

    @cached_property
    def digest(self) -> bytes:
        return hash256(DIGEST_CONTEXT + self.box_public_key + self.sign_public_key)

    @cached_property
    def key_id(self) -> bytes:
        return self.digest[:KEY_ID_BYTES]

    @cached_property
    def fingerprint(self) -> str:
        return bits_to_words(self.digest, FINGERPRINT_WORDS)

    def signed_bytes(self) -> bytes:
        name = _name_bytes(self.name)
        return IDENTITY_CONTEXT + self.box_public_key + self.sign_public_key + bytes([len(name)]) + name

    def to_line(self) -> str:
        name = _name_bytes(self.name)
        blob = self.box_public_key + self.sign_public_key + bytes([len(name)]) + name + self.signature
        return REVIEWER_PREFIX + b64url(blob)


@dataclass(frozen=True)
class ReviewerKeys:
    name: str
    seed: bytes = field(repr=False)

    @cached_property
    def box_secret_key(self) -> bytes:
        return derive_subkey(self.seed, LABEL_BOX)

    @cached_property
    def box_public_key(self) -> bytes:
        return bindings.crypto_scalarmult_base(self.box_secret_key)

    @cached_property
    def signing_key(self) -> SigningKey:
        return SigningKey(derive_subkey(self.seed, LABEL_SIGN))

    @cached_property
    def public(self) -> PublicIdentity:
        unsigned = PublicIdentity(self.name, self.box_public_key, bytes(self.signing_key.verify_key))
        signature = self.signing_key.sign(unsigned.signed_bytes()).signature
        return PublicIdentity(unsigned.name, unsigned.box_public_key, unsigned.sign_public_key, signature)

    @cached_property
    def key_id(self) -> bytes:
        return self.public.key_id


def generate_reviewer_keys(name: str) -> ReviewerKeys:
    _name_bytes(name)
    return ReviewerKeys(name=name.strip(), seed=os.urandom(SEED_BYTES))


def parse_public_identity(text: str) -> PublicIdentity:
    """Parse a reviewer's one-line identity and check that it signs itself."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1 or not lines[0].startswith(REVIEWER_PREFIX):
        raise IdentityError(
            f"a reviewer's public identity is one line starting with '{REVIEWER_PREFIX}' "
            "(the contents of NAME.pub made by 'python -m crypto keygen')"
        )
    try:
        blob = unb64url(lines[0][len(REVIEWER_PREFIX) :])
    except ValueError as exc:
        raise IdentityError("the public identity is damaged (not valid base64url): copy it again") from exc
    if len(blob) < 32 + 32 + 1 + 1 + 64:
        raise IdentityError("the public identity is too short: copy the whole line again")
    box_pk, sign_pk, name_len = blob[:32], blob[32:64], blob[64]
    name_end = 65 + name_len
    if len(blob) != name_end + 64:
        raise IdentityError("the public identity has the wrong length: copy the whole line again")
    try:
        name = blob[65:name_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IdentityError("the name in the public identity is not UTF-8") from exc
    _refuse_padded_name(name, "public identity")
    identity = PublicIdentity(name, box_pk, sign_pk, blob[name_end:])
    try:
        VerifyKey(sign_pk).verify(identity.signed_bytes(), identity.signature)
    except (BadSignatureError, CryptoError, ValueError) as exc:
        raise IdentityError("the public identity's self-signature does not verify: it was altered") from exc
    if _is_low_order(box_pk):
        raise IdentityError("the public identity's encryption key is a weak (low-order) point")
    return identity


def _is_low_order(public_key: bytes) -> bool:
    # A scalar multiplication giving all zeros means a low-order point; libsodium
    # refuses to seal to those anyway, but refusing at registration is clearer.
    try:
        bindings.crypto_scalarmult(b"\x01" + bytes(31), public_key)
    except CryptoError:
        return True
    return False


# --- organisation root key -------------------------------------------------------


@dataclass(frozen=True)
class OrgIdentity:
    name: str
    sign_public_key: bytes
    signature: bytes = field(default=b"", repr=False)

    @cached_property
    def fingerprint(self) -> str:
        return bits_to_words(hash256(ORG_DIGEST_CONTEXT + self.sign_public_key), FINGERPRINT_WORDS)

    def signed_bytes(self) -> bytes:
        name = _name_bytes(self.name)
        return ORG_CONTEXT + self.sign_public_key + bytes([len(name)]) + name

    def to_line(self) -> str:
        name = _name_bytes(self.name)
        return ORG_PREFIX + b64url(self.sign_public_key + bytes([len(name)]) + name + self.signature)


@dataclass(frozen=True)
class OrgKeys:
    name: str
    seed: bytes = field(repr=False)

    @cached_property
    def signing_key(self) -> SigningKey:
        return SigningKey(self.seed)

    @cached_property
    def public(self) -> OrgIdentity:
        unsigned = OrgIdentity(self.name, bytes(self.signing_key.verify_key))
        signature = self.signing_key.sign(unsigned.signed_bytes()).signature
        return OrgIdentity(unsigned.name, unsigned.sign_public_key, signature)


def generate_org_keys(name: str) -> OrgKeys:
    _name_bytes(name)
    return OrgKeys(name=name.strip(), seed=os.urandom(SEED_BYTES))


def parse_org_identity(text: str) -> OrgIdentity:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1 or not lines[0].startswith(ORG_PREFIX):
        raise IdentityError(f"an organisation key is one line starting with '{ORG_PREFIX}'")
    try:
        blob = unb64url(lines[0][len(ORG_PREFIX) :])
    except ValueError as exc:
        raise IdentityError("the organisation key is damaged (not valid base64url)") from exc
    if len(blob) < 32 + 1 + 1 + 64 or len(blob) != 33 + blob[32] + 64:
        raise IdentityError("the organisation key has the wrong length: copy the whole line again")
    name_end = 33 + blob[32]
    try:
        name = blob[33:name_end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IdentityError("the name in the organisation key is not UTF-8") from exc
    _refuse_padded_name(name, "organisation key")
    org = OrgIdentity(name, blob[:32], blob[name_end:])
    try:
        VerifyKey(org.sign_public_key).verify(org.signed_bytes(), org.signature)
    except (BadSignatureError, CryptoError, ValueError) as exc:
        raise IdentityError("the organisation key's self-signature does not verify: it was altered") from exc
    return org


# --- private key files ------------------------------------------------------------


def _passphrase_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    if not passphrase:
        raise KeyFileError("the passphrase is empty")
    try:
        secret = passphrase.encode("utf-8")
    except UnicodeEncodeError as exc:  # undecodable bytes from the environment arrive as lone surrogates
        raise KeyFileError("the passphrase is not valid UTF-8 text: type it again") from exc
    return argon2id.kdf(SecretBox.KEY_SIZE, secret, salt, opslimit=opslimit, memlimit=memlimit)


def save_private_key(keys: ReviewerKeys | OrgKeys, path: Path, passphrase: str, profile: str = "moderate") -> None:
    """Write the seed encrypted under the passphrase, readable by the owner only."""
    if profile not in KDF_PROFILES:
        raise KeyFileError(f"unknown key-file profile '{profile}'; choose one of {', '.join(KDF_PROFILES)}")
    opslimit, memlimit = KDF_PROFILES[profile]
    salt = os.urandom(argon2id.SALTBYTES)
    box = SecretBox(_passphrase_key(passphrase, salt, opslimit, memlimit))
    encrypted = box.encrypt(keys.seed)
    kind = "org" if isinstance(keys, OrgKeys) else "reviewer"
    document = {
        "format": KEY_FILE_FORMAT,
        "version": KEY_FILE_VERSION,
        "kind": kind,
        "name": keys.name,
        "public": keys.public.to_line(),
        "kdf": {"alg": "argon2id13", "opslimit": opslimit, "memlimit": memlimit, "salt": b64url(salt)},
        "nonce": b64url(encrypted.nonce),
        "sealed_seed": b64url(encrypted.ciphertext),
    }
    # Created exclusively with mode 0600, fsynced, and its directory fsynced.
    write_new_file(Path(path), (json.dumps(document, indent=2) + "\n").encode("utf-8"))


def _read_key_document(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError as exc:
        raise KeyFileError(f"no key file at {path}") from exc
    except OSError as exc:
        raise KeyFileError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"{path} is not a Candour private key file (it is far too large)")
    try:
        document = json.loads(data.decode("utf-8"))
    # ValueError covers bad UTF-8, bad JSON and integers too long to convert.
    except (ValueError, RecursionError) as exc:
        raise KeyFileError(f"{path} is not a Candour private key file") from exc
    if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
        raise KeyFileError(f"{path} is not a Candour private key file (did you give the .pub file?)")
    if document.get("version") != KEY_FILE_VERSION:
        raise KeyFileError(f"{path} is key-file version {document.get('version')}; this tool reads version 1")
    return document


def load_private_key(path: Path, passphrase: str) -> ReviewerKeys | OrgKeys:
    document = _read_key_document(path)
    kdf = document.get("kdf")
    if not isinstance(kdf, dict):
        raise KeyFileError(f"{path} is damaged: its 'kdf' settings are missing")
    opslimit, memlimit = _key_file_int(kdf, "opslimit", path), _key_file_int(kdf, "memlimit", path)
    try:
        salt, nonce = unb64url(_key_file_text(kdf, "salt", path)), unb64url(_key_file_text(document, "nonce", path))
        sealed_seed = unb64url(_key_file_text(document, "sealed_seed", path))
    except ValueError as exc:
        raise KeyFileError(f"{path} is damaged: its salt, nonce or sealed seed is not base64url") from exc
    kind, name = _key_file_text(document, "kind", path), _key_file_text(document, "name", path)
    public_line = _key_file_text(document, "public", path)
    if kdf.get("alg") != "argon2id13" or not (1 <= opslimit <= MAX_OPSLIMIT and 8192 <= memlimit <= MAX_MEMLIMIT):
        raise KeyFileError(f"{path} asks for key-derivation settings this tool refuses")
    if len(salt) != argon2id.SALTBYTES or len(nonce) != SecretBox.NONCE_SIZE:
        raise KeyFileError(f"{path} is damaged: salt or nonce has the wrong length")
    box = SecretBox(_passphrase_key(passphrase, salt, opslimit, memlimit))
    try:
        seed = box.decrypt(sealed_seed, nonce)
    except CryptoError as exc:
        raise WrongPassphraseError(f"wrong passphrase for {path}") from exc
    keys: ReviewerKeys | OrgKeys
    if kind == "reviewer":
        keys = ReviewerKeys(name=name, seed=seed)
    elif kind == "org":
        keys = OrgKeys(name=name, seed=seed)
    else:
        raise KeyFileError(f"{path} holds a key of unknown kind '{kind}'")
    try:
        derived_line = keys.public.to_line()
    except IdentityError as exc:
        raise KeyFileError(f"{path} is damaged: {exc}") from exc
    if derived_line != public_line:
        raise KeyFileError(f"{path} is damaged: its private key does not match its public identity")
    return keys


def _key_file_text(document: dict[str, Any], key: str, path: Path) -> str:
    value = document.get(key)
    if not isinstance(value, str):
        raise KeyFileError(f"{path} is damaged: '{key}' is missing or is not text")
    return value


def _key_file_int(document: dict[str, Any], key: str, path: Path) -> int:
    value = document.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise KeyFileError(f"{path} is damaged: '{key}' is missing or is not a whole number")
    return value


def load_reviewer_keys(path: Path, passphrase: str) -> ReviewerKeys:
    keys = load_private_key(path, passphrase)
    if not isinstance(keys, ReviewerKeys):
        raise KeyFileError(f"{path} is the organisation key, not a reviewer's key")
    return keys


def load_org_keys(path: Path, passphrase: str) -> OrgKeys:
    keys = load_private_key(path, passphrase)
    if not isinstance(keys, OrgKeys):
        raise KeyFileError(f"{path} is a reviewer's key, not the organisation key")
    return keys
