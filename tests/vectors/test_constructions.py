"""docs/format.md §1.4 re-implemented from its own words, checked against libsodium.

An outside implementer writes the secretstream, the sealed box, the secretbox and the
Argon2id call from the specification alone; this file is that implementer. If §1.4
were wrong or vague (the Poly1305 padding, the encrypted tag block, the nonce update,
the rekey), these pure-Python constructions would disagree with PyNaCl's libsodium.
Slow pure Python, so the chunks are short; the padding rule is exercised at every
length modulo 16.
"""

from __future__ import annotations

import hashlib
import os
import struct

import pytest
from argon2.low_level import Type, hash_secret_raw
from nacl import bindings
from nacl.exceptions import CryptoError
from nacl.pwhash import argon2id
from nacl.secret import SecretBox

MASK = 0xFFFFFFFF
TAG_MESSAGE, TAG_PUSH, TAG_REKEY, TAG_FINAL = 0, 1, 2, 3


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & MASK


# --- ChaCha20 (RFC 8439 §2.3), HChaCha20 (draft-irtf-cfrg-xchacha §2.2) ------------------


def _chacha_rounds(state: list[int]) -> list[int]:
    x = list(state)

    def quarter(a: int, b: int, c: int, d: int) -> None:
        x[a] = (x[a] + x[b]) & MASK
        x[d] = _rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & MASK
        x[b] = _rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & MASK
        x[d] = _rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & MASK
        x[b] = _rotl(x[b] ^ x[c], 7)

    for _ in range(10):
        quarter(0, 4, 8, 12)
        quarter(1, 5, 9, 13)
        quarter(2, 6, 10, 14)
        quarter(3, 7, 11, 15)
        quarter(0, 5, 10, 15)
        quarter(1, 6, 11, 12)
        quarter(2, 7, 8, 13)
        quarter(3, 4, 9, 14)
    return x


SIGMA = struct.unpack("<4I", b"expand 32-byte k")


def chacha20_block(key: bytes, counter: int, nonce12: bytes) -> bytes:
    state = [*SIGMA, *struct.unpack("<8I", key), counter, *struct.unpack("<3I", nonce12)]
    mixed = _chacha_rounds(state)
    return struct.pack("<16I", *((m + s) & MASK for m, s in zip(mixed, state, strict=True)))


def chacha20_stream(key: bytes, nonce12: bytes, first_block: int, length: int) -> bytes:
    out = bytearray()
    block = first_block
    while len(out) < length:
        out += chacha20_block(key, block, nonce12)
        block += 1
    return bytes(out[:length])


def hchacha20(key: bytes, input16: bytes) -> bytes:
    mixed = _chacha_rounds([*SIGMA, *struct.unpack("<8I", key), *struct.unpack("<4I", input16)])
    return struct.pack("<8I", *(mixed[i] for i in (0, 1, 2, 3, 12, 13, 14, 15)))


# --- Poly1305 (RFC 8439 §2.5) -------------------------------------------------------------------


def poly1305(key: bytes, message: bytes) -> bytes:
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:32], "little")
    p = (1 << 130) - 5
    accumulator = 0
    for offset in range(0, len(message), 16):
        block = message[offset : offset + 16] + b"\x01"
        accumulator = (accumulator + int.from_bytes(block, "little")) * r % p
    return ((accumulator + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


# --- the secretstream exactly as docs/format.md §1.4 states it ---------------------------------


class SpecStream:
    def __init__(self, key: bytes, header: bytes) -> None:
        self.k = hchacha20(key, header[:16])
        self.counter = 1
        self.inonce = header[16:24]

    @property
    def nonce(self) -> bytes:
        return struct.pack("<I", self.counter) + self.inonce

    def _mac(self, ad: bytes, block: bytes, c: bytes) -> bytes:
        polykey = chacha20_block(self.k, 0, self.nonce)[:32]
        data = (
            ad
            + bytes((0x10 - len(ad)) & 0xF)
            + block
            + c
            + bytes((0x10 - 64 + len(c)) & 0xF)
            + struct.pack("<Q", len(ad))
            + struct.pack("<Q", 64 + len(c))
        )
        return poly1305(polykey, data)

    def _advance(self, tag: int, mac: bytes) -> None:
        self.inonce = xor(self.inonce, mac[:8])
        self.counter = (self.counter + 1) & MASK
        if tag & TAG_REKEY or self.counter == 0:
            self.rekey()

    def rekey(self) -> None:
        x = xor(self.k + self.inonce, chacha20_stream(self.k, self.nonce, 0, 40))
        self.k, self.inonce, self.counter = x[:32], x[32:40], 1

    def push(self, message: bytes, ad: bytes, tag: int) -> bytes:
        block = xor(bytes([tag]) + bytes(63), chacha20_block(self.k, 1, self.nonce))
        c = xor(message, chacha20_stream(self.k, self.nonce, 2, len(message)))
        mac = self._mac(ad, block, c)
        self._advance(tag, mac)
        return block[:1] + c + mac

    def pull(self, sealed: bytes, ad: bytes) -> tuple[bytes, int]:
        keystream1 = chacha20_block(self.k, 1, self.nonce)
        block = sealed[:1] + keystream1[1:]
        c, mac = sealed[1:-16], sealed[-16:]
        if self._mac(ad, block, c) != mac:
            raise ValueError("MAC")
        tag = sealed[0] ^ keystream1[0]
        message = xor(c, chacha20_stream(self.k, self.nonce, 2, len(c)))
        self._advance(tag, mac)
        return message, tag


# Lengths cover every residue modulo 16 (the padding rule) and the empty chunk.
CHUNKS = [(bytes(range(n)), TAG_MESSAGE) for n in range(17)] + [
    (b"after a rekey tag", TAG_REKEY),
    (b"x" * 40, TAG_PUSH),
    (b"y" * 100, TAG_MESSAGE),
    (b"the end", TAG_FINAL),
]
AD = hashlib.blake2b(b"header", digest_size=32).digest()


def test_chacha20_matches_rfc_8439_section_2_3_2() -> None:
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a00000000")
    expected = (
        "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
    )
    assert chacha20_block(key, 1, nonce).hex() == expected


def test_poly1305_matches_rfc_8439_section_2_5_2() -> None:
    key = bytes.fromhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
    assert poly1305(key, b"Cryptographic Forum Research Group").hex() == "a8061dc1305136c6c22b8baf0c0127a9"


def test_the_specified_secretstream_is_read_by_libsodium() -> None:
    key, header = os.urandom(32), os.urandom(24)
    ours = SpecStream(key, header)
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    bindings.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    for message, tag in CHUNKS:
        sealed = ours.push(message, AD, tag)
        assert len(sealed) == len(message) + 17
        assert bindings.crypto_secretstream_xchacha20poly1305_pull(state, sealed, AD) == (message, tag)


def test_libsodium_secretstream_is_read_by_the_specified_one() -> None:
    key = os.urandom(32)
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    header = bindings.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    ours = SpecStream(key, header)
    for message, tag in CHUNKS:
        sealed = bindings.crypto_secretstream_xchacha20poly1305_push(state, message, AD, tag)
        assert ours.pull(sealed, AD) == (message, tag)


def test_rfc_8439_padding_would_differ_from_libsodium() -> None:
    """The mistake of issue 16 item 1: with AEAD padding, a 5-byte chunk does not verify."""
    key, header = os.urandom(32), os.urandom(24)
    stream = SpecStream(key, header)
    message = b"hello"
    block = xor(bytes([TAG_FINAL]) + bytes(63), chacha20_block(stream.k, 1, stream.nonce))
    c = xor(message, chacha20_stream(stream.k, stream.nonce, 2, len(message)))
    polykey = chacha20_block(stream.k, 0, stream.nonce)[:32]
    rfc_pad = bytes((16 - len(c) % 16) % 16)
    wrong = poly1305(polykey, AD + block + c + rfc_pad + struct.pack("<QQ", len(AD), 64 + len(c)))
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    bindings.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    with pytest.raises(CryptoError):
        bindings.crypto_secretstream_xchacha20poly1305_pull(state, block[:1] + c + wrong, AD)


def test_the_sealed_box_nonce_and_layout() -> None:
    public, secret = bindings.crypto_box_keypair()
    message = os.urandom(32)
    sealed = bindings.crypto_box_seal(message, public)
    assert len(sealed) == 32 + 16 + 32
    ephemeral = sealed[:32]
    nonce = hashlib.blake2b(ephemeral + public, digest_size=24).digest()
    # epk ‖ (MAC ‖ ciphertext): crypto_box_open takes the MAC-first box.
    assert bindings.crypto_box_open(sealed[32:], nonce, ephemeral, secret) == message


def test_the_secretbox_is_mac_then_ciphertext() -> None:
    key, nonce, message = os.urandom(32), os.urandom(24), os.urandom(32)
    box = SecretBox(key).encrypt(message, nonce).ciphertext
    assert len(box) == 16 + 32
    subkey = _hsalsa20(key, nonce[:16])
    stream = b"".join(_salsa20_block(subkey, nonce[16:24], block) for block in range(2))
    assert box[16:] == xor(message, stream[32:64])
    assert box[:16] == poly1305(stream[:32], box[16:])


def test_argon2id_parameters_are_rfc_9106_with_one_lane() -> None:
    password, salt = "café crème".encode(), os.urandom(16)
    ours = hash_secret_raw(
        password, salt, time_cost=2, memory_cost=65536 // 1024, parallelism=1, hash_len=32, type=Type.ID, version=19
    )
    assert argon2id.kdf(32, password, salt, opslimit=2, memlimit=65536) == ours


# --- Salsa20 and HSalsa20 (for the secretbox check) ------------------------------------------


def _salsa_rounds(x: list[int]) -> list[int]:
    x = list(x)

    def quarter(a: int, b: int, c: int, d: int) -> None:
        x[b] ^= _rotl((x[a] + x[d]) & MASK, 7)
        x[c] ^= _rotl((x[b] + x[a]) & MASK, 9)
        x[d] ^= _rotl((x[c] + x[b]) & MASK, 13)
        x[a] ^= _rotl((x[d] + x[c]) & MASK, 18)

    for _ in range(10):
        quarter(0, 4, 8, 12)
        quarter(5, 9, 13, 1)
        quarter(10, 14, 2, 6)
        quarter(15, 3, 7, 11)
        quarter(0, 1, 2, 3)
        quarter(5, 6, 7, 4)
        quarter(10, 11, 8, 9)
        quarter(15, 12, 13, 14)
    return x


def _salsa_state(key: bytes, middle: tuple[int, ...]) -> list[int]:
    k = struct.unpack("<8I", key)
    return [SIGMA[0], *k[:4], SIGMA[1], *middle, SIGMA[2], *k[4:], SIGMA[3]]


def _hsalsa20(key: bytes, input16: bytes) -> bytes:
    mixed = _salsa_rounds(_salsa_state(key, struct.unpack("<4I", input16)))
    return struct.pack("<8I", *(mixed[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)))


def _salsa20_block(key: bytes, nonce8: bytes, counter: int) -> bytes:
    state = _salsa_state(key, (*struct.unpack("<2I", nonce8), counter & MASK, counter >> 32))
    mixed = _salsa_rounds(state)
    return struct.pack("<16I", *((m + s) & MASK for m, s in zip(mixed, state, strict=True)))
