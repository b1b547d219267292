"""Key derivation shared by every part of the format.

One rule everywhere: a subkey is BLAKE2b-256 keyed with the parent key over a fixed
ASCII label. libsodium.js computes the same bytes with
`crypto_generichash(32, label, parent_key)`.
"""

import hashlib

SUBKEY_BYTES = 32


def derive_subkey(parent_key: bytes, label: bytes) -> bytes:
    if not 16 <= len(parent_key) <= 64:
        raise ValueError("BLAKE2b keys are 16 to 64 bytes")
    return hashlib.blake2b(label, digest_size=SUBKEY_BYTES, key=parent_key).digest()


def hash256(data: bytes) -> bytes:
    """Unkeyed BLAKE2b-256, the format's one hash."""
    return hashlib.blake2b(data, digest_size=32).digest()


def keyed_hash256(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32, key=key).digest()
