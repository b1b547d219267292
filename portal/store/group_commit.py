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
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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


@dataclass
class _Group:
    leader: threading.Lock = field(default_factory=threading.Lock)
    queue_lock: threading.Lock = field(default_factory=threading.Lock)
    queue: list[_Job[Any]] = field(default_factory=list)


_groups: dict[str, _Group] = {}
_groups_lock = threading.Lock()


def _group_for(conn: Connection) -> _Group:
    row = conn.execute("PRAGMA database_list").fetchone()
    key = str(row[2])
    with _groups_lock:
        return _groups.setdefault(key, _Group())


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
