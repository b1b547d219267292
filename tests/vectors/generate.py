"""Write the envelope known-answer vectors in tests/vectors/ (docs/format.md §13).

    .venv/bin/python tests/vectors/generate.py            # rewrite every vector file
    .venv/bin/python tests/vectors/generate.py --check    # build in memory, write nothing

Honest envelopes come from the real sealer (`crypto.envelope.seal_bytes`). Malformed
ones that cannot be made by damaging an honest envelope (a split content key, bad
padding, wrong version with a valid MAC, ...) are built by `hand_seal` from the same
primitives and constants the sealer uses; a hand-built honest envelope is checked to
open, so a failing hand-built vector fails only because of the defect it carries.

Determinism: reviewer seeds, submission ids, plaintexts and content keys are fixed
(content keys by replacing `os.urandom` inside `crypto.envelope` with a seeded
BLAKE2b counter). libsodium still draws the sealed-box ephemeral keys and the
secretstream header itself, so regenerating gives different bytes with the same
outcomes. The vectors are therefore generated once and committed; the test checks
that each committed file gives its expected outcome, not that regeneration is
byte-identical. Every vector's outcome is also checked here before anything is
written, so a wrong expectation stops the generator instead of landing in a file.
"""

import argparse
import base64
import hashlib
import io
import json
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from nacl import bindings

from crypto import envelope as env
from crypto.identity import ReviewerKeys
from crypto.kdf import derive_subkey, hash256, keyed_hash256
from crypto.padding import pad, padded_size

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

MIN_PADDED = padded_size(0)  # 16 KiB


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# --- fixed inputs -------------------------------------------------------------------


def reviewer(index: int) -> ReviewerKeys:
    seed = hash256(b"candour/v1 test vector reviewer seed" + bytes([index]))
    return ReviewerKeys(name=f"Reviewer {index:02d}", seed=seed)


def fixed_bytes(label: str, size: int) -> bytes:
    """Reproducible filler (BLAKE2b in counter mode), distinct per label."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.blake2b(label.encode() + counter.to_bytes(8, "big"), digest_size=64).digest()
        counter += 1
    return bytes(out[:size])


def submission_id(label: str) -> bytes:
    return fixed_bytes("submission id " + label, env.SUBMISSION_ID_BYTES)


@contextmanager
def seeded_urandom(label: str) -> Iterator[None]:
    """Make the sealer's content key reproducible without touching its code path."""
    stream = io.BytesIO(fixed_bytes("urandom " + label, 4096))

    def urandom(size: int) -> bytes:
        data = stream.read(size)
        assert len(data) == size
        return data

    with mock.patch.object(env, "os", SimpleNamespace(urandom=urandom)):
        yield


def seal(label: str, plaintext: bytes, recipients: list[ReviewerKeys], part_index: int = 0) -> bytes:
    """An honest envelope from the real sealer."""
    with seeded_urandom(label):
        return env.seal_bytes(plaintext, recipients, submission_id(label), part_index)


def content_key(label: str) -> bytes:
    return fixed_bytes("content key " + label, env.CONTENT_KEY_BYTES)


# --- the hand builder ------------------------------------------------------------------


def stanza_for(recipient: ReviewerKeys, key: bytes) -> bytes:
    return bytes(recipient.key_id) + bindings.crypto_box_seal(key, bytes(recipient.box_public_key))


def hand_seal(
    stanzas: list[bytes],
    key: bytes,
    padded_plaintext: bytes,
    *,
    sub_id: bytes,
    part_index: int = 0,
    magic: bytes = env.MAGIC,
    version: int = env.VERSION,
    suite: int = env.SUITE,
    stanza_count: int | None = None,
    chunk_sizes: list[int] | None = None,
    tags: list[int] | None = None,
) -> bytes:
    """Assemble an envelope field by field, exactly as EnvelopeSealer does.

    `key` keys the MAC and the payload; `stanzas` may seal other keys (a dishonest
    sealer). `padded_plaintext` is used as given, so it may carry bad padding.
    `chunk_sizes` and `tags` override the chunking (default: 64 KiB chunks, FINAL last).
    """
    count = len(stanzas) if stanza_count is None else stanza_count
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    stream_header = bindings.crypto_secretstream_xchacha20poly1305_init_push(
        state, derive_subkey(key, env.LABEL_PAYLOAD_KEY)
    )
    unauthenticated = (
        struct.pack(env.PREFIX_FORMAT, magic, version, suite, sub_id, part_index, count)
        + b"".join(stanzas)
        + stream_header
    )
    header = unauthenticated + keyed_hash256(derive_subkey(key, env.LABEL_MAC_KEY), unauthenticated)
    ad = hash256(header)
    if chunk_sizes is None:
        chunk_sizes = []
        remaining = len(padded_plaintext)
        while remaining > env.CHUNK_SIZE:
            chunk_sizes.append(env.CHUNK_SIZE)
            remaining -= env.CHUNK_SIZE
        chunk_sizes.append(remaining)
    assert sum(chunk_sizes) == len(padded_plaintext)
    if tags is None:
        tags = [env.TAG_MESSAGE] * (len(chunk_sizes) - 1) + [env.TAG_FINAL]
    out = [header]
    offset = 0
    for size, tag in zip(chunk_sizes, tags, strict=True):
        chunk = padded_plaintext[offset : offset + size]
        out.append(bindings.crypto_secretstream_xchacha20poly1305_push(state, chunk, ad, tag))
        offset += size
    return b"".join(out)


# --- a low-order ephemeral key in a sealed box ---------------------------------------------


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & 0xFFFFFFFF


def hsalsa20(key: bytes, nonce16: bytes) -> bytes:
    """HSalsa20, which PyNaCl does not expose; checked against crypto_box_beforenm below.

    Needed only to build what a reader that skips the low-order check would accept:
    with an all-zero X25519 result, crypto_box's key is HSalsa20(0^32, 0^16).
    """
    c = struct.unpack("<4I", b"expand 32-byte k")
    k = struct.unpack("<8I", key)
    n = struct.unpack("<4I", nonce16)
    x = [c[0], k[0], k[1], k[2], k[3], c[1], n[0], n[1], n[2], n[3], c[2], k[4], k[5], k[6], k[7], c[3]]

    def quarter(a: int, b: int, cc: int, d: int) -> None:
        x[b] ^= _rotl((x[a] + x[d]) & 0xFFFFFFFF, 7)
        x[cc] ^= _rotl((x[b] + x[a]) & 0xFFFFFFFF, 9)
        x[d] ^= _rotl((x[cc] + x[b]) & 0xFFFFFFFF, 13)
        x[a] ^= _rotl((x[d] + x[cc]) & 0xFFFFFFFF, 18)

    for _ in range(10):
        quarter(0, 4, 8, 12)
        quarter(5, 9, 13, 1)
        quarter(10, 14, 2, 6)
        quarter(15, 3, 7, 11)
        quarter(0, 1, 2, 3)
        quarter(5, 6, 7, 4)
        quarter(10, 11, 8, 9)
        quarter(15, 12, 13, 14)
    return struct.pack("<8I", *(x[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)))


def _check_hsalsa20() -> None:
    public, secret = bindings.crypto_box_seed_keypair(b"\x07" * 32)
    other_public, _ = bindings.crypto_box_seed_keypair(b"\x09" * 32)
    shared = bindings.crypto_scalarmult(secret, other_public)
    assert hsalsa20(shared, bytes(16)) == bindings.crypto_box_beforenm(other_public, secret)


# The order-8 point from the libsodium / Wycheproof low-order lists; any clamped scalar
# times it is the neutral element, whose u-coordinate is 0, like the all-zero key.
ORDER_8_POINT = bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")


def low_order_stanza(recipient: ReviewerKeys, key: bytes, ephemeral: bytes) -> bytes:
    """A sealed box a reader without the low-order check would open to `key`."""
    recipient_pk = bytes(recipient.box_public_key)
    nonce = hashlib.blake2b(ephemeral + recipient_pk, digest_size=24).digest()
    box_key = hsalsa20(bytes(32), bytes(16))
    return bytes(recipient.key_id) + ephemeral + bindings.crypto_box_afternm(key, nonce, box_key)


# --- envelope geometry -------------------------------------------------------------------


def field_offsets(stanza_count: int) -> dict[str, int]:
    stanzas = env.PREFIX_BYTES
    stream = stanzas + stanza_count * env.STANZA_BYTES
    return {
        "magic": 0,
        "version": 7,
        "suite": 8,
        "submission_id": 9,
        "part_index": 25,
        "stanza_count": 27,
        "stanzas": stanzas,
        "stream_header": stream,
        "mac": stream + env.STREAM_HEADER_BYTES,
        "payload": stream + env.STREAM_HEADER_BYTES + env.MAC_BYTES,
    }


def chunks_of(envelope: bytes, stanza_count: int) -> tuple[bytes, list[bytes]]:
    start = env.header_size(stanza_count)
    payload = envelope[start:]
    return envelope[:start], [
        payload[i : i + env.SEALED_CHUNK_SIZE] for i in range(0, len(payload), env.SEALED_CHUNK_SIZE)
    ]


def flip(data: bytes, offset: int, mask: int = 0x01) -> bytes:
    return data[:offset] + bytes([data[offset] ^ mask]) + data[offset + 1 :]


# --- the vectors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Vector:
    name: str
    description: str
    reviewers: list[ReviewerKeys]
    opener: int
    envelope: bytes
    expected: str
    plaintext: bytes | None = None

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "name": self.name,
            "description": self.description,
            "kind": "envelope",
            "reviewers": [{"name": r.name, "seed": r.seed.hex()} for r in self.reviewers],
            "opener": self.opener,
            "envelope": b64u(self.envelope),
            "expected": self.expected,
        }
        if self.plaintext is not None:
            document["plaintext"] = b64u(self.plaintext)
        return document


def build_vectors() -> list[Vector]:
    _check_hsalsa20()
    r = [reviewer(i) for i in range(17)]
    one, two, three = r[:1], r[:2], r[:3]
    vectors: list[Vector] = []

    def add(
        name: str,
        description: str,
        reviewers: list[ReviewerKeys],
        opener: int,
        envelope: bytes,
        expected: str,
        plaintext: bytes | None = None,
    ) -> None:
        vectors.append(Vector(name, description, reviewers, opener, envelope, expected, plaintext))

    text = b"A report: the invoices for the depot were approved twice.\n"

    # -- success ------------------------------------------------------------------------
    basic = seal("basic", text, one)
    add(
        "success-1-reviewer",
        "One reviewer, a short text part (padded to 16 KiB, one chunk).",
        one,
        0,
        basic,
        "success",
        text,
    )
    sixteen = seal("sixteen", text, r[:16], part_index=1)
    add(
        "success-16-reviewers",
        "Sixteen reviewers (the cap), part 1; the last reviewer opens.",
        r[:16],
        15,
        sixteen,
        "success",
        text,
    )
    add(
        "success-16-reviewers-middle",
        "The same sixteen-reviewer envelope opened by reviewer 7.",
        r[:16],
        7,
        sixteen,
        "success",
        text,
    )
    empty = seal("empty", b"", two)
    add(
        "success-empty-part",
        "An empty part: the payload is only padding (0x80 then zeros, 16 KiB).",
        two,
        1,
        empty,
        "success",
        b"",
    )
    for name, size, note in [
        ("success-64k-minus-1", 65535, "padded to exactly 65,536 bytes: one full-length FINAL chunk"),
        ("success-64k", 65536, "padded to 67,584 bytes: a full MESSAGE chunk and a short FINAL chunk"),
        ("success-64k-plus-1", 65537, "padded to 67,584 bytes: the content itself spills into the second chunk"),
    ]:
        content = fixed_bytes(name, size)
        add(name, f"{size} bytes of content, {note}.", one, 0, seal(name, content, one), "success", content)
    tricky = text + b"\x80\x00\x00\x80\x00"
    add(
        "success-content-ends-like-padding",
        "Content that itself ends in 0x80 0x00 0x00 0x80 0x00: only the last 0x80 run is padding.",
        one,
        0,
        seal("tricky", tricky, one),
        "success",
        tricky,
    )
    part63 = seal("part63", text, two, part_index=63)
    add("success-part-63", "The highest part index (63).", two, 0, part63, "success", text)
    three_chunk_content = fixed_bytes("three chunks", 131072)
    three_chunk = seal("three chunks", three_chunk_content, one)
    # The base of the chunk vectors: 131,072 bytes padded to 135,168, two full chunks and
    # a 4 KiB FINAL chunk. Not a success vector itself (with its plaintext it would
    # exceed the 300 KiB budget), so check here that it opens.
    assert env.open_bytes(three_chunk, one[0])[1] == three_chunk_content
    sub = submission_id("hand")
    key = content_key("hand")
    add(
        "success-hand-built",
        "Built field by field by the generator's hand builder; proves the builder matches "
        "the sealer, so the hand-built failure vectors fail only for their defect.",
        two,
        1,
        hand_seal([stanza_for(x, key) for x in two], key, pad(text), sub_id=sub),
        "success",
        text,
    )

    # -- header failure: prefix and caps ------------------------------------------------------
    for name, kwargs, why in [
        ("header-bad-magic", {"magic": b"CANDOUX"}, "magic 'CANDOUX'"),
        ("header-bad-version", {"version": 2}, "version 2"),
        ("header-version-0", {"version": 0}, "version 0"),
        ("header-bad-suite", {"suite": 2}, "suite 2"),
        ("header-part-index-64", {"part_index": 64}, "part index 64 (the cap is 63)"),
    ]:
        add(
            name,
            f"Otherwise valid envelope (MAC and chunks made over it) with {why}.",
            one,
            0,
            hand_seal([stanza_for(one[0], key)], key, pad(text), sub_id=sub, **kwargs),
            "header failure",
        )
    add(
        "header-0-stanzas",
        "stanza_count 0 with no stanzas, MAC and chunks valid for that header.",
        one,
        0,
        hand_seal([], key, pad(text), sub_id=sub),
        "header failure",
    )
    add(
        "header-17-stanzas",
        "17 real stanzas (one over the cap), MAC and chunks valid.",
        r[:17],
        0,
        hand_seal([stanza_for(x, key) for x in r[:17]], key, pad(text), sub_id=sub),
        "header failure",
    )
    stanzas_255 = [stanza_for(r[i % 17], key) for i in range(255)]
    add(
        "header-255-stanzas",
        "stanza_count 255 with 255 stanzas present (reviewers 0..16 repeated).",
        r[:17],
        0,
        hand_seal(stanzas_255, key, pad(text), sub_id=sub),
        "header failure",
    )
    add(
        "header-duplicate-key-id",
        "Two stanzas for the same reviewer, both sealing the real key; MAC valid.",
        one,
        0,
        hand_seal([stanza_for(one[0], key), stanza_for(one[0], key)], key, pad(text), sub_id=sub),
        "header failure",
    )

    # -- truncation, at each field of the header and of the payload --------------------------
    off = field_offsets(2)
    two_env = seal("two", text, two)
    for name, cut, where, expected in [
        ("truncated-empty", 0, "no bytes at all", "header failure"),
        ("truncated-inside-magic", 4, "inside the magic", "header failure"),
        ("truncated-inside-prefix", off["part_index"] + 1, "inside part_index", "header failure"),
        ("truncated-after-prefix", off["stanzas"], "right after the 28-byte prefix", "header failure"),
        (
            "truncated-inside-stanza",
            off["stanzas"] + env.STANZA_BYTES + 40,
            "inside the second stanza",
            "header failure",
        ),
        ("truncated-inside-stream-header", off["stream_header"] + 10, "inside the stream header", "header failure"),
        ("truncated-inside-mac", off["mac"] + 31, "one byte short of the full MAC", "header failure"),
        ("truncated-no-payload", off["payload"], "right after the header: no chunk at all", "payload failure"),
        (
            "truncated-inside-chunk-tag",
            off["payload"] + 10,
            "ten bytes into the only chunk (less than its 17 bytes of overhead)",
            "payload failure",
        ),
        ("truncated-inside-chunk", off["payload"] + 1000, "1,000 bytes into the only chunk", "payload failure"),
        ("truncated-last-byte", len(two_env) - 1, "one byte before the end", "payload failure"),
    ]:
        add(name, f"A valid two-reviewer envelope cut {where}.", two, 0, two_env[:cut], expected)
    big_header, big_chunks = chunks_of(three_chunk, 1)
    sixty_four_k = vectors[[v.name for v in vectors].index("success-64k")].envelope
    add(
        "truncated-missing-final-chunk",
        "The 64 KiB envelope (a full MESSAGE chunk and a short FINAL chunk) cut "
        "at the end of its first chunk: every byte present is authentic, but the FINAL chunk never arrives.",
        one,
        0,
        sixty_four_k[: env.header_size(1) + env.SEALED_CHUNK_SIZE],
        "payload failure",
    )

    # -- not a recipient -----------------------------------------------------------------------
    add(
        "no-match-not-a-recipient",
        "Sealed to reviewers 0 and 1; reviewer 2 (not a recipient) opens.",
        three,
        2,
        two_env,
        "no match",
    )
    for name, ephemeral, what in [
        ("no-match-zero-ephemeral", bytes(32), "the all-zero X25519 point"),
        ("no-match-order-8-ephemeral", ORDER_8_POINT, "an X25519 point of order 8"),
    ]:
        add(
            name,
            f"The opener's stanza has {what} as its sealed-box ephemeral key; the box is built so that a "
            "reader accepting the all-zero shared secret would open it to the real key (MAC and chunks valid). "
            "libsodium refuses the point.",
            one,
            0,
            hand_seal([low_order_stanza(one[0], key, ephemeral)], key, pad(text), sub_id=sub),
            "no match",
        )

    # -- a flipped bit in each header field ---------------------------------------------------
    first_stanza_key = off["stanzas"] + env.KEY_ID_BYTES
    second_stanza = off["stanzas"] + env.STANZA_BYTES
    for name, offset, mask, what, expected in [
        ("flip-magic", 2, 0x01, "magic", "header failure"),
        ("flip-version", off["version"], 0x01, "version (1 -> 0)", "header failure"),
        ("flip-suite", off["suite"], 0x02, "suite (1 -> 3)", "header failure"),
        ("flip-submission-id", off["submission_id"] + 5, 0x10, "submission id", "mac failure"),
        ("flip-part-index", off["part_index"] + 1, 0x01, "part index (0 -> 1)", "mac failure"),
        (
            "flip-part-index-high",
            off["part_index"],
            0x80,
            "part index high bit (0 -> 32768, over the cap)",
            "header failure",
        ),
        (
            "flip-stanza-count",
            off["stanza_count"],
            0x01,
            "stanza count (2 -> 3: the reader takes payload bytes as a third stanza)",
            "mac failure",
        ),
        ("flip-stanza-count-zero", off["stanza_count"], 0x02, "stanza count (2 -> 0)", "header failure"),
        ("flip-opener-key-id", off["stanzas"] + 3, 0x01, "the opener's key id", "no match"),
        (
            "flip-opener-ephemeral-key",
            first_stanza_key + 4,
            0x01,
            "the ephemeral key of the opener's sealed box",
            "no match",
        ),
        (
            "flip-opener-ephemeral-high-bit",
            first_stanza_key + 31,
            0x80,
            "the top bit of the opener's ephemeral key (ignored by X25519, but it changes the sealed-box nonce)",
            "no match",
        ),
        (
            "flip-opener-sealed-key",
            first_stanza_key + 60,
            0x01,
            "the ciphertext of the opener's sealed box",
            "no match",
        ),
        ("flip-other-key-id", second_stanza + 2, 0x01, "the other recipient's key id", "mac failure"),
        ("flip-other-sealed-key", second_stanza + 50, 0x01, "the other recipient's sealed box", "mac failure"),
        ("flip-stream-header", off["stream_header"] + 7, 0x01, "the secretstream header", "mac failure"),
        ("flip-mac", off["mac"] + 31, 0x80, "the header MAC", "mac failure"),
    ]:
        add(
            name,
            f"A valid two-reviewer envelope (reviewer 0 opens) with one bit of the {what} flipped.",
            two,
            0,
            flip(two_env, offset, mask),
            expected,
        )

    # -- stanzas moved between places ------------------------------------------------------------
    header, rest = two_env[: off["payload"]], two_env[off["payload"] :]
    s0 = header[off["stanzas"] : second_stanza]
    s1 = header[second_stanza : off["stream_header"]]
    reordered = header[: off["stanzas"]] + s1 + s0 + header[off["stream_header"] :] + rest
    add("mac-reordered-stanzas", "The two stanzas of a valid envelope swapped.", two, 0, reordered, "mac failure")
    other = seal("other", text, two)
    graft = header[:second_stanza] + other[second_stanza : off["stream_header"]] + header[off["stream_header"] :] + rest
    add(
        "mac-grafted-stanza",
        "Reviewer 1's stanza replaced by reviewer 1's stanza from another envelope to the "
        "same reviewers; reviewer 1 opens (and gets the other envelope's key).",
        two,
        1,
        graft,
        "mac failure",
    )
    add(
        "mac-grafted-stanza-other-opener",
        "The same grafted envelope opened by reviewer 0, whose own stanza is intact.",
        two,
        0,
        graft,
        "mac failure",
    )
    key_b = content_key("split B")
    split = hand_seal([stanza_for(two[0], key), stanza_for(two[1], key_b)], key, pad(text), sub_id=sub)
    add(
        "split-key-opener-1",
        "A dishonest sealer gave each reviewer a different content key: the MAC, stream "
        "header and chunks use reviewer 0's key; reviewer 1's stanza seals another key. Reviewer 1 opens.",
        two,
        1,
        split,
        "mac failure",
    )
    add(
        "split-key-opener-0",
        "The split-key envelope opened by reviewer 0, whose key made the MAC: it opens, and "
        "reviewer 1 is refused (split-key-opener-1), so no two reviewers read different content.",
        two,
        0,
        split,
        "success",
        text,
    )
    split3 = hand_seal(
        [stanza_for(two[0], content_key("split C")), stanza_for(two[1], key_b)], key, pad(text), sub_id=sub
    )
    add(
        "split-key-mac-under-third-key",
        "Each reviewer's stanza seals its own key and the MAC and payload use a third key nobody got.",
        two,
        0,
        split3,
        "mac failure",
    )

    # -- the payload --------------------------------------------------------------------------------
    c = big_chunks
    two_header, d = chunks_of(sixty_four_k, 1)  # a full MESSAGE chunk, then a short FINAL chunk
    for name, chunks, what in [
        ("chunk-swapped", [c[1], c[0], c[2]], "its first two (full-length) chunks swapped"),
        ("chunk-duplicated", [c[0], c[0], c[1], c[2]], "its first chunk repeated"),
        ("chunk-dropped-middle", [c[0], c[2]], "its middle chunk dropped"),
        ("chunk-dropped-final", [c[0], c[1]], "its FINAL chunk dropped"),
        ("chunk-final-moved-first", [c[2], c[0], c[1]], "its FINAL chunk moved to the front"),
    ]:
        add(name, f"The three-chunk envelope with {what}.", one, 0, big_header + b"".join(chunks), "payload failure")
    for name, chunks, what in [
        ("chunk-flipped-byte-first", [flip(d[0], 1234), d[1]], "one ciphertext bit of chunk 0 flipped"),
        (
            "chunk-flipped-byte-final",
            [d[0], flip(d[1], len(d[1]) - 1)],
            "the last byte (inside the authentication tag) of the FINAL chunk flipped",
        ),
        ("chunk-flipped-tag-byte", [flip(d[0], 0), d[1]], "the first byte of chunk 0 (the encrypted tag byte) flipped"),
    ]:
        add(
            name,
            f"The 64 KiB two-chunk envelope with {what}.",
            one,
            0,
            two_header + b"".join(chunks),
            "payload failure",
        )
    add(
        "chunk-from-other-envelope",
        "The header of one valid envelope followed by the payload of another sealed to the same reviewers.",
        two,
        0,
        two_env[: off["payload"]] + other[off["payload"] :],
        "payload failure",
    )
    add(
        "trailing-after-short-final",
        "One byte appended to a valid envelope whose FINAL chunk is short: the "
        "byte lands inside that chunk, which fails.",
        one,
        0,
        basic + b"\x00",
        "payload failure",
    )
    full_final = seal("full final", fixed_bytes("full final", 65535), one)
    add(
        "trailing-after-full-final",
        "One byte appended after a full-length (65,553-byte) FINAL chunk.",
        one,
        0,
        full_final + b"\x00",
        "payload failure",
    )
    add(
        "trailing-envelope-after-full-final",
        "A whole second envelope appended after a full-length FINAL chunk.",
        one,
        0,
        full_final + basic,
        "payload failure",
    )
    body = pad(fixed_bytes("tags", 70000))  # 71,680 padded bytes: two chunks
    add(
        "chunk-final-tag-early",
        "Hand-built: the first chunk is tagged FINAL and a MESSAGE chunk follows it.",
        one,
        0,
        hand_seal([stanza_for(one[0], key)], key, body, sub_id=sub, tags=[env.TAG_FINAL, env.TAG_MESSAGE]),
        "payload failure",
    )
    add(
        "chunk-no-final-tag",
        "Hand-built: every chunk tagged MESSAGE, none FINAL.",
        one,
        0,
        hand_seal([stanza_for(one[0], key)], key, body, sub_id=sub, tags=[env.TAG_MESSAGE, env.TAG_MESSAGE]),
        "payload failure",
    )
    add(
        "chunk-unknown-tag",
        "Hand-built: the last chunk carries TAG_PUSH (1) instead of TAG_FINAL.",
        one,
        0,
        hand_seal(
            [stanza_for(one[0], key)],
            key,
            pad(text),
            sub_id=sub,
            tags=[bindings.crypto_secretstream_xchacha20poly1305_TAG_PUSH],
        ),
        "payload failure",
    )
    add(
        "chunk-short-message",
        "Hand-built: a 1,000-byte MESSAGE chunk before the FINAL one (chunks must be 64 KiB).",
        one,
        0,
        hand_seal([stanza_for(one[0], key)], key, pad(text), sub_id=sub, chunk_sizes=[1000, MIN_PADDED - 1000]),
        "payload failure",
    )

    # -- padding ----------------------------------------------------------------------------------
    stanza = [stanza_for(one[0], key)]
    for name, padded, what in [
        ("padding-no-marker", text + bytes(MIN_PADDED - len(text)), "the content then zeros, no 0x80 marker"),
        ("padding-all-zero", bytes(MIN_PADDED), "16,384 zero bytes"),
        (
            "padding-wrong-length",
            pad(text) + bytes(4096),
            "valid 0x80-and-zeros padding 4,096 bytes longer than padded_size",
        ),
        ("padding-too-short", text + b"\x80", "the content and a 0x80 marker, without the zeros up to 16 KiB"),
        (
            "padding-marker-then-data",
            text + b"\x80" + bytes(100) + b"\x01" + bytes(MIN_PADDED - len(text) - 102),
            "a 0x80 marker followed by zeros and then a 0x01 byte before the final zeros",
        ),
    ]:
        add(
            name,
            f"Hand-built with a padded plaintext of {what}; header, MAC and chunks valid.",
            one,
            0,
            hand_seal(stanza, key, padded, sub_id=sub),
            "padding failure",
        )
    return vectors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="build and verify the vectors, write nothing")
    args = parser.parse_args()
    from tests.vectors.test_vectors import outcome_of_vector  # the one exception -> outcome mapping

    vectors = build_vectors()
    names = [v.name for v in vectors]
    assert len(names) == len(set(names)), "two vectors share a name"
    for vector in vectors:
        document = vector.to_json()
        got = outcome_of_vector(document)
        if got != vector.expected:
            raise SystemExit(f"{vector.name}: expected {vector.expected!r}, the reader gives {got!r}")
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if len(text) > 300 * 1024:
            raise SystemExit(f"{vector.name}: {len(text)} bytes, over the 300 KiB budget")
        if not args.check:
            (HERE / f"{vector.name}.json").write_text(text, encoding="utf-8")
    if not args.check:
        stale = {p.stem for p in HERE.glob("*.json")} - set(names)
        for name in sorted(stale):
            (HERE / f"{name}.json").unlink()
    print(f"{len(vectors)} vectors {'checked' if args.check else 'written to ' + str(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
