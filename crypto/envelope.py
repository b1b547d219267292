"""The sealed envelope: one part of a submission, sealed to 1–16 reviewers.

Layout (docs/format.md §2):

    magic "CANDOUR" | version u8 | suite u8 | submission_id 16 | part_index u16 BE
    | stanza_count u8 | stanzas (key_id 8 | crypto_box_seal(content_key) 80) × n
    | secretstream header 24 | header MAC 32
    | payload: secretstream chunks of 64 KiB plaintext (+17), exactly one FINAL last

Every chunk carries BLAKE2b-256(header) as associated data, binding the payload to
this header; the MAC is keyed from the content key, so each recipient who opens the
header is sure every other recipient got the same key (key commitment).
"""

import hmac
import io
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from nacl import bindings
from nacl.exceptions import CryptoError

from .errors import (
    FormatError,
    HeaderMacError,
    LimitError,
    NotARecipientError,
    PayloadError,
    TrailingDataError,
    TruncatedError,
    TruncatedPayloadError,
    UnsupportedVersionError,
)
from .kdf import derive_subkey, hash256, keyed_hash256
from .padding import PAD_MARKER, StreamingUnpadder, padded_size

MAGIC = b"CANDOUR"
VERSION = 1
SUITE = 1  # X25519 sealed boxes + XChaCha20-Poly1305 secretstream + BLAKE2b
SUBMISSION_ID_BYTES = 16
KEY_ID_BYTES = 8
CONTENT_KEY_BYTES = 32
SEALED_KEY_BYTES = CONTENT_KEY_BYTES + bindings.crypto_box_SEALBYTES  # 80
STANZA_BYTES = KEY_ID_BYTES + SEALED_KEY_BYTES  # 88
STREAM_HEADER_BYTES = bindings.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
MAC_BYTES = 32
PREFIX_FORMAT = ">7sBB16sHB"
PREFIX_BYTES = struct.calcsize(PREFIX_FORMAT)  # 28
MAX_STANZAS = 16
MAX_PARTS = 64  # part_index 0 .. 63
CHUNK_SIZE = 64 * 1024
CHUNK_OVERHEAD = bindings.crypto_secretstream_xchacha20poly1305_ABYTES  # 17
SEALED_CHUNK_SIZE = CHUNK_SIZE + CHUNK_OVERHEAD
MAX_PADDED_PART_SIZE = 1 << 34  # 16 GiB: far above any upload cap, keeps counters small

TAG_MESSAGE = bindings.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = bindings.crypto_secretstream_xchacha20poly1305_TAG_FINAL

LABEL_MAC_KEY = b"candour/v1 header mac"
LABEL_PAYLOAD_KEY = b"candour/v1 payload"


class Recipient(Protocol):
    @property
    def key_id(self) -> bytes: ...

    @property
    def box_public_key(self) -> bytes: ...


class Opener(Protocol):
    @property
    def key_id(self) -> bytes: ...

    @property
    def box_public_key(self) -> bytes: ...

    @property
    def box_secret_key(self) -> bytes: ...


@dataclass(frozen=True)
class Stanza:
    key_id: bytes
    sealed_key: bytes


@dataclass(frozen=True)
class EnvelopeHeader:
    submission_id: bytes
    part_index: int
    stanzas: tuple[Stanza, ...]
    stream_header: bytes
    mac: bytes
    raw: bytes

    @property
    def header_hash(self) -> bytes:
        return hash256(self.raw)

    @property
    def recipient_key_ids(self) -> tuple[bytes, ...]:
        return tuple(stanza.key_id for stanza in self.stanzas)


@dataclass(frozen=True)
class SealedPart:
    submission_id: bytes
    part_index: int
    header_hash: bytes
    plaintext_size: int
    sealed_size: int


@dataclass(frozen=True)
class OpenedPart:
    submission_id: bytes
    part_index: int
    header_hash: bytes
    plaintext_size: int
    recipient_key_ids: tuple[bytes, ...]


def header_size(stanza_count: int) -> int:
    return PREFIX_BYTES + stanza_count * STANZA_BYTES + STREAM_HEADER_BYTES + MAC_BYTES


def sealed_size(plaintext_size: int, stanza_count: int) -> int:
    """Exact size of the envelope for a part of this many bytes."""
    padded = padded_size(plaintext_size)
    chunks = -(-padded // CHUNK_SIZE)
    return header_size(stanza_count) + padded + chunks * CHUNK_OVERHEAD


def new_submission_id() -> bytes:
    return os.urandom(SUBMISSION_ID_BYTES)


def _check_header_fields(submission_id: bytes, part_index: int, stanza_count: int) -> None:
    if len(submission_id) != SUBMISSION_ID_BYTES:
        raise LimitError(f"a submission id is {SUBMISSION_ID_BYTES} bytes, not {len(submission_id)}")
    if not 0 <= part_index < MAX_PARTS:
        raise LimitError(f"part index {part_index} is outside 0..{MAX_PARTS - 1}")
    if not 1 <= stanza_count <= MAX_STANZAS:
        raise LimitError(f"an envelope has 1 to {MAX_STANZAS} recipients, not {stanza_count}")


class EnvelopeSealer:
    """Seals one part as its bytes arrive, writing the envelope to `sink`.

    State is unavoidable here: the secretstream state and the partial chunk live
    between `write` calls (a request body arrives in pieces).
    """

    def __init__(
        self,
        sink: BinaryIO,
        recipients: Sequence[Recipient],
        submission_id: bytes,
        part_index: int,
    ) -> None:
        _check_header_fields(submission_id, part_index, len(recipients))
        key_ids = [bytes(r.key_id) for r in recipients]
        if len(set(key_ids)) != len(key_ids):
            raise LimitError("the same reviewer is listed twice among the recipients")
        content_key = os.urandom(CONTENT_KEY_BYTES)
        stanzas = b"".join(
            bytes(r.key_id) + bindings.crypto_box_seal(content_key, bytes(r.box_public_key)) for r in recipients
        )
        self._state = bindings.crypto_secretstream_xchacha20poly1305_state()
        stream_header = bindings.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, derive_subkey(content_key, LABEL_PAYLOAD_KEY)
        )
        unauthenticated = (
            struct.pack(PREFIX_FORMAT, MAGIC, VERSION, SUITE, submission_id, part_index, len(recipients))
            + stanzas
            + stream_header
        )
        mac = keyed_hash256(derive_subkey(content_key, LABEL_MAC_KEY), unauthenticated)
        header = unauthenticated + mac
        self._ad = hash256(header)
        self._sink = sink
        self._pending = bytearray()
        self._plaintext_size = 0
        self._sealed_size = len(header)
        self._finished = False
        self.submission_id = submission_id
        self.part_index = part_index
        sink.write(header)

    @property
    def plaintext_size(self) -> int:
        return self._plaintext_size

    @property
    def header_hash(self) -> bytes:
        return self._ad

    def _push(self, chunk: bytes | bytearray | memoryview, tag: int) -> None:
        sealed = bindings.crypto_secretstream_xchacha20poly1305_push(self._state, bytes(chunk), self._ad, tag)
        self._sink.write(sealed)
        self._sealed_size += len(sealed)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._finished:
            raise ValueError("this part is already sealed")
        self._plaintext_size += len(data)
        if padded_size(self._plaintext_size) > MAX_PADDED_PART_SIZE:
            raise LimitError("the part is larger than the format allows (16 GiB)")
        if not self._pending and len(data) == CHUNK_SIZE:
            # The common case when reading a file: no copy into the buffer.
            self._push(data, TAG_MESSAGE)
            return
        self._pending += data
        # A full chunk can always go out as MESSAGE: padding (≥ 1 byte) follows it.
        offset = 0
        view = memoryview(self._pending)
        while len(self._pending) - offset >= CHUNK_SIZE:
            self._push(view[offset : offset + CHUNK_SIZE], TAG_MESSAGE)
            offset += CHUNK_SIZE
        view.release()
        if offset:
            del self._pending[:offset]

    def finish(self) -> SealedPart:
        if self._finished:
            raise ValueError("this part is already sealed")
        self._finished = True
        # The padding (0x80 then zeros, up to ~3 % of the part) is pushed from one reused
        # zero chunk rather than built whole: memory stays at one chunk for any size.
        zeros_left = padded_size(self._plaintext_size) - self._plaintext_size - 1
        first = self._pending
        self._pending = bytearray()
        first.append(PAD_MARKER)
        fill = min(CHUNK_SIZE - len(first), zeros_left)
        first += bytes(fill)
        zeros_left -= fill
        self._push(first, TAG_MESSAGE if zeros_left else TAG_FINAL)
        zero_chunk = bytes(CHUNK_SIZE)
        while zeros_left > CHUNK_SIZE:
            self._push(zero_chunk, TAG_MESSAGE)
            zeros_left -= CHUNK_SIZE
        if zeros_left:
            self._push(zero_chunk[:zeros_left], TAG_FINAL)
        return SealedPart(
            submission_id=self.submission_id,
            part_index=self.part_index,
            header_hash=self._ad,
            plaintext_size=self._plaintext_size,
            sealed_size=self._sealed_size,
        )


def seal_envelope(
    source: BinaryIO,
    sink: BinaryIO,
    recipients: Sequence[Recipient],
    submission_id: bytes,
    part_index: int,
) -> SealedPart:
    """Seal everything readable from `source` into one envelope written to `sink`."""
    sealer = EnvelopeSealer(sink, recipients, submission_id, part_index)
    while True:
        block = source.read(CHUNK_SIZE)
        if not block:
            break
        sealer.write(block)
    return sealer.finish()


def seal_bytes(data: bytes, recipients: Sequence[Recipient], submission_id: bytes, part_index: int) -> bytes:
    sink = io.BytesIO()
    seal_envelope(io.BytesIO(data), sink, recipients, submission_id, part_index)
    return sink.getvalue()


def _read_up_to(source: BinaryIO, size: int) -> bytes:
    """`size` bytes, or fewer only at the end of the input.

    A raw stream (a pipe, a socket, an unbuffered file) may return fewer bytes than
    asked for before its end; taking that for the end would misparse a valid envelope.
    """
    data = source.read(size)
    if len(data) == size or not data:
        return data
    pieces = [data]
    missing = size - len(data)
    while missing:
        more = source.read(missing)
        if not more:
            break
        pieces.append(more)
        missing -= len(more)
    return b"".join(pieces)


def _read_exact(source: BinaryIO, size: int, what: str) -> bytes:
    data = _read_up_to(source, size)
    if len(data) != size:
        raise TruncatedError(f"the envelope ends inside its {what}: it was cut short in transfer")
    return data


def parse_header_prefix(prefix: bytes) -> tuple[bytes, int, int]:
    """Check magic, version, suite and caps; return (submission_id, part_index, stanza_count)."""
    if len(prefix) < len(MAGIC) or prefix[: len(MAGIC)] != MAGIC:
        raise FormatError("this is not a Candour envelope (the first bytes are not 'CANDOUR')")
    if len(prefix) < PREFIX_BYTES:
        raise TruncatedError("the envelope ends inside its header: it was cut short in transfer")
    _, version, suite, submission_id, part_index, stanza_count = struct.unpack(PREFIX_FORMAT, prefix)
    if version != VERSION:
        raise UnsupportedVersionError(
            f"this envelope is format version {version}; this tool reads version {VERSION}: update the tool"
        )
    if suite != SUITE:
        raise UnsupportedVersionError(f"this envelope uses cipher suite {suite}; this tool knows suite {SUITE}")
    if not 1 <= stanza_count <= MAX_STANZAS:
        raise LimitError(f"the envelope claims {stanza_count} recipients; the format allows 1 to {MAX_STANZAS}")
    if part_index >= MAX_PARTS:
        raise LimitError(f"the envelope claims part {part_index}; the format allows parts 0 to {MAX_PARTS - 1}")
    return submission_id, part_index, stanza_count


def read_header(source: BinaryIO) -> EnvelopeHeader:
    """Parse the header and check its structure and caps, with no keys."""
    prefix = _read_up_to(source, PREFIX_BYTES)
    submission_id, part_index, stanza_count = parse_header_prefix(prefix)
    body = _read_exact(source, stanza_count * STANZA_BYTES + STREAM_HEADER_BYTES + MAC_BYTES, "header")
    stanzas = tuple(
        Stanza(
            key_id=body[i * STANZA_BYTES : i * STANZA_BYTES + KEY_ID_BYTES],
            sealed_key=body[i * STANZA_BYTES + KEY_ID_BYTES : (i + 1) * STANZA_BYTES],
        )
        for i in range(stanza_count)
    )
    if len({s.key_id for s in stanzas}) != stanza_count:
        raise FormatError("the envelope lists the same recipient twice: it was tampered with")
    offset = stanza_count * STANZA_BYTES
    return EnvelopeHeader(
        submission_id=submission_id,
        part_index=part_index,
        stanzas=stanzas,
        stream_header=body[offset : offset + STREAM_HEADER_BYTES],
        mac=body[offset + STREAM_HEADER_BYTES :],
        raw=prefix + body,
    )


def unseal_content_key(header: EnvelopeHeader, opener: Opener) -> bytes:
    """Find this reviewer's stanza, open it, and check the header MAC."""
    my_key_id = bytes(opener.key_id)
    candidates = [s for s in header.stanzas if s.key_id == my_key_id]
    if not candidates:
        raise NotARecipientError("this envelope was not sealed to your key (no recipient stanza has your key id)")
    content_key: bytes | None = None
    for stanza in candidates:
        try:
            content_key = bindings.crypto_box_seal_open(
                stanza.sealed_key, bytes(opener.box_public_key), bytes(opener.box_secret_key)
            )
            break
        except CryptoError:
            continue
    if content_key is None or len(content_key) != CONTENT_KEY_BYTES:
        raise NotARecipientError("the recipient stanza with your key id does not open with your key")
    expected = keyed_hash256(derive_subkey(content_key, LABEL_MAC_KEY), header.raw[:-MAC_BYTES])
    if not hmac.compare_digest(expected, header.mac):
        raise HeaderMacError(
            "the envelope's header was altered (or recipients were given different keys): do not trust it"
        )
    return content_key


def open_envelope(source: BinaryIO, sink: BinaryIO, opener: Opener) -> OpenedPart:
    """Verify and decrypt one envelope; plaintext reaches `sink` only as chunks verify.

    The caller must discard what reached `sink` if this raises.
    """
    header = read_header(source)
    content_key = unseal_content_key(header, opener)
    return _open_payload(source, sink, header, content_key)


def _open_payload(source: BinaryIO, sink: BinaryIO, header: EnvelopeHeader, content_key: bytes) -> OpenedPart:
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    try:
        bindings.crypto_secretstream_xchacha20poly1305_init_pull(
            state, header.stream_header, derive_subkey(content_key, LABEL_PAYLOAD_KEY)
        )
    except CryptoError as exc:  # pragma: no cover - init_pull only fails on bad sizes
        raise PayloadError("the envelope's stream header is invalid") from exc
    ad = header.header_hash
    unpadder = StreamingUnpadder()
    chunk_index = 0
    max_chunks = MAX_PADDED_PART_SIZE // CHUNK_SIZE
    while True:
        sealed = _read_up_to(source, SEALED_CHUNK_SIZE)
        if not sealed:
            raise TruncatedPayloadError(
                "the envelope ends without its final chunk: it was cut short in transfer"
                if chunk_index
                else "the envelope has a header but no content: it was cut short in transfer"
            )
        if len(sealed) <= CHUNK_OVERHEAD:
            raise TruncatedPayloadError("the envelope ends inside a chunk: it was cut short in transfer")
        try:
            plain, tag = bindings.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad)
        except CryptoError as exc:
            # A short read is the last chunk: bytes appended after it land in it too.
            damage = "altered, reordered or mixed with another envelope"
            if len(sealed) != SEALED_CHUNK_SIZE:
                damage = "cut short, extended with extra bytes, or altered"
            raise PayloadError(f"chunk {chunk_index} of the envelope failed authentication: it was {damage}") from exc
        # In bounded pieces: a long zero run held back as possible padding may be content.
        for piece in unpadder.feed_pieces(plain):
            sink.write(piece)
        chunk_index += 1
        if tag == TAG_FINAL:
            break
        if tag != TAG_MESSAGE:
            raise PayloadError(f"chunk {chunk_index - 1} carries an unknown tag {tag}")
        if len(sealed) != SEALED_CHUNK_SIZE:
            raise TruncatedPayloadError("the envelope ends without its final chunk: it was cut short in transfer")
        if chunk_index > max_chunks:
            raise LimitError("the envelope is larger than the format allows (16 GiB)")
    if source.read(1):
        raise TrailingDataError("there are extra bytes after the envelope's final chunk: it was tampered with")
    unpadder.finish()
    return OpenedPart(
        submission_id=header.submission_id,
        part_index=header.part_index,
        header_hash=ad,
        plaintext_size=unpadder.content_size,
        recipient_key_ids=header.recipient_key_ids,
    )


def open_bytes(data: bytes, opener: Opener) -> tuple[OpenedPart, bytes]:
    sink = io.BytesIO()
    opened = open_envelope(io.BytesIO(data), sink, opener)
    return opened, sink.getvalue()
