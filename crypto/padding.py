"""Length padding that hides how long a part really is.

The padded length is max(16 KiB, PADMÉ(n + 1)) where n is the plaintext length; the
padding is ISO/IEC 7816-4 (0x80 then zero bytes), the rule of libsodium's
`sodium_pad`. PADMÉ leaks O(log log n) bits of the length; above the 16 KiB floor it
adds at most 6.25 % (bench/padding_overhead.py, docs/format.md §3).
"""

from collections.abc import Iterator

from .errors import PaddingError

MIN_PADDED_SIZE = 16 * 1024
RELEASE_PIECE_BYTES = 64 * 1024
PAD_MARKER = 0x80


def padme(length: int) -> int:
    """PADMÉ (Nikitin et al., 2019): round up so only the top bits of the length remain."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    mantissa_bits = exponent.bit_length()
    low_bits = exponent - mantissa_bits
    mask = (1 << low_bits) - 1
    return (length + mask) & ~mask


def padded_size(plaintext_size: int) -> int:
    """Total size of plaintext + marker + zeros."""
    return max(MIN_PADDED_SIZE, padme(plaintext_size + 1))


def padding_for(plaintext_size: int) -> bytes:
    return bytes([PAD_MARKER]) + bytes(padded_size(plaintext_size) - plaintext_size - 1)


def unpad(padded: bytes) -> bytes:
    """Remove padding from a whole buffer (small messages such as replies)."""
    stripped = padded.rstrip(b"\x00")
    if not stripped or stripped[-1] != PAD_MARKER:
        raise PaddingError("the message has no valid padding: it was not made by Candour")
    content = stripped[:-1]
    if len(padded) != padded_size(len(content)):
        raise PaddingError("the message's padded length does not match its content length")
    return content


def pad(content: bytes) -> bytes:
    return content + padding_for(len(content))


class StreamingUnpadder:
    """Strips ISO 7816-4 padding from a stream without holding the padding in memory.

    Bytes are passed through until a run that could be padding (a 0x80 followed only
    by zeros) is seen; that run is held back as a count, so padding of any length
    costs O(1) memory. At the end, the held run must be exactly the padding.
    """

    def __init__(self) -> None:
        self._held_marker = False
        self._held_zeros = 0
        self.content_size = 0
        self.total_size = 0

    def feed(self, data: bytes) -> bytes:
        """Return the bytes that are certainly content (all at once: see `feed_pieces`)."""
        return b"".join(self.feed_pieces(data))

    def feed_pieces(self, data: bytes) -> Iterator[bytes]:
        """Yield the bytes that are certainly content, in pieces of at most 64 KiB + len(data).

        A long run of zeros held back as possible padding can turn out to be content
        (a sparse disk image): releasing it in bounded pieces keeps memory flat.
        Consume the iterator fully before the next call.
        """
        if not data:
            return
        self.total_size += len(data)
        if not self._held_marker and not self._held_zeros and data[-1] != 0 and data[-1] != PAD_MARKER:
            # The common case inside a file: nothing held and no padding can start in this
            # chunk's tail, so the chunk is content as it stands. No scan, no copy.
            self.content_size += len(data)
            yield data
            return
        last_nonzero = len(data.rstrip(b"\x00")) - 1
        if last_nonzero < 0:
            self._held_zeros += len(data)
            return
        for piece in self._release_held():
            self.content_size += len(piece)
            yield piece
        if data[last_nonzero] == PAD_MARKER:
            released = data[:last_nonzero]
            self._held_marker = True
            self._held_zeros = len(data) - last_nonzero - 1
        else:
            # The last non-zero byte is content, so the zeros after it are too: all of it goes.
            released = data
        self.content_size += len(released)
        yield released

    def _release_held(self) -> Iterator[bytes]:
        marker, zeros = self._held_marker, self._held_zeros
        self._held_marker = False
        self._held_zeros = 0
        if marker:
            yield bytes([PAD_MARKER])
        while zeros:
            piece = min(zeros, RELEASE_PIECE_BYTES)
            yield bytes(piece)
            zeros -= piece

    def finish(self) -> None:
        if not self._held_marker:
            raise PaddingError("the part has no valid padding: it was not made by Candour")
        if self.total_size != padded_size(self.content_size):
            raise PaddingError("the part's padded length does not match its content length")
