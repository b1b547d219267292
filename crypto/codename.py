"""Codenames: eight words that are the reporter's only way back to their case.

Generated where the sealing happens (the browser, or the server on the
no-JavaScript path) and never stored. Argon2id over the codename with the
instance's public salt gives a master key; from it come the login token (the server
keeps only a keyed hash of it), the reporter's X25519 reply key and an Ed25519 key.
"""

import secrets
import unicodedata
from dataclasses import dataclass, field

import nacl.pwhash.argon2id as argon2id
from nacl import bindings
from nacl.signing import SigningKey

from .errors import CodenameError
from .kdf import derive_subkey, keyed_hash256
from .wordlist import WORD_COUNT, word_index, words

CODENAME_WORDS = 8
INSTANCE_SALT_BYTES = argon2id.SALTBYTES  # 16
MASTER_KEY_BYTES = 32
ARGON2_OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE  # 2
ARGON2_MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE  # 64 MiB
LABEL_LOGIN = b"candour/v1 login"
LABEL_REPLY_BOX = b"candour/v1 reporter reply box"
LABEL_REPORTER_SIGN = b"candour/v1 reporter sign"


@dataclass(frozen=True)
class ReporterKeys:
    login_token: bytes = field(repr=False)
    reply_secret_key: bytes = field(repr=False)
    signing_seed: bytes = field(repr=False)

    @property
    def reply_public_key(self) -> bytes:
        return bindings.crypto_scalarmult_base(self.reply_secret_key)

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey(self.signing_seed)

    @property
    def sign_public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)


def generate_codename() -> str:
    return " ".join(words()[secrets.randbelow(WORD_COUNT)] for _ in range(CODENAME_WORDS))


def normalise_codename(text: str) -> str:
    """Accept what a person types: any case, extra spaces, dashes or commas between words."""
    folded = unicodedata.normalize("NFKC", text).lower()
    for separator in "-,.;:\n\t":
        folded = folded.replace(separator, " ")
    typed = folded.split()
    if len(typed) != CODENAME_WORDS:
        raise CodenameError(f"a codename is {CODENAME_WORDS} words; you entered {len(typed)}. Check it and try again")
    index = word_index()
    unknown = [word for word in typed if word not in index]
    if unknown:
        raise CodenameError(
            f"'{unknown[0]}' is not a codename word. Check the spelling of each word and try again"
            if len(unknown) == 1
            else f"{len(unknown)} of the words are not codename words. Check the spelling and try again"
        )
    return " ".join(typed)


def derive_master_key(codename: str, instance_salt: bytes) -> bytes:
    if len(instance_salt) != INSTANCE_SALT_BYTES:
        raise ValueError(f"the instance salt is {INSTANCE_SALT_BYTES} bytes")
    return argon2id.kdf(
        MASTER_KEY_BYTES,
        normalise_codename(codename).encode("ascii"),
        instance_salt,
        opslimit=ARGON2_OPSLIMIT,
        memlimit=ARGON2_MEMLIMIT,
    )


def reporter_keys_from_master(master_key: bytes) -> ReporterKeys:
    return ReporterKeys(
        login_token=derive_subkey(master_key, LABEL_LOGIN),
        reply_secret_key=derive_subkey(master_key, LABEL_REPLY_BOX),
        signing_seed=derive_subkey(master_key, LABEL_REPORTER_SIGN),
    )


def derive_reporter_keys(codename: str, instance_salt: bytes) -> ReporterKeys:
    """Costs one Argon2id (64 MiB, ~60 ms): callers on a server bound the concurrency."""
    return reporter_keys_from_master(derive_master_key(codename, instance_salt))


def login_lookup_hash(login_token: bytes, pepper: bytes) -> bytes:
    """What the server stores: a keyed hash, useless without the instance's pepper."""
    if len(login_token) != 32:
        raise ValueError("a login token is 32 bytes")
    return keyed_hash256(pepper, login_token)
