"""Group commit: the small write transactions of concurrent requests in one COMMIT.

With `PRAGMA synchronous = FULL` every COMMIT waits for an fsync of the WAL, and a
worker's threads would otherwise take turns: BEGIN IMMEDIATE, a few inserts, fsync,
next. Here each caller queues `work(conn)` and waits; whichever caller holds the
leader lock runs every queued job in one BEGIN IMMEDIATE … COMMIT on its own
connection, each job inside a SAVEPOINT so a job that raises is rolled back alone and
the others still commit. One fsync then covers the whole batch.

Durability is unchanged: no caller returns before the COMMIT holding its rows has
returned (the WAL fsynced), so a report is still acknowledged only once it is on disk.
If the COMMIT fails, every job in the batch fails with that error and nothing of the
batch is stored. Jobs are grouped per database file, so several instances in one
process (the tests) never share a transaction.

Between processes (gunicorn's workers) the leaders take turns on an flock of
`.db-writers.lock` beside the database before BEGIN IMMEDIATE. SQLite's own lock
still decides who writes; the flock only replaces its busy handler's sleeps (1, 2,
5 … up to 100 ms between tries) with a wake-up the moment the other worker's COMMIT
returns, which is what kept the tail of a burst of reports long. Without the file
(a read-only instance folder) the leaders fall back to SQLite's busy handler alone.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from portal.store.db import Connection
from portal.store.db import _rollback_quietly as rollback_quietly

T = TypeVar("T")


@dataclass
class _Job(Generic[T]):
    work: Callable[[Connection], T]
    result: Any = None
    error: BaseException | None = None
    done: bool = False


WRITERS_LOCK_FILENAME = ".db-writers.lock"


@dataclass
class _Group:
    database_file: str
    leader: threading.Lock = field(default_factory=threading.Lock)
    queue_lock: threading.Lock = field(default_factory=threading.Lock)
    queue: list[_Job[Any]] = field(default_factory=list)
    lock_fd: int | None = None
    lock_pid: int = 0

    @contextmanager
    def between_processes(self) -> Iterator[None]:
        """Hold the writers' flock (the caller holds `leader`, so one thread at a time)."""
        if self.lock_fd is None or self.lock_pid != os.getpid():
            # Opened per process: a descriptor inherited across fork() shares its flock
            # with the parent and sibling workers, which would then not exclude each other.
            self.lock_fd = _open_lock_file(os.path.join(os.path.dirname(self.database_file), WRITERS_LOCK_FILENAME))
            self.lock_pid = os.getpid()
        if self.lock_fd < 0:
            yield
            return
        fcntl.flock(self.lock_fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        try:
            yield
        finally:
            fcntl.flock(self.lock_fd, fcntl.LOCK_UN)


def _open_lock_file(path: str) -> int:
    """The lock file's descriptor, created if missing; -1 when it can be neither opened
    nor created (a read-only instance folder), so the caller goes without."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        pass
    except OSError:
        return -1
    try:
        return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return -1


_groups: dict[str, _Group] = {}
_groups_lock = threading.Lock()


def _group_for(conn: Connection) -> _Group:
    row = conn.execute("PRAGMA database_list").fetchone()
    key = str(row[2])
    with _groups_lock:
        group = _groups.get(key)
        if group is None:
            group = _groups[key] = _Group(key)
        return group


def run_grouped(conn: Connection, work: Callable[[Connection], T]) -> T:
    """Run `work(conn)` in a write transaction, possibly together with other threads'
    work; return its result once the transaction holding it is committed, or raise
    what `work` (or the COMMIT) raised."""
    group = _group_for(conn)
    job: _Job[T] = _Job(work)
    with group.queue_lock:
        group.queue.append(job)
    while not job.done:
        with group.leader:
            if job.done:
                break
            with group.between_processes():
                with group.queue_lock:
                    batch, group.queue = group.queue, []
                _commit_batch(conn, batch)
    if job.error is not None:
        raise job.error
    return job.result  # type: ignore[no-any-return]


def _commit_batch(conn: Connection, batch: list[_Job[Any]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for job in batch:
            _run_in_savepoint(conn, job)
        conn.execute("COMMIT")
    except BaseException as exc:
        rollback_quietly(conn)
        for job in batch:
            if job.error is None:
                job.error, job.result = exc, None
            job.done = True
        raise
    for job in batch:
        job.done = True


def _run_in_savepoint(conn: Connection, job: _Job[Any]) -> None:
    conn.execute("SAVEPOINT grouped_job")
    try:
        job.result = job.work(conn)
    except Exception as exc:
        if not conn.in_transaction:
            raise  # SQLite rolled the whole transaction back (a full or failing disk): the batch fails
        conn.execute("ROLLBACK TO grouped_job")  # the job's own failure: only its rows go
        job.error = exc
    conn.execute("RELEASE grouped_job")
