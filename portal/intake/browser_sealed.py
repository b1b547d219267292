"""The browser sealed: a submission the reporter's browser sealed (JavaScript and
WebAssembly), checked as it streams in (plugged into portal/intake/form.py).

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
    codename_version                 report only: "2" (absent: "1", a page from before it)
    reviewer (repeated)              report only: key ids (hex) the browser sealed to
    recipients_statement,            report only, both or neither: b64u of the recipients
      recipients_signature           statement the reporter signed and its signature (§7.1)
    part0, part1, … partN            files: one envelope each, part 0 first
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
from crypto.submission.recipients import verify_recipients
from portal.intake.commit import PendingBlobs
from portal.intake.form import FormRules
from portal.intake.multipart import FileStart
from portal.intake.refusals import Refusal, SubmissionRefused
from portal.store.blobs import BlobWriter

PART_FIELD = re.compile(r"part(0|[1-9][0-9]?)")
KEY_BYTES = 32
REPORT_PUBLIC_FIELDS = frozenset(
    {
        "login_token",
        "reply_key",
        "sign_key",
        "codename_version",
        "reviewer",
        "recipients_statement",
        "recipients_signature",
    }
)


def sealed_rules(public_fields: frozenset[str], repeatable: frozenset[str], max_total_bytes: int) -> FormRules:
    """The form rules of a browser-sealed submission: public fields, then `partN` files."""
    return FormRules(
        text_fields=public_fields,
        repeatable=repeatable,
        file_fields=PART_FIELD,
        max_total_bytes=max_total_bytes,
    )


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


class BrowserSealed:
    """Checks and stores each envelope as it streams in (plugged into portal/intake/form.py).

    `expected_key_ids(values)` sees the public fields once the first part starts and
    returns the key ids every envelope must be sealed to (or raises SubmissionRefused);
    `submission_taken(id)` says whether a submission id is already stored.
    """

    def __init__(
        self,
        blobs: PendingBlobs,
        *,
        expected_key_ids: Callable[[Mapping[str, list[str]]], frozenset[bytes]],
        submission_taken: Callable[[bytes], bool],
        max_attachments: int,
        max_total_plaintext: int,
    ) -> None:
        self.blobs = blobs
        self.expected_key_ids = expected_key_ids
        self.submission_taken = submission_taken
        self.max_attachments = max_attachments
        self.max_total_plaintext = max_total_plaintext
        self.values: dict[str, list[str]] = {}
        self.expected: frozenset[bytes] = frozenset()
        self.submission_id: bytes | None = None
        self.seen: set[int] = set()
        self.current: _Incoming | None = None
        self.plaintext_floor = 0

    def fields_read(self, values: Mapping[str, list[str]]) -> None:
        self.values = {name: list(items) for name, items in values.items()}
        self.expected = self.expected_key_ids(values)

    def file_started(self, event: FileStart) -> None:
        match = PART_FIELD.fullmatch(event.name)
        if match is None:
            raise SubmissionRefused(Refusal.UNKNOWN_FIELD)
        index = int(match.group(1))
        if index >= MAX_PARTS or index > self.max_attachments:
            raise SubmissionRefused(Refusal.TOO_MANY_FILES)
        if index in self.seen:
            raise SubmissionRefused(Refusal.PART_MISMATCH)
        self.seen.add(index)
        self.current = _Incoming(index=index, writer=self.blobs.new_writer())

    def file_data(self, data: bytes) -> None:
        part = self.current
        assert part is not None  # noqa: S101 - FileStart always precedes chunks
        part.writer.write(data)
        part.size += len(data)
        if part.index == 0 and part.size > MAX_PART0_SEALED:
            raise SubmissionRefused(Refusal.TEXT_TOO_LONG)
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
            raise SubmissionRefused(Refusal.NOT_SEALED) from None
        part.head = bytearray()
        self._check_header(part, part.header)

    def file_ended(self) -> None:
        part = self.current
        assert part is not None  # noqa: S101
        self.plaintext_floor += self._plaintext_floor(part)
        if self.plaintext_floor > self.max_total_plaintext:
            raise SubmissionRefused(Refusal.TOO_LARGE)
        assert part.header is not None  # noqa: S101 - _plaintext_floor checked it
        self.blobs.add_part(part.index, part.writer, sealed_size=part.size, header_hash=hash256(part.header.raw))
        self.current = None

    def finished(self) -> SealedReceived:
        if self.submission_id is None or 0 not in self.seen:
            raise SubmissionRefused(Refusal.MALFORMED)
        if self.seen != set(range(len(self.seen))):
            raise SubmissionRefused(Refusal.PART_MISMATCH)
        return SealedReceived(submission_id=self.submission_id, values=self.values, part_count=len(self.seen))

    def _check_header(self, part: _Incoming, header: EnvelopeHeader) -> None:
        if header.part_index != part.index:
            raise SubmissionRefused(Refusal.PART_MISMATCH)
        if self.submission_id is None:
            if part.index != 0:
                raise SubmissionRefused(Refusal.ORDER)
            self.submission_id = header.submission_id
            if self.submission_taken(header.submission_id):
                raise SubmissionRefused(Refusal.SUBMISSION_USED)
        elif header.submission_id != self.submission_id:
            raise SubmissionRefused(Refusal.PART_MISMATCH)
        if frozenset(header.recipient_key_ids) != self.expected or len(header.recipient_key_ids) != len(self.expected):
            raise SubmissionRefused(Refusal.RECIPIENTS_MISMATCH)

    @staticmethod
    def _plaintext_floor(part: _Incoming) -> int:
        """Check the whole envelope's length; returns a lower bound on its plaintext."""
        if part.header is None:
            raise SubmissionRefused(Refusal.NOT_SEALED)
        padded = padded_length_of(part.size - len(part.header.raw))
        if padded is None:
            raise SubmissionRefused(Refusal.NOT_SEALED)
        if part.index == 0:
            if padded > MAX_PART0_PADDED:
                raise SubmissionRefused(Refusal.TEXT_TOO_LONG)
            return 0
        return smallest_plaintext_for(padded)


def public_key_field(values: Mapping[str, list[str]], name: str) -> bytes:
    """A b64u public value of 32 bytes from the form, or SubmissionRefused."""
    raw = values.get(name, [""])
    try:
        decoded = unb64url(raw[0]) if len(raw) == 1 and len(raw[0]) == 43 else b""
    except ValueError:
        decoded = b""
    if len(decoded) != KEY_BYTES:
        raise SubmissionRefused(Refusal.MALFORMED)
    return decoded


def recipients_signed(
    values: Mapping[str, list[str]], *, case_id: str, sign_key: bytes, key_ids: frozenset[str]
) -> tuple[bytes, bytes] | None:
    """The recipients statement and signature the browser sent (§7.1), checked: signed by
    this report's `sign_key`, for this case, naming exactly the key ids the envelopes are
    sealed to. None when the page sent neither (a page from before the statement)."""
    statement_field = values.get("recipients_statement")
    signature_field = values.get("recipients_signature")
    if statement_field is None and signature_field is None:
        return None
    if statement_field is None or signature_field is None or len(statement_field) != 1 or len(signature_field) != 1:
        raise SubmissionRefused(Refusal.MALFORMED)
    try:
        statement, signature = unb64url(statement_field[0]), unb64url(signature_field[0])
        signed_ids = verify_recipients(statement, signature, sign_key, case_id)
    except (ValueError, CandourError):
        raise SubmissionRefused(Refusal.RECIPIENTS_MISMATCH) from None
    if frozenset(signed_ids) != key_ids:
        raise SubmissionRefused(Refusal.RECIPIENTS_MISMATCH)
    return statement, signature
