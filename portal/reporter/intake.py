"""Receive a report or follow-up without JavaScript: read the form as it streams in
and seal every byte on arrival. The one sealing loop for both kinds of submission.

Order matters, and the form's HTML is built for it: the CSRF token comes first (so
nothing is written for a forged request), then the text fields and the reviewer
choice, then the files. When the first file starts the server already knows who the
recipients are, so each file's bytes go straight from the socket into an
`EnvelopeSealer` and from there, as ciphertext, into a blob's temporary file. No
plaintext is ever written to disk; text fields stay in memory until part 0 is sealed.

Blobs stay uncommitted (in blobs/tmp, swept at start-up) until every part is sealed;
then all are committed and the caller writes the database rows in one transaction.
`PendingBlobs` removes every blob of a submission that does not reach that point.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

from flask import current_app
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from crypto.codename import ReporterKeys
from crypto.envelope import MAX_STANZAS, EnvelopeSealer, SealedPart
from crypto.errors import FormatError, LimitError
from crypto.identity import PublicIdentity
from crypto.submission import (
    MAX_FIELD_CHARS,
    MAX_NAME_CHARS,
    MAX_TYPE_CHARS,
    AttachmentInfo,
    ReporterPublic,
    attachment_info_from_sealed,
    build_manifest,
    check_fields,
    seal_submission_text_part,
)
from portal.store import cases as case_store
from portal.store.blobs import BlobWriter, committing_blobs, delete_blob
from portal.store.cases import StoredPart
from portal.store.db import get_db
from portal.store.reviewers import Reviewer
from portal.streaming_form import FileChunk, FileEnd, FileStart, FormEvent, TextField

CSRF_FIELD = "csrf_token"

log = logging.getLogger(__name__)


class SubmissionRefused(Exception):
    """The submission is refused before anything is kept.

    `reason` is a code the view turns into a page (never the input itself); `field`
    names the form field at fault, for an error summary that links to it.
    """

    def __init__(self, status: int, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class IntakeForm:
    """What one form may carry. `text_fields` go into the sealed manifest;
    `extra_fields` are read but not sealed (reviewer checkboxes, the honeypot)."""

    kind: str
    text_fields: tuple[str, ...]
    required_field: str
    extra_fields: frozenset[str]
    repeatable: frozenset[str]
    file_field: str


@dataclass(frozen=True)
class ChosenReviewer:
    reviewer: Reviewer
    identity: PublicIdentity

    @property
    def key_id(self) -> bytes:
        return self.identity.key_id

    @property
    def box_public_key(self) -> bytes:
        return self.identity.box_public_key


RecipientChooser = Callable[[Mapping[str, list[str]]], Sequence[ChosenReviewer]]
"""Given every text field read so far (each a list of values), check them and
return the recipients, or raise SubmissionRefused."""


@dataclass
class _Part:
    index: int
    writer: BlobWriter
    sealed_size: int
    header_hash: bytes


class PendingBlobs:
    """The blobs of one submission until its database rows are committed.

    On leaving the block without `keep()` — a refusal, an exception, a client that
    went away — every temporary file is removed and every committed blob deleted.
    """

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self._parts: list[_Part] = []
        # Every writer ever opened, finished or not: a file cut off mid-way (too
        # large, connection dropped) has a temporary file but no _Part yet.
        self._writers: list[BlobWriter] = []
        self._committed: list[str] = []
        self._kept = False
        self._lock = ExitStack()

    def add_part(self, index: int, writer: BlobWriter, *, sealed_size: int, header_hash: bytes) -> None:
        """A finished envelope in `writer`: sealed here (`add_sealed`) or, on the
        browser path, received whole and checked by portal/reporter/sealed_intake.py."""
        self._parts.append(_Part(index=index, writer=writer, sealed_size=sealed_size, header_hash=header_hash))

    def add_sealed(self, writer: BlobWriter, sealed: SealedPart) -> None:
        self.add_part(sealed.part_index, writer, sealed_size=sealed.sealed_size, header_hash=sealed.header_hash)

    def new_writer(self) -> BlobWriter:
        writer = BlobWriter(self.instance)
        self._writers.append(writer)
        return writer

    def commit_all(self) -> list[StoredPart]:
        """fsync and rename every sealed part into place, part 0 first."""
        stored = []
        for part in sorted(self._parts, key=lambda p: p.index):
            name = part.writer.commit()
            self._committed.append(name)
            stored.append(
                StoredPart(
                    index=part.index,
                    blob=name,
                    sealed_size=part.sealed_size,
                    header_hash=part.header_hash,
                )
            )
        return stored

    def keep(self) -> None:
        self._kept = True

    def discard(self) -> None:
        for writer in self._writers:
            writer.abort()
        for name in self._committed:
            try:
                delete_blob(self.instance, name, missing_ok=True)
            except OSError:
                # A read-only disk: the error that got us here is the one to report;
                # the start-up sweep removes the orphan once the disk is writable.
                log.warning("could not delete the blob of a submission that was not stored; swept at start-up")
        self._parts.clear()
        self._writers.clear()
        self._committed.clear()

    def __enter__(self) -> PendingBlobs:
        # Until the rows are committed, these blobs look like orphans to the start-up
        # sweep: hold the writers' lock so it cannot run meanwhile.
        self._lock.enter_context(committing_blobs(self.instance))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._kept:
                self.discard()
        finally:
            self._lock.close()


@dataclass
class Received:
    """A submission read to its end: text in memory, attachments sealed (uncommitted)."""

    submission_id: bytes
    fields: dict[str, str]
    recipients: list[ChosenReviewer]
    attachments: list[AttachmentInfo] = field(default_factory=list)


def _safe_length(name: str, limit: int) -> str:
    # The manifest caps names at 255 characters; keep the end (the extension says
    # what kind of file it is) rather than refusing a reporter's long file name.
    if len(name) <= limit:
        return name
    stem, ext = os.path.splitext(name)
    ext = ext[:16]
    return stem[: limit - len(ext)] + ext


def receive_submission(
    events: Iterable[FormEvent],
    *,
    form: IntakeForm,
    blobs: PendingBlobs,
    submission_id: bytes,
    choose_recipients: RecipientChooser,
    max_attachments: int,
    max_total_bytes: int,
) -> Received:
    """Read the form's events in order, sealing files as they arrive.

    Raises SubmissionRefused (CSRF, order, validation, limits), or lets the
    streaming form's FormTooLargeError / MalformedFormError through. Whatever it
    raises, `blobs` is left for the caller's `with` block to clean up.
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
    received: Received | None = None
    total = len(first.value)
    sealer: EnvelopeSealer | None = None
    writer: BlobWriter | None = None
    current_name = ""
    current_type = ""
    awaiting_unnamed = False

    def decide() -> Received:
        fields = _check_text(form, values)
        recipients = list(choose_recipients(values))
        if not recipients:
            raise SubmissionRefused(400, "no_reviewers", "reviewers")
        if len(recipients) > MAX_STANZAS:
            raise SubmissionRefused(400, "too_many_reviewers", "reviewers")
        return Received(submission_id=submission_id, fields=fields, recipients=recipients)

    def start_file() -> None:
        nonlocal sealer, writer
        assert received is not None  # noqa: S101 - decided at the first FileStart
        if len(received.attachments) >= max_attachments:
            raise SubmissionRefused(413, "too_many_files", form.file_field)
        writer = blobs.new_writer()
        try:
            sealer = EnvelopeSealer(
                cast(BinaryIO, writer), received.recipients, submission_id, len(received.attachments) + 1
            )
        except BaseException:
            writer.abort()
            raise

    for event in iterator:
        if isinstance(event, TextField):
            if received is not None:
                # Recipients are fixed once a file has started: a field after the
                # files could change them after bytes were sealed to the old set.
                raise SubmissionRefused(400, "order")
            if event.name not in form.text_fields and event.name not in form.extra_fields:
                raise SubmissionRefused(400, "unknown_field")
            if event.name in values and event.name not in form.repeatable:
                raise SubmissionRefused(400, "unknown_field")
            total += len(event.value)
            values.setdefault(event.name, []).append(event.value)
        elif isinstance(event, FileStart):
            if event.name != form.file_field:
                raise SubmissionRefused(400, "unknown_field")
            if received is None:
                received = decide()
            current_name = _safe_length(event.filename, MAX_NAME_CHARS)
            current_type = event.content_type if len(event.content_type) <= MAX_TYPE_CHARS else ""
            # An empty file input arrives as a part with no file name and no bytes:
            # only start sealing once a byte shows it is a real file.
            awaiting_unnamed = event.filename == ""
            if not awaiting_unnamed:
                start_file()
        elif isinstance(event, FileChunk):
            if awaiting_unnamed and sealer is None:
                start_file()
            assert sealer is not None  # noqa: S101 - FileStart always precedes chunks
            total += len(event.data)
            if total > max_total_bytes:
                raise SubmissionRefused(413, "too_large", form.file_field)
            sealer.write(event.data)
        elif isinstance(event, FileEnd):
            if sealer is None:
                continue  # an empty file input: nothing to keep
            assert writer is not None and received is not None  # noqa: S101
            sealed = sealer.finish()
            blobs.add_sealed(writer, sealed)
            received.attachments.append(attachment_info_from_sealed(sealed, current_name, current_type))
            sealer, writer, awaiting_unnamed = None, None, False

    if total > max_total_bytes:
        raise SubmissionRefused(413, "too_large", form.file_field)
    if received is None:
        received = decide()
    return received


def _check_text(form: IntakeForm, values: Mapping[str, list[str]]) -> dict[str, str]:
    fields = {name: values.get(name, [""])[0] for name in form.text_fields}
    if not fields[form.required_field].strip():
        raise SubmissionRefused(400, "required_empty", form.required_field)
    for name, value in fields.items():
        if len(value) > MAX_FIELD_CHARS:
            raise SubmissionRefused(413, "field_too_long", name)
    try:
        checked = check_fields(form.kind, fields)
        # Everything but the attachment list is known now: refuse an over-long text
        # before a single file byte is read, not after a long upload. The zero keys
        # only stand in for the real ones to measure the manifest; nothing is signed.
        build_manifest(
            bytes(16) if form.kind == "report" else bytes(15) + b"\x01",
            form.kind,
            None if form.kind == "report" else bytes(16).hex(),
            "2000-01-01",
            ReporterPublic(reply_key=bytes(32), sign_key=bytes(32)),
            checked,
            [],
        )
    except LimitError:
        raise SubmissionRefused(413, "text_too_long") from None
    except FormatError:
        raise SubmissionRefused(400, "invalid_text") from None
    return checked


def seal_and_commit(
    received: Received,
    blobs: PendingBlobs,
    *,
    keys: ReporterKeys,
    kind: str,
    case_id: str | None,
    day: str,
) -> list[StoredPart]:
    """Seal part 0 (the signed manifest listing every attachment), then commit
    every blob of the submission. Returns the parts for the database rows."""
    writer = blobs.new_writer()
    try:
        sealed = seal_submission_text_part(
            cast(BinaryIO, writer),
            received.recipients,
            received.submission_id,
            kind,
            case_id,
            day,
            keys,
            received.fields,
            received.attachments,
        )
    except LimitError:
        writer.abort()
        raise SubmissionRefused(413, "text_too_long") from None
    except BaseException:
        writer.abort()
        raise
    blobs.add_sealed(writer, sealed)
    return blobs.commit_all()


# --- the database rows: one place for both paths (server-sealed and browser-sealed) ------


def store_report(
    *,
    case_id: str,
    day: str,
    sealed_on: str,
    login_hash: bytes,
    reporter_reply_key: bytes,
    reporter_sign_key: bytes,
    reviewer_ids: Sequence[int],
    parts: Sequence[StoredPart],
) -> None:
    """Write a new case's rows in one transaction, after its blobs were committed
    (fsynced). The caller calls `blobs.keep()` only once this returned."""
    config = current_app.config
    case_store.create_case(
        get_db(),
        case_id=case_id,
        day=day,
        initial_status=config["STATUSES"][0][0],
        acknowledge_by=case_store.add_days(day, int(config["ACKNOWLEDGE_DAYS"])),
        feedback_by=case_store.add_days(day, int(config["FEEDBACK_DAYS"])),
        sealed_on=sealed_on,
        login_hash=login_hash,
        reporter_reply_key=reporter_reply_key,
        reporter_sign_key=reporter_sign_key,
        reviewer_ids=reviewer_ids,
        parts=parts,
    )


def store_followup(*, case_id: str, submission_id: str, day: str, sealed_on: str, parts: Sequence[StoredPart]) -> None:
    """Write a follow-up's rows in one transaction, after its blobs were committed."""
    case_store.add_followup(
        get_db(), case_id=case_id, submission_id=submission_id, day=day, sealed_on=sealed_on, parts=parts
    )
