"""The one way a reporter's submission is read, for both paths: the no-JavaScript form
the server seals (portal/intake/server_sealer.py) and the envelopes the browser sealed
(portal/intake/browser_sealed.py). The sealer is the only part that differs.

The rules, in the order the body arrives (the forms' HTML is built for them):

1. The CSRF token is the first field, checked before anything is written.
2. Text fields come next, each a name on the form's whitelist, once unless it is
   repeatable. Every text field comes before the first file: the recipients are
   fixed once a file starts, so a field after the files could change them after
   bytes were sealed to the old set (refused: ORDER).
3. At the first file (or the end of the form) the sealer sees every text field and
   decides (it checks the text, chooses or checks the recipients, or refuses).
4. Files stream through the sealer as they arrive, into pending blobs; text and file
   bytes together stay within the form's cap.
5. Nothing is committed before the WHOLE declared body has arrived (the multipart
   reader ends only then): `receive` commits the blobs and rows after `read_form`
   returned, and a body that stops short of its Content-Length keeps nothing.

Every failure is a `SubmissionRefused` with a reason from portal/intake/refusals.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar, cast

import sqlcipher3
from flask import current_app, request
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from portal.intake.commit import PendingBlobs
from portal.intake.multipart import (
    FileChunk,
    FileEnd,
    FileStart,
    FormEvent,
    FormLimits,
    FormTooLargeError,
    MalformedFormError,
    TextField,
    iter_form,
)
from portal.intake.refusals import Refusal, SubmissionRefused
from portal.storage import is_storage_failure, log_storage_failure
from portal.store.cases import CaseExistsError, CaseNotFoundError

CSRF_FIELD = "csrf_token"

T = TypeVar("T")
R = TypeVar("R")
T_co = TypeVar("T_co", covariant=True)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormRules:
    """What one form may carry, and its size cap (text and file bytes together)."""

    text_fields: frozenset[str]
    repeatable: frozenset[str]
    file_fields: re.Pattern[str]
    max_total_bytes: int
    # The form field a size refusal points at (the file input), for the error summary.
    file_label: str | None = None


class Sealer(Protocol[T_co]):
    """What a path does with the events the reader has checked."""

    def fields_read(self, values: Mapping[str, list[str]]) -> None:
        """Every text field has arrived: check them, fix the recipients, or refuse."""

    def file_started(self, event: FileStart) -> None: ...

    def file_data(self, data: bytes) -> None: ...

    def file_ended(self) -> None: ...

    def finished(self) -> T_co:
        """The whole body has arrived: what was received (nothing committed yet)."""
        ...


def read_form(events: Iterable[FormEvent], rules: FormRules, sealer: Sealer[T]) -> T:
    """Apply the rules above to the form's events, handing them to `sealer`. Raises
    SubmissionRefused, or lets the multipart reader's errors through; whatever it
    raises, the caller's PendingBlobs cleans up."""
    iterator = iter(events)
    first = next(iterator, None)
    if not isinstance(first, TextField) or first.name != CSRF_FIELD:
        raise SubmissionRefused(Refusal.CSRF)
    try:
        validate_csrf(first.value)
    except ValidationError:
        raise SubmissionRefused(Refusal.CSRF) from None

    values: dict[str, list[str]] = {}
    decided = False
    total = len(first.value)
    for event in iterator:
        if isinstance(event, TextField):
            if decided:
                raise SubmissionRefused(Refusal.ORDER)
            if event.name not in rules.text_fields:
                raise SubmissionRefused(Refusal.UNKNOWN_FIELD)
            if event.name in values and event.name not in rules.repeatable:
                raise SubmissionRefused(Refusal.UNKNOWN_FIELD)
            total += len(event.value)
            if total > rules.max_total_bytes:
                raise SubmissionRefused(Refusal.TOO_LARGE, rules.file_label)
            values.setdefault(event.name, []).append(event.value)
        elif isinstance(event, FileStart):
            if rules.file_fields.fullmatch(event.name) is None:
                raise SubmissionRefused(Refusal.UNKNOWN_FIELD)
            if not decided:
                sealer.fields_read(values)
                decided = True
            sealer.file_started(event)
        elif isinstance(event, FileChunk):
            total += len(event.data)
            if total > rules.max_total_bytes:
                raise SubmissionRefused(Refusal.TOO_LARGE, rules.file_label)
            sealer.file_data(event.data)
        elif isinstance(event, FileEnd):
            sealer.file_ended()
    # The multipart reader has ended: the whole declared body arrived.
    if not decided:
        sealer.fields_read(values)
    return sealer.finished()


def receive(
    events: Iterable[FormEvent],
    rules: FormRules,
    make_sealer: Callable[[PendingBlobs], Sealer[T]],
    keep: Callable[[T, PendingBlobs], R],
) -> R:
    """Read one submission into pending blobs and, once all of it has arrived, `keep`
    it (seal what is left, commit blobs then rows). Every failure, the reader's and
    the store's included, comes out as SubmissionRefused with nothing kept."""
    try:
        with PendingBlobs(Path(current_app.instance_path)) as blobs:
            received = read_form(events, rules, make_sealer(blobs))
            return keep(received, blobs)
    except (FormTooLargeError, RequestEntityTooLarge):
        raise SubmissionRefused(Refusal.TOO_LARGE, rules.file_label) from None
    except MalformedFormError:
        raise SubmissionRefused(Refusal.MALFORMED) from None
    except (CaseExistsError, CaseNotFoundError):
        raise SubmissionRefused(Refusal.SUBMISSION_USED) from None
    except (OSError, sqlcipher3.Error) as exc:
        if not is_storage_failure(exc):
            raise
        # Reached only after PendingBlobs removed every blob and the transaction rolled back.
        log_storage_failure("a submission was refused", exc)
        raise SubmissionRefused(Refusal.STORAGE) from None


def request_events(max_body_bytes: int, max_files: int) -> Iterator[FormEvent]:
    """The current request's body as form events (never `request.form`, which would
    spool uploads to a temporary file in plaintext)."""
    return iter_form(
        cast(BinaryIO, request.stream),
        request.content_type,
        request.content_length,
        FormLimits(max_body_bytes=max_body_bytes, max_files=max_files),
    )
