"""The server seals: a report or follow-up sent without JavaScript, sealed byte by byte
as it arrives (plugged into portal/intake/form.py).

When the first file starts the server already knows who the recipients are, so each
file's bytes go straight from the socket into an `EnvelopeSealer` and from there, as
ciphertext, into a pending blob. No plaintext is ever written to disk; text fields
stay in memory until part 0 (the signed manifest listing every attachment) is sealed
by `seal_part0`, after the whole body has arrived.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from crypto.codename import ReporterKeys
from crypto.envelope import EnvelopeSealer
from crypto.errors import FormatError, LimitError
from crypto.identity import PublicIdentity, parse_public_identity
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
from portal.intake.commit import PendingBlobs
from portal.intake.form import FormRules
from portal.intake.multipart import FileStart
from portal.intake.refusals import Refusal, SubmissionRefused
from portal.store.blobs import BlobWriter
from portal.store.reviewers import Reviewer


@dataclass(frozen=True)
class ServerForm:
    """A no-JavaScript form. `text_fields` go into the sealed manifest; `extra_fields`
    are read but not sealed (reviewer checkboxes, the honeypot)."""

    kind: str
    text_fields: tuple[str, ...]
    required_field: str
    extra_fields: frozenset[str]
    repeatable: frozenset[str]
    file_field: str

    def rules(self, max_total_bytes: int) -> FormRules:
        return FormRules(
            text_fields=frozenset(self.text_fields) | self.extra_fields,
            repeatable=self.repeatable,
            file_fields=re.compile(re.escape(self.file_field)),
            max_total_bytes=max_total_bytes,
            file_label=self.file_field,
        )


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


def with_identities(reviewers: Sequence[Reviewer]) -> list[ChosenReviewer]:
    return [ChosenReviewer(reviewer, parse_public_identity(reviewer.identity)) for reviewer in reviewers]


@dataclass
class Received:
    """A submission read to its end: text in memory, attachments sealed (uncommitted)."""

    submission_id: bytes
    fields: dict[str, str]
    recipients: list[ChosenReviewer]
    attachments: list[AttachmentInfo] = field(default_factory=list)
    # Every text field as sent (the reviewer choice included): what a refusal page
    # shows back to the reporter so that nothing typed is lost.
    values: dict[str, list[str]] = field(default_factory=dict)


class ServerSealer:
    """Seals each file as it streams in, to the recipients chosen from the text fields."""

    def __init__(
        self,
        form: ServerForm,
        blobs: PendingBlobs,
        *,
        submission_id: bytes,
        choose_recipients: Callable[[Mapping[str, list[str]]], Sequence[Reviewer]],
        max_attachments: int,
    ) -> None:
        self.form = form
        self.blobs = blobs
        self.submission_id = submission_id
        self.choose_recipients = choose_recipients
        self.max_attachments = max_attachments
        self.received: Received | None = None
        self._sealer: EnvelopeSealer | None = None
        self._writer: BlobWriter | None = None
        self._name = ""
        self._type = ""
        self._unnamed = False

    def fields_read(self, values: Mapping[str, list[str]]) -> None:
        fields = check_text(self.form, values)
        recipients = with_identities(self.choose_recipients(values))
        self.received = Received(
            submission_id=self.submission_id,
            fields=fields,
            recipients=recipients,
            values={name: list(items) for name, items in values.items()},
        )

    def file_started(self, event: FileStart) -> None:
        self._name = _safe_length(event.filename, MAX_NAME_CHARS)
        self._type = event.content_type if len(event.content_type) <= MAX_TYPE_CHARS else ""
        # An empty file input arrives as a part with no file name and no bytes: only
        # start sealing once a byte shows it is a real file.
        self._unnamed = event.filename == ""
        if not self._unnamed:
            self._start()

    def file_data(self, data: bytes) -> None:
        if self._sealer is None:
            self._start()
        assert self._sealer is not None  # noqa: S101 - _start set it
        self._sealer.write(data)

    def file_ended(self) -> None:
        if self._sealer is None:
            return  # an empty file input: nothing to keep
        assert self._writer is not None and self.received is not None  # noqa: S101
        sealed = self._sealer.finish()
        self.blobs.add_sealed(self._writer, sealed)
        self.received.attachments.append(attachment_info_from_sealed(sealed, self._name, self._type))
        self._sealer, self._writer, self._unnamed = None, None, False

    def finished(self) -> Received:
        assert self.received is not None  # noqa: S101 - fields_read always ran
        return self.received

    def _start(self) -> None:
        assert self.received is not None  # noqa: S101 - decided at the first file
        if len(self.received.attachments) >= self.max_attachments:
            raise SubmissionRefused(Refusal.TOO_MANY_FILES, self.form.file_field)
        writer = self.blobs.new_writer()
        try:
            self._sealer = EnvelopeSealer(
                cast(BinaryIO, writer), self.received.recipients, self.submission_id, len(self.received.attachments) + 1
            )
        except BaseException:
            writer.abort()
            raise
        self._writer = writer


def _safe_length(name: str, limit: int) -> str:
    # The manifest caps names at 255 characters; keep the end (the extension says
    # what kind of file it is) rather than refusing a reporter's long file name.
    if len(name) <= limit:
        return name
    stem, ext = os.path.splitext(name)
    ext = ext[:16]
    return stem[: limit - len(ext)] + ext


def check_text(form: ServerForm, values: Mapping[str, list[str]]) -> dict[str, str]:
    """The sealed text fields, checked, or SubmissionRefused naming the field at fault."""
    fields = {name: values.get(name, [""])[0] for name in form.text_fields}
    if not fields[form.required_field].strip():
        raise SubmissionRefused(Refusal.REQUIRED_EMPTY, form.required_field)
    for name, value in fields.items():
        if len(value) > MAX_FIELD_CHARS:
            raise SubmissionRefused(Refusal.FIELD_TOO_LONG, name)
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
        raise SubmissionRefused(Refusal.TEXT_TOO_LONG) from None
    except FormatError:
        raise SubmissionRefused(Refusal.INVALID_TEXT) from None
    return checked


def seal_part0(
    received: Received, blobs: PendingBlobs, *, keys: ReporterKeys, kind: str, case_id: str | None, day: str
) -> None:
    """Seal part 0: the signed manifest with the text and every attachment's entry."""
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
        raise SubmissionRefused(Refusal.TEXT_TOO_LONG) from None
    except BaseException:
        writer.abort()
        raise
    blobs.add_sealed(writer, sealed)
