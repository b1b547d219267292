"""Keeping a submission: its blobs first (fsynced, renamed into place), then its rows
in one group-committed transaction, then — only then — the answer to the reporter.

`PendingBlobs` holds a submission's blobs until its rows are committed: blobs stay
uncommitted (in blobs/tmp, swept at start-up) while the body streams in, and on
leaving the block without `keep()` — a refusal, an exception, a client that went
away — every temporary file is removed and every committed blob deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from flask import current_app

from crypto.envelope import SealedPart
from portal.store import cases as case_store
from portal.store.blobs import BlobWriter, committing_blobs, delete_blob
from portal.store.cases import StoredPart
from portal.store.db import get_db

log = logging.getLogger(__name__)


@dataclass
class _Part:
    index: int
    writer: BlobWriter
    sealed_size: int
    header_hash: bytes


class PendingBlobs:
    """The blobs of one submission until its database rows are committed."""

    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self._parts: list[_Part] = []
        # Every writer ever opened, finished or not: a file cut off mid-way (too
        # large, connection dropped) has a temporary file but no _Part yet.
        self._writers: list[BlobWriter] = []
        self._committed: list[str] = []
        self._kept = False
        self._lock = ExitStack()

    def new_writer(self) -> BlobWriter:
        writer = BlobWriter(self.instance)
        self._writers.append(writer)
        return writer

    def add_part(self, index: int, writer: BlobWriter, *, sealed_size: int, header_hash: bytes) -> None:
        """A finished envelope in `writer`: sealed here (`add_sealed`) or, on the
        browser path, received whole and checked by portal/intake/browser_sealed.py."""
        self._parts.append(_Part(index=index, writer=writer, sealed_size=sealed_size, header_hash=header_hash))

    def add_sealed(self, writer: BlobWriter, sealed: SealedPart) -> None:
        self.add_part(sealed.part_index, writer, sealed_size=sealed.sealed_size, header_hash=sealed.header_hash)

    def commit_all(self) -> list[StoredPart]:
        """fsync and rename every sealed part into place, part 0 first."""
        stored = []
        for part in sorted(self._parts, key=lambda p: p.index):
            name = part.writer.commit()
            self._committed.append(name)
            stored.append(
                StoredPart(index=part.index, blob=name, sealed_size=part.sealed_size, header_hash=part.header_hash)
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


@dataclass(frozen=True)
class NewCase:
    """The public values a new case is stored with (no key that reads anything)."""

    case_id: str
    day: str
    sealed_on: str
    login_hash: bytes
    reporter_reply_key: bytes
    reporter_sign_key: bytes
    reviewer_ids: Sequence[int]
    codename_version: int  # docs/format.md §6: which derivation the login hash and keys come from
    recipients_signed: tuple[bytes, bytes] | None = None  # §7.1: statement and the reporter's signature


def commit_report(blobs: PendingBlobs, case: NewCase) -> None:
    """Commit every blob, then write the new case's rows in one group-committed
    transaction; the blobs are kept only once that returned."""
    parts = blobs.commit_all()
    config = current_app.config
    case_store.create_case(
        get_db(),
        case_id=case.case_id,
        day=case.day,
        initial_status=config["STATUSES"][0][0],
        acknowledge_by=case_store.add_days(case.day, int(config["ACKNOWLEDGE_DAYS"])),
        feedback_by=case_store.add_days(case.day, int(config["FEEDBACK_DAYS"])),
        sealed_on=case.sealed_on,
        login_hash=case.login_hash,
        reporter_reply_key=case.reporter_reply_key,
        reporter_sign_key=case.reporter_sign_key,
        reviewer_ids=case.reviewer_ids,
        parts=parts,
        codename_version=case.codename_version,
        recipients_signed=case.recipients_signed,
    )
    blobs.keep()


def commit_followup(blobs: PendingBlobs, *, case_id: str, submission_id: str, day: str, sealed_on: str) -> None:
    """Commit every blob, then the follow-up's rows in one group-committed transaction."""
    parts = blobs.commit_all()
    case_store.add_followup(
        get_db(), case_id=case_id, submission_id=submission_id, day=day, sealed_on=sealed_on, parts=parts
    )
    blobs.keep()
