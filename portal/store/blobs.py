"""Ciphertext blobs under instance/blobs/.

A blob is written to a temporary file in blobs/tmp/, fsynced, then linked into
blobs/<first 2 hex>/<32 hex> and the directories fsynced: after a crash a blob is
either complete under its name or absent, never half-written. Names are random
(never derived from content, which would let anyone holding a guess confirm it).

File times are set to midnight UTC of the day written: the store keeps nothing
about a submission finer than a day, and a file's mtime would otherwise record the
second it arrived. (The inode change time cannot be set; see the README.)
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import secrets
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from crypto.files import fsync_directory, fsync_handle
from portal.instance import BLOBS_DIRNAME

_BLOB_NAME = re.compile(r"^[0-9a-f]{32}$")
TEMP_PREFIX = "incoming-"
# In the instance folder (not blobs/, which holds blobs only). Held shared by whoever
# commits blobs before their database rows (see `committing_blobs`), exclusively by
# the start-up sweeps.
LOCK_FILENAME = ".blob-writers.lock"

log = logging.getLogger(__name__)


class BlobError(Exception):
    """Base class for blob store failures."""


class BlobNameError(BlobError, ValueError):
    """A blob name is not 32 lowercase hex digits."""


class BlobNotFoundError(BlobError, FileNotFoundError):
    """No blob exists under that name."""


class BlobWriterClosedError(BlobError):
    """The writer was used after commit() or abort()."""


def blobs_dir(instance_path: str | os.PathLike[str]) -> Path:
    return Path(instance_path) / BLOBS_DIRNAME


def temp_dir(instance_path: str | os.PathLike[str]) -> Path:
    return blobs_dir(instance_path) / "tmp"


def blob_path(instance_path: str | os.PathLike[str], name: str) -> Path:
    """Where the blob called `name` lives. Validates the name first, so a name
    from the database or a request can never reach outside blobs/."""
    if not isinstance(name, str) or not _BLOB_NAME.fullmatch(name):
        raise BlobNameError(f"not a blob name (32 lowercase hex digits): {name!r}")
    return blobs_dir(instance_path) / name[:2] / name


def _start_of_today() -> float:
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp()


def _create_temp_file(folder: Path) -> tuple[int, str]:
    """A new, empty file under a random name in `folder`, open for writing (0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    while True:
        path = os.path.join(folder, TEMP_PREFIX + secrets.token_hex(8))
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:  # 2**-64 odds; pick another name
            continue


class BlobWriter:
    """Streams one blob to disk. Use as a context manager:

        with BlobWriter(instance_path) as writer:
            writer.write(chunk)
            name = writer.commit()

    Leaving the block without commit() (or by an exception) aborts: the temporary
    file is removed and no blob exists.
    """

    def __init__(self, instance_path: str | os.PathLike[str]) -> None:
        self._instance_path = Path(instance_path)
        tmp = temp_dir(instance_path)
        try:
            fd, tmp_name = _create_temp_file(tmp)
        except FileNotFoundError:
            tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp_name = _create_temp_file(tmp)
        self._temp_path: Path | None = Path(tmp_name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self.size = 0

    def _open_file(self) -> BinaryIO:
        if self._file is None:
            raise BlobWriterClosedError("this blob was already committed or aborted")
        return self._file

    def write(self, data: bytes) -> None:
        self._open_file().write(data)
        self.size += len(data)

    def commit(self) -> str:
        """Make the blob durable under a fresh random name and return the name."""
        handle = self._open_file()
        assert self._temp_path is not None  # noqa: S101 - set together with _file
        fsync_handle(handle)
        handle.close()
        self._file = None
        day = _start_of_today()
        os.utime(self._temp_path, (day, day))
        root = blobs_dir(self._instance_path)
        while True:
            name = secrets.token_hex(16)
            final = blob_path(self._instance_path, name)
            shard_created = not final.parent.exists()
            final.parent.mkdir(mode=0o700, exist_ok=True)
            try:
                # link() refuses to replace an existing file, unlike rename().
                os.link(self._temp_path, final)
            except FileExistsError:  # 2**-128 odds; pick another name
                continue
            break
        os.unlink(self._temp_path)
        self._temp_path = None
        # Both folders' times back to the day before anything is flushed, so the flush
        # that makes the new name durable carries them too. The temporary name's
        # removal needs no flush of its own: if a crash loses it, the start-up sweep
        # removes the leftover file (portal/store/recovery.py).
        os.utime(temp_dir(self._instance_path), (day, day))
        os.utime(final.parent, (day, day))
        fsync_directory(final.parent, strict=True)
        if shard_created:
            os.utime(root, (day, day))
            fsync_directory(root, strict=True)
        return name

    def abort(self) -> None:
        """Discard what was written. Safe to call more than once, and on a full or
        read-only disk: it never raises for that, so cleaning up after one storage
        error cannot hide it behind another. What it cannot remove is swept at start-up."""
        if self._file is not None:
            handle, self._file = self._file, None
            try:
                handle.close()  # flushes the buffer: ENOSPC on a full disk
            except OSError:
                pass
        if self._temp_path is not None:
            path, self._temp_path = self._temp_path, None
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning(
                    "could not remove an unfinished upload file (%s); it is swept at start-up", _errno_name(exc)
                )

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()


def open_blob(instance_path: str | os.PathLike[str], name: str) -> BinaryIO:
    """The blob opened for reading in binary mode; the caller closes it."""
    path = blob_path(instance_path, name)
    try:
        return open(path, "rb")  # noqa: SIM115 - returned to the caller to close
    except FileNotFoundError:
        raise BlobNotFoundError(f"no blob named {name} in {blobs_dir(instance_path)}") from None


def delete_blob(instance_path: str | os.PathLike[str], name: str, *, missing_ok: bool = False) -> None:
    """Remove a blob and make the removal durable. missing_ok lets retention
    re-run after a crash between deleting the row and deleting the file."""
    path = blob_path(instance_path, name)
    try:
        path.unlink()
    except FileNotFoundError:
        if missing_ok:
            return
        raise BlobNotFoundError(f"no blob named {name} in {blobs_dir(instance_path)}") from None
    fsync_directory(path.parent, strict=True)


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, "unknown error")


def _open_lock(instance_path: str | os.PathLike[str]) -> int:
    return os.open(Path(instance_path) / LOCK_FILENAME, os.O_RDONLY | os.O_CREAT, 0o600)


@contextmanager
def committing_blobs(instance_path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold this from the first blob of a submission until its rows are committed
    (or its blobs deleted). A blob committed but not yet named by a row looks like
    an orphan; the start-up sweep only runs when nobody holds this, so it can never
    delete such a blob, even one written by a worker that outlived a killed master."""
    fd = _open_lock(instance_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def exclusive_sweep_lock(instance_path: str | os.PathLike[str]) -> Iterator[bool]:
    """Yields True if no writer holds `committing_blobs` (they then wait until the
    block ends), False if one does: then nothing may be swept."""
    fd = _open_lock(instance_path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def committed_blob_names(instance_path: str | os.PathLike[str]) -> list[str]:
    """Every committed blob's name (files under blobs/xx/ with a blob-shaped name)."""
    root = blobs_dir(instance_path)
    if not root.is_dir():
        return []
    names: list[str] = []
    for shard in root.iterdir():
        if len(shard.name) != 2 or not shard.is_dir():
            continue
        names.extend(entry.name for entry in shard.iterdir() if _BLOB_NAME.fullmatch(entry.name) and entry.is_file())
    return sorted(names)


def sweep_orphans(instance_path: str | os.PathLike[str], referenced: Collection[str]) -> int:
    """Delete committed blobs that no database row names; returns how many.

    They are left when a process dies between committing a submission's blobs and
    committing its rows, or between a retention purge's commit and its deletions.
    Only safe while no submission is in flight: call it under
    `exclusive_sweep_lock`, with `referenced` read after taking the lock. Blob
    modification times are set to midnight by design, so age cannot tell a blob
    in flight from an orphan; the lock does.
    """
    keep = set(referenced)
    removed = 0
    for name in committed_blob_names(instance_path):
        if name not in keep:
            delete_blob(instance_path, name, missing_ok=True)
            removed += 1
    return removed


def sweep_temp(instance_path: str | os.PathLike[str], older_than_seconds: float = 0) -> int:
    """Remove temporary files left by writers that never finished (a crash, a killed
    worker); returns how many. Run it at start-up, before any worker writes: with
    workers running, pass older_than_seconds longer than the longest upload."""
    tmp = temp_dir(instance_path)
    if not tmp.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for entry in tmp.iterdir():
        if not entry.name.startswith(TEMP_PREFIX) or not entry.is_file():
            continue
        if older_than_seconds and entry.stat().st_mtime > cutoff:
            continue
        entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        fsync_directory(tmp, strict=True)
    return removed
