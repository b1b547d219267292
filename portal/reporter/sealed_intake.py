"""Receive a submission the reporter's browser sealed (JavaScript and WebAssembly).

The browser generated the codename, derived the keys and sealed every field and file
(static/js/report-page.js, case-page.js); what arrives is ciphertext and public values
only. The server cannot open any of it, and checks what it can without keys, as the
envelopes stream in (docs/format.md §2, §7):

- version, suite, caps and stanza count of every header (`crypto.envelope.read_header`);
- every envelope is sealed to exactly the expected reviewers: a report to the chosen
  and the required active reviewers, a follow-up to the case's active reviewers;
- one submission id across all parts, not one already stored; each part index once,
  in the field named for it (`part0`…), and together exactly 0..n;
- the envelope's length has the shape §2.2 gives it (chunks of 65,553 bytes, a short
  final one, a padded length §3 could produce), part 0 no larger than a 1 MiB
  manifest makes it, and the smallest plaintext these lengths could hold within
  MAX_TOTAL_UPLOAD_BYTES.

The signature in part 0, the manifest and the attachment list are inside the
ciphertext: the reviewer's tool checks them. Parts go to blobs as they stream, and are
stored exactly as on the server path: blobs fsynced, one transaction, then the answer.

Wire format (multipart/form-data, in this order; anything else is refused):

    csrf_token                       first, checked before anything is written
    login_token, reply_key, sign_key report only: b64u of 32 bytes each
    reviewer (repeated)              report only: key ids (hex) the browser sealed to
    part0, part1, … partN            files: one envelope each, part 0 first
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from crypto.envelope import (
    CHUNK_OVERHEAD,
    CHUNK_SIZE,
    MAX_PARTS,
    PREFIX_BYTES,
    SEALED_CHUNK_SIZE,
    EnvelopeHeader,
    header_size,
    parse_header_prefix,
    read_header,
    sealed_size,
)
from crypto.errors import CandourError
from crypto.identity import unb64url
from crypto.kdf import hash256
from crypto.padding import MIN_PADDED_SIZE, padded_size, padme
from crypto.submission import MAX_PART0_BYTES
from portal.reporter.intake import CSRF_FIELD, PendingBlobs, SubmissionRefused
from portal.store.blobs import BlobWriter
from portal.streaming_form import FileChunk, FileEnd, FileStart, FormEvent, TextField

PART_FIELD = re.compile(r"part(0|[1-9][0-9]?)")
KEY_BYTES = 32


@dataclass
class SealedReceived:
    """A browser-sealed submission read to its end: every part in `blobs`, uncommitted."""

    submission_id: bytes
    values: dict[str, list[str]]
    part_count: int


@dataclass
class _Incoming:
    index: int
    writer: BlobWriter
    head: bytearray = field(default_factory=bytearray)
    header: EnvelopeHeader | None = None
    size: int = 0


def padded_length_of(payload_bytes: int) -> int | None:
    """The padded plaintext length (§3) a payload of this many bytes carries, or None
    if no honest sealer makes a payload of that length: chunks of 65,553 bytes and a
    final one of 18..65,553, around a length that `padded_size` can produce."""
    if payload_bytes < 1 + CHUNK_OVERHEAD:
        return None
    chunks = -(-payload_bytes // SEALED_CHUNK_SIZE)
    padded = payload_bytes - chunks * CHUNK_OVERHEAD
    if padded < MIN_PADDED_SIZE or -(-padded // CHUNK_SIZE) != chunks:
        return None
    # padded_size(n) = max(16 KiB, PADMÉ(n + 1)); PADMÉ's outputs are its fixed points.
    if padme(padded) != padded:
        return None
    return padded


def smallest_plaintext_for(padded: int) -> int:
    """The fewest plaintext bytes whose padded length is `padded` (a lower bound on
    what a part holds, for the upload cap)."""
    low, high = 0, padded - 1
    while low < high:
        middle = (low + high) // 2
        if padded_size(middle) >= padded:
            high = middle
        else:
            low = middle + 1
    return low


MAX_PART0_PADDED = padded_size(MAX_PART0_BYTES)
MAX_PART0_SEALED = sealed_size(MAX_PART0_BYTES, 16)


def receive_sealed(
    events: Iterable[FormEvent],
    *,
    blobs: PendingBlobs,
    public_fields: frozenset[str],
    repeatable: frozenset[str],
    expected_key_ids: Callable[[Mapping[str, list[str]]], frozenset[bytes]],
    submission_taken: Callable[[bytes], bool],
    max_attachments: int,
    max_total_plaintext: int,
    max_total_bytes: int,
) -> SealedReceived:
    """Read the form's events in order, checking and storing each envelope as it arrives.

    `expected_key_ids(values)` sees the public fields once the first part starts and
    returns the key ids every envelope must be sealed to (or raises SubmissionRefused);
    `submission_taken(id)` says whether a submission id is already stored. Raises
    SubmissionRefused, or lets the streaming form's errors through; whatever it raises,
    `blobs` is left for the caller's `with` block to clean up.
    """
    iterator = iter(events)
    first = next(iterator, None)
    if not isinstance(first, TextField) or first.name != CSRF_FIELD:
        raise SubmissionRefused(400, "csrf")
    try:
        validate_csrf(first.value)
    except ValidationError:
        raise SubmissionRefused(400, "csrf") from None

    values: dict[str, list[str]] = {}
    expected: frozenset[bytes] | None = None
    submission_id: bytes | None = None
    seen: set[int] = set()
    current: _Incoming | None = None
    total_bytes = 0
    plaintext_floor = 0

    def check_header(part: _Incoming) -> None:
        nonlocal submission_id
        assert part.header is not None and expected is not None  # noqa: S101 - set before
        header = part.header
        if header.part_index != part.index:
            raise SubmissionRefused(400, "part_mismatch")
        if submission_id is None:
            if part.index != 0:
                raise SubmissionRefused(400, "order")
            submission_id = header.submission_id
            if submission_taken(submission_id):
                raise SubmissionRefused(409, "submission_used")
        elif header.submission_id != submission_id:
            raise SubmissionRefused(400, "part_mismatch")
        if frozenset(header.recipient_key_ids) != expected or len(header.recipient_key_ids) != len(expected):
            raise SubmissionRefused(400, "recipients_mismatch")

    def feed(part: _Incoming, data: bytes) -> None:
        part.writer.write(data)
        part.size += len(data)
        if part.index == 0 and part.size > MAX_PART0_SEALED:
            raise SubmissionRefused(413, "text_too_long")
        if part.header is not None:
            return
        part.head += data
        if len(part.head) < PREFIX_BYTES:
            return
        try:
            _id, _index, stanza_count = parse_header_prefix(bytes(part.head[:PREFIX_BYTES]))
            if len(part.head) < header_size(stanza_count):
                return
            part.header = read_header(io.BytesIO(bytes(part.head)))
        except CandourError:
            raise SubmissionRefused(400, "not_sealed") from None
        part.head = bytearray()
        check_header(part)

    def finish(part: _Incoming) -> int:
        """Check the whole envelope's length; returns a lower bound on its plaintext."""
        if part.header is None:
            raise SubmissionRefused(400, "not_sealed")
        padded = padded_length_of(part.size - len(part.header.raw))
        if padded is None:
            raise SubmissionRefused(400, "not_sealed")
        if part.index == 0:
            if padded > MAX_PART0_PADDED:
                raise SubmissionRefused(413, "text_too_long")
            return 0
        return smallest_plaintext_for(padded)

    for event in iterator:
        if isinstance(event, TextField):
            if expected is not None:
                raise SubmissionRefused(400, "order")
            if event.name not in public_fields:
                raise SubmissionRefused(400, "unknown_field")
            if event.name in values and event.name not in repeatable:
                raise SubmissionRefused(400, "unknown_field")
            values.setdefault(event.name, []).append(event.value)
        elif isinstance(event, FileStart):
            match = PART_FIELD.fullmatch(event.name)
            if match is None:
                raise SubmissionRefused(400, "unknown_field")
            index = int(match.group(1))
            if index >= MAX_PARTS or index > max_attachments:
                raise SubmissionRefused(413, "too_many_files")
            if index in seen:
                raise SubmissionRefused(400, "part_mismatch")
            if expected is None:
                expected = expected_key_ids(values)
            seen.add(index)
            current = _Incoming(index=index, writer=blobs.new_writer())
        elif isinstance(event, FileChunk):
            assert current is not None  # noqa: S101 - FileStart always precedes chunks
            total_bytes += len(event.data)
            if total_bytes > max_total_bytes:
                raise SubmissionRefused(413, "too_large")
            feed(current, event.data)
        elif isinstance(event, FileEnd):
            assert current is not None  # noqa: S101
            plaintext_floor += finish(current)
            if plaintext_floor > max_total_plaintext:
                raise SubmissionRefused(413, "too_large")
            assert current.header is not None  # noqa: S101 - finish() checked it
            blobs.add_part(
                current.index, current.writer, sealed_size=current.size, header_hash=hash256(current.header.raw)
            )
            current = None

    if submission_id is None or 0 not in seen:
        raise SubmissionRefused(400, "malformed")
    if seen != set(range(len(seen))):
        raise SubmissionRefused(400, "part_mismatch")
    return SealedReceived(submission_id=submission_id, values=values, part_count=len(seen))


def public_key_field(values: Mapping[str, list[str]], name: str) -> bytes:
    """A b64u public value of 32 bytes from the form, or SubmissionRefused."""
    raw = values.get(name, [""])
    try:
        decoded = unb64url(raw[0]) if len(raw) == 1 and len(raw[0]) == 43 else b""
    except ValueError:
        decoded = b""
    if len(decoded) != KEY_BYTES:
        raise SubmissionRefused(400, "malformed")
    return decoded
