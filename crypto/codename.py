"""Codenames: eight words that are the reporter's only way back to their case.

Generated where the sealing happens (the browser, or the server on the
no-JavaScript path) and never stored. A master key comes from the codename and the
instance's public salt; from it come the login token (the server keeps only a keyed
hash of it), the reporter's X25519 reply key and an Ed25519 key.

Two derivations of the master key exist (docs/format.md §6). Version 2, written for
every new case, is one keyed BLAKE2b: a codename is 88 random bits that no person
chose, so a memory-hard hash adds nothing its entropy does not already give
(docs/threat-model.md). Version 1, Argon2id (64 MiB), stays derivable so that cases
made before version 2 keep their codenames; the portal records each case's version.
"""

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

import nacl.pwhash.argon2id as argon2id
from nacl import bindings
from nacl.signing import SigningKey

from .errors import CodenameError, UnsupportedVersionError
from .kdf import derive_subkey, keyed_hash256
from .wordlist import WORD_COUNT, word_index, words

CODENAME_WORDS = 8
INSTANCE_SALT_BYTES = argon2id.SALTBYTES  # 16
MASTER_KEY_BYTES = 32
ARGON2_OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE  # 2
ARGON2_MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE  # 64 MiB
CODENAME_VERSION = 2  # what new cases get
CODENAME_VERSIONS = (1, 2)  # what can still be derived
LABEL_MASTER_V2 = b"candour/v2 codename master"
LABEL_LOGIN = b"candour/v1 login"
LABEL_REPLY_BOX = b"candour/v1 reporter reply box"
LABEL_REPORTER_SIGN = b"candour/v1 reporter sign"
_SEPARATORS = re.compile(r"[ \t\n\r\-,.;:]+")


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


def typed_words(text: str) -> list[str]:
    """The words of what a person typed, folded as the normal form folds them (NFKC, lower case)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    # Only these separate words (docs/format.md §6): str.split() would also split on
    # U+000B, U+000C, U+001C–U+001F, U+0085, U+2028…, which JavaScript's \s does not.
    return [word for word in _SEPARATORS.split(folded) if word]


@dataclass(frozen=True)
class CodenameProblem:
    """One thing wrong with a typed codename, for a page to put into words.

    kind is "empty", "count" (`count` words typed, not 8), "unknown" (the word at
    `position`, counted from 1, is not in the word list) or "differs" (a list word that
    is not the expected codename's word at `position`). `word` is always what was typed,
    never the expected word: a page may show it back to the person who typed it.
    """

    kind: str
    position: int = 0
    word: str = ""
    count: int = 0


def codename_problems(text: str, expected: str | None = None) -> list[CodenameProblem]:
    """Everything wrong with a typed codename, in the order of the words; [] when it is one
    (and, given the normal form `expected`, when it is that one). Mirrored by
    static/js/crypto/codename.js codenameProblems."""
    typed = typed_words(text)
    if not typed:
        return [CodenameProblem("empty")]
    problems = []
    if len(typed) != CODENAME_WORDS:
        problems.append(CodenameProblem("count", count=len(typed)))
    index = word_index()
    problems += [
        CodenameProblem("unknown", position=position, word=word)
        for position, word in enumerate(typed, start=1)
        if word not in index
    ]
    if problems or expected is None:
        return problems
    return [
        CodenameProblem("differs", position=position, word=word)
        for position, (word, wanted) in enumerate(zip(typed, expected.split(), strict=True), start=1)
        if word != wanted
    ]


def normalise_codename(text: str) -> str:
    """Accept what a person types: any case, extra spaces, dashes or commas between words."""
    typed = typed_words(text)
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


def derive_master_key(codename: str, instance_salt: bytes, version: int = CODENAME_VERSION) -> bytes:
    """Version 2: BLAKE2b-256 keyed with the instance salt over the label, a zero byte
    and the normal form (microseconds). Version 1: Argon2id, 64 MiB (~70-100 ms)."""
    if len(instance_salt) != INSTANCE_SALT_BYTES:
        raise ValueError(f"the instance salt is {INSTANCE_SALT_BYTES} bytes")
    normal_form = normalise_codename(codename).encode("ascii")
    if version == 2:
        return hashlib.blake2b(
            LABEL_MASTER_V2 + b"\x00" + normal_form, digest_size=MASTER_KEY_BYTES, key=instance_salt
        ).digest()
    if version == 1:
        return argon2id.kdf(
            MASTER_KEY_BYTES, normal_form, instance_salt, opslimit=ARGON2_OPSLIMIT, memlimit=ARGON2_MEMLIMIT
        )
    raise UnsupportedVersionError(
        f"codename derivation version {version} is unknown; this tool derives versions "
        + " and ".join(str(known) for known in CODENAME_VERSIONS)
    )


def reporter_keys_from_master(master_key: bytes) -> ReporterKeys:
    return ReporterKeys(
        login_token=derive_subkey(master_key, LABEL_LOGIN),
        reply_secret_key=derive_subkey(master_key, LABEL_REPLY_BOX),
        signing_seed=derive_subkey(master_key, LABEL_REPORTER_SIGN),
    )


def derive_reporter_keys(codename: str, instance_salt: bytes, version: int = CODENAME_VERSION) -> ReporterKeys:
    """Version 2 is cheap. Version 1 costs one Argon2id (64 MiB, ~70 ms): callers on a
    server bound its concurrency."""
    return reporter_keys_from_master(derive_master_key(codename, instance_salt, version))


def login_lookup_hash(login_token: bytes, pepper: bytes) -> bytes:
    """What the server stores: a keyed hash, useless without the instance's pepper."""
    if len(login_token) != 32:
        raise ValueError("a login token is 32 bytes")
    return keyed_hash256(pepper, login_token)
