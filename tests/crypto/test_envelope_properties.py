"""Properties of the envelope and its padding, for any content, recipients and damage.

Hypothesis draws the inputs; `max_examples` is kept small enough that the whole file
runs in well under a minute on a two-core machine.
"""

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.envelope import (
    CHUNK_SIZE,
    SEALED_CHUNK_SIZE,
    EnvelopeSealer,
    header_size,
    new_submission_id,
    open_bytes,
    open_envelope,
    seal_bytes,
    sealed_size,
)
from crypto.errors import (
    CandourError,
    FormatError,
    PaddingError,
    PayloadError,
    TrailingDataError,
    TruncatedPayloadError,
)
from crypto.identity import ReviewerKeys
from crypto.kdf import hash256
from crypto.padding import MIN_PADDED_SIZE, StreamingUnpadder, pad, padded_size, unpad

REVIEWERS = [ReviewerKeys(f"Property reviewer {i}", hash256(b"property test reviewer" + bytes([i]))) for i in range(16)]
KIB = 1024
MAX_CONTENT = 200 * KIB

# Sizes where the chunking and padding change shape, and their neighbours.
EDGE_SIZES = sorted(
    {
        max(0, edge + delta)
        for edge in (0, MIN_PADDED_SIZE - 1, CHUNK_SIZE - 1, CHUNK_SIZE, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE, MAX_CONTENT)
        for delta in (-2, -1, 0, 1, 2)
        if edge + delta <= MAX_CONTENT
    }
)
# Endings that look like padding, or like its marker, at the end of real content.
TAILS = [b"", b"\x80", b"\x00", b"\x80\x00", b"\x80\x00\x00\x00", b"\x00" * 300, b"\x80" + b"\x00" * 5000, b"\x01\x80"]


def relaxed(max_examples: int) -> settings:
    # Sealing timing varies with the machine's load: no per-example deadline.
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def make_content(size: int, seed: int, tail: bytes, zeros: bool) -> bytes:
    body_size = max(0, size - len(tail))
    body = bytes(body_size) if zeros else random.Random(seed).randbytes(body_size)
    return (body + tail)[:size] if size >= len(tail) else tail[:size]


contents = st.builds(
    make_content,
    size=st.one_of(st.integers(0, MAX_CONTENT), st.sampled_from(EDGE_SIZES), st.integers(0, 300)),
    seed=st.integers(0, 2**32),
    tail=st.sampled_from(TAILS),
    zeros=st.booleans(),
)
small_contents = st.builds(
    make_content,
    size=st.one_of(st.integers(0, 3 * KIB), st.sampled_from([CHUNK_SIZE - 1, CHUNK_SIZE + 5])),
    seed=st.integers(0, 2**32),
    tail=st.sampled_from(TAILS[:5]),
    zeros=st.booleans(),
)
recipient_sets = st.lists(st.integers(0, 15), min_size=1, max_size=16, unique=True).map(
    lambda indexes: [REVIEWERS[i] for i in indexes]
)


def seal(content: bytes, recipients: list[ReviewerKeys], part_index: int = 0) -> bytes:
    return seal_bytes(content, recipients, new_submission_id(), part_index)


def assert_rejected(envelope: bytes, opener: ReviewerKeys) -> CandourError:
    """The envelope must fail with a CandourError: not succeed, not raise anything else."""
    with pytest.raises(CandourError) as caught:
        open_bytes(envelope, opener)
    return caught.value


# --- round trip ------------------------------------------------------------------------------


@relaxed(40)
@given(content=contents, recipients=recipient_sets, part_index=st.integers(0, 63))
def test_every_recipient_opens_the_same_bytes(content: bytes, recipients: list[ReviewerKeys], part_index: int) -> None:
    submission_id = new_submission_id()
    envelope = seal_bytes(content, recipients, submission_id, part_index)
    assert len(envelope) == sealed_size(len(content), len(recipients))
    for reviewer in recipients:
        opened, plaintext = open_bytes(envelope, reviewer)
        assert plaintext == content
        assert opened.plaintext_size == len(content)
        assert opened.submission_id == submission_id
        assert opened.part_index == part_index
        assert opened.recipient_key_ids == tuple(r.key_id for r in recipients)
        assert opened.header_hash == hash256(envelope[: header_size(len(recipients))])


@relaxed(10)
@given(content=small_contents, recipients=recipient_sets)
def test_a_reviewer_not_among_the_recipients_cannot_open(content: bytes, recipients: list[ReviewerKeys]) -> None:
    outsiders = [r for r in REVIEWERS if r not in recipients]
    if outsiders:
        assert_rejected(seal(content, recipients), outsiders[0])


# --- any damage is refused -----------------------------------------------------------------------


@st.composite
def damaged_envelopes(draw: st.DrawFn) -> tuple[bytes, ReviewerKeys, str]:
    recipients = draw(st.lists(st.integers(0, 15), min_size=1, max_size=4, unique=True))
    keys = [REVIEWERS[i] for i in recipients]
    envelope = seal(draw(small_contents), keys)
    opener = keys[draw(st.integers(0, len(keys) - 1))]
    header_end = header_size(len(keys))
    # Aim at the header and at the chunk edges as often as at the bulk of the payload.
    position = draw(
        st.one_of(
            st.integers(0, header_end - 1),
            st.integers(0, len(envelope) - 1),
            st.integers(max(0, len(envelope) - 40), len(envelope) - 1),
            st.integers(header_end, min(len(envelope) - 1, header_end + 40)),
        )
    )
    kind = draw(st.sampled_from(["change", "drop", "add"]))
    if kind == "change":
        delta = draw(st.integers(1, 255))
        damaged = envelope[:position] + bytes([envelope[position] ^ delta]) + envelope[position + 1 :]
    elif kind == "drop":
        damaged = envelope[:position] + envelope[position + 1 :]
    else:
        position = draw(st.integers(0, len(envelope)))  # adding may also append at the very end
        damaged = envelope[:position] + bytes([draw(st.integers(0, 255))]) + envelope[position:]
    return damaged, opener, f"{kind} at {position} of {len(envelope)}"


@relaxed(300)
@given(case=damaged_envelopes())
def test_any_changed_dropped_or_added_byte_is_refused(case: tuple[bytes, ReviewerKeys, str]) -> None:
    damaged, opener, _ = case
    assert_rejected(damaged, opener)


def test_every_single_byte_change_of_a_whole_envelope_is_refused() -> None:
    """Exhaustive for one small two-recipient envelope: each position, one changed bit."""
    envelope = seal(b"short", REVIEWERS[:2])
    for position in range(len(envelope)):
        damaged = envelope[:position] + bytes([envelope[position] ^ (1 << (position % 8))]) + envelope[position + 1 :]
        with pytest.raises(CandourError):
            open_bytes(damaged, REVIEWERS[position % 2])


@relaxed(60)
@given(content=small_contents, data=st.data())
def test_any_truncation_is_refused_in_the_right_phase(content: bytes, data: st.DataObject) -> None:
    envelope = seal(content, REVIEWERS[:2])
    cut = data.draw(st.integers(0, len(envelope) - 1))
    error = assert_rejected(envelope[:cut], REVIEWERS[1])
    if cut < header_size(2):
        assert isinstance(error, FormatError) and not isinstance(error, TruncatedPayloadError)
    else:
        assert isinstance(error, TruncatedPayloadError | PayloadError)


@relaxed(20)
@given(extra=st.binary(min_size=1, max_size=SEALED_CHUNK_SIZE + 10))
def test_bytes_after_a_full_length_final_chunk_are_refused(extra: bytes) -> None:
    envelope = seal(bytes(CHUNK_SIZE - 1), REVIEWERS[:1])  # padded to exactly one full chunk
    assert len(envelope) == header_size(1) + SEALED_CHUNK_SIZE
    assert isinstance(assert_rejected(envelope + extra, REVIEWERS[0]), TrailingDataError)


# --- streaming ------------------------------------------------------------------------------------


def split_points(size: int, cuts: list[int]) -> list[tuple[int, int]]:
    points = sorted({min(c, size) for c in cuts} | {0, size})
    return list(zip(points, points[1:], strict=False))


@relaxed(40)
@given(
    content=contents,
    cuts=st.lists(st.integers(0, MAX_CONTENT), max_size=40),
    kind=st.sampled_from([bytes, bytearray, memoryview]),
    empty_writes=st.booleans(),
)
def test_streaming_writes_in_any_pieces_give_an_envelope_that_opens(
    content: bytes, cuts: list[int], kind: type, empty_writes: bool
) -> None:
    sink = io.BytesIO()
    recipients = REVIEWERS[:3]
    sealer = EnvelopeSealer(sink, recipients, new_submission_id(), 5)
    for start, end in split_points(len(content), cuts):
        if empty_writes:
            sealer.write(kind(b""))
        sealer.write(kind(content[start:end]))
    sealed = sealer.finish()
    envelope = sink.getvalue()
    assert sealed.sealed_size == len(envelope) == sealed_size(len(content), len(recipients))
    assert sealed.plaintext_size == len(content)
    opened, plaintext = open_bytes(envelope, recipients[2])
    assert plaintext == content
    assert opened.header_hash == sealed.header_hash
    with pytest.raises(ValueError):
        sealer.write(b"more")


class ShortReads(io.RawIOBase):
    """A raw stream that, like a pipe or socket, returns fewer bytes than asked for."""

    def __init__(self, data: bytes, pieces: list[int]) -> None:
        self._data = memoryview(data)
        self._pieces = pieces or [1]
        self._turn = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        most = self._pieces[self._turn % len(self._pieces)]
        self._turn += 1
        size = min(len(buffer), most, len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size


@relaxed(30)
@given(content=small_contents, pieces=st.lists(st.integers(1, 70000), min_size=1, max_size=5))
def test_open_reads_from_a_stream_with_short_reads(content: bytes, pieces: list[int]) -> None:
    envelope = seal(content, REVIEWERS[:1])
    sink = io.BytesIO()
    open_envelope(ShortReads(envelope, pieces), sink, REVIEWERS[0])  # type: ignore[arg-type]
    assert sink.getvalue() == content
    # Extra bytes are still seen as such, however the stream delivers them.
    full = seal(bytes(CHUNK_SIZE - 1), REVIEWERS[:1])  # one full-length FINAL chunk
    with pytest.raises(TrailingDataError):
        open_envelope(ShortReads(full + b"\x00" * 20, pieces), io.BytesIO(), REVIEWERS[0])  # type: ignore[arg-type]


# --- padding --------------------------------------------------------------------------------------

sizes = st.one_of(st.integers(0, 1 << 20), st.integers(0, 1 << 34), st.sampled_from(EDGE_SIZES))


@relaxed(500)
@given(a=sizes, b=sizes)
def test_padded_size_is_monotonic(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert padded_size(low) <= padded_size(high)


@relaxed(500)
@given(n=sizes)
def test_padded_size_fits_the_marker_and_bounds_the_overhead(n: int) -> None:
    padded = padded_size(n)
    assert padded >= n + 1
    assert padded >= MIN_PADDED_SIZE
    if n + 1 > MIN_PADDED_SIZE:
        # PADMÉ keeps the top ⌊log2 E⌋ + 1 bits of an E-bit length: it adds < L / 16 for L ≥ 2^8.
        assert padded - (n + 1) < (n + 1) / 16
    # A padded size is a fixed point: content filling it exactly needs no more room.
    assert padded_size(padded - 1) == padded


@relaxed(200)
@given(
    padded=st.one_of(
        st.builds(pad, st.binary(max_size=3000)),
        st.builds(lambda c, z: pad(c) + bytes(z), st.binary(max_size=300), st.integers(1, 5000)),
        st.builds(lambda c, k: pad(c)[:-k] if k < len(pad(c)) else b"", st.binary(max_size=300), st.integers(1, 20000)),
        st.binary(max_size=500).map(lambda b: b + bytes(MIN_PADDED_SIZE - len(b))),
        st.binary(max_size=20000),
    ),
    cuts=st.lists(st.integers(0, 25000), max_size=20),
)
def test_streaming_unpadder_in_any_pieces_equals_unpad(padded: bytes, cuts: list[int]) -> None:
    unpadder = StreamingUnpadder()
    released = b"".join(unpadder.feed(padded[start:end]) for start, end in split_points(len(padded), cuts))
    try:
        expected = unpad(padded)
    except PaddingError:
        with pytest.raises(PaddingError):
            unpadder.finish()
        return
    unpadder.finish()
    assert released == expected
    assert unpadder.content_size == len(expected)
    assert unpadder.total_size == len(padded)
