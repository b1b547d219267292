"""A process-wide cap on concurrent Argon2id derivations.

Each codename derivation takes 64 MiB and a core for ~60 ms. Without a cap a burst of
logins (or a flood) multiplies that by the number of gunicorn threads and can push a
small server into swap or the OOM killer. Callers wait for a slot up to a timeout and
then give up with `Argon2BusyError`, which the views turn into a 503 page saying
plainly that nothing was sent.

The wait itself is bounded too, per queue: at most ARGON2_MAX_WAITING codename logins
per process wait for a slot. Beyond that a login is refused at once rather than
holding a server thread for up to ARGON2_WAIT_SECONDS: under a flood of logins the
excess is told "busy" within milliseconds and the threads stay free for everyone
else's pages. The "report" queue (much longer: NOJS_REPORT_QUEUE, waiting up to
NOJS_REPORT_WAIT_SECONDS) was for new no-JavaScript reports, so that a reporter who
typed for twenty minutes was not told "busy"; since codename derivation version 2 a
new report derives no Argon2id and never waits here: only version 1 codename logins do.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

DEFAULT_WAIT_SECONDS = 20.0
DEFAULT_MAX_WAITING = 2


class Argon2BusyError(Exception):
    """No derivation slot came free in time; the caller should answer 503 and keep nothing."""


_lock = threading.Lock()
_semaphore: threading.BoundedSemaphore | None = None
_size = 0
# Requests waiting for a slot, per queue ("login", "report").
_waiting: dict[str, int] = {}


def _slots(concurrency: int) -> threading.BoundedSemaphore:
    # Created on first use: the size comes from the app's config, which is only known
    # once an app exists. One semaphore per process, whatever number of apps (tests
    # build many); a changed size replaces it (only tests do that).
    global _semaphore, _size
    if concurrency < 1:
        raise ValueError(f"ARGON2_CONCURRENCY must be at least 1, not {concurrency}")
    with _lock:
        if _semaphore is None or _size != concurrency:
            _semaphore = threading.BoundedSemaphore(concurrency)
            _size = concurrency
        return _semaphore


def _configured_max_waiting() -> int | None:
    # The views pass concurrency and wait time; the queue bound comes from the same
    # configuration when there is an app (None: unbounded, as outside a request).
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    value = current_app.config.get("ARGON2_MAX_WAITING", DEFAULT_MAX_WAITING)
    return None if value is None else int(value)


def _acquire(semaphore: threading.BoundedSemaphore, wait_seconds: float, max_waiting: int | None, queue: str) -> bool:
    """Take a slot: at once if one is free, else join the bounded queue of waiters."""
    if semaphore.acquire(blocking=False):
        return True
    with _lock:
        if max_waiting is not None and _waiting.get(queue, 0) >= max_waiting:
            return False
        _waiting[queue] = _waiting.get(queue, 0) + 1
    try:
        return semaphore.acquire(timeout=wait_seconds)
    finally:
        with _lock:
            _waiting[queue] -= 1


def waiting(queue: str = "login") -> int:
    """How many requests wait for a slot in `queue` now (for tests and benchmarks)."""
    with _lock:
        return _waiting.get(queue, 0)


@contextmanager
def argon2_slot(
    concurrency: int,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    max_waiting: int | None = None,
    *,
    queue: str = "login",
) -> Iterator[None]:
    """Hold one of `concurrency` derivation slots for the block.

    Raises Argon2BusyError at once if `max_waiting` requests already wait for a slot
    in `queue` (default: ARGON2_MAX_WAITING from the app's configuration, unbounded
    outside an app), or if none frees up within `wait_seconds`. Every queue shares the
    same slots; only the waiting is counted per queue.
    """
    semaphore = _slots(concurrency)
    if max_waiting is None:
        max_waiting = _configured_max_waiting()
    if not _acquire(semaphore, wait_seconds, max_waiting, queue):
        raise Argon2BusyError(
            f"all {concurrency} key-derivation slots are busy and {max_waiting} requests already wait "
            f"(or none freed up within {wait_seconds:g} s); raise ARGON2_CONCURRENCY if the server has "
            "memory to spare"
        )
    try:
        yield
    finally:
        semaphore.release()


# Niceness of the derivation threads: a login's 64 MiB Argon2id yields the CPU to page
# requests (the kernel schedules each thread on its own), so a flood of logins slows
# logins, not the landing page. +10 of a possible +19: still running on an idle core.
LOW_PRIORITY_NICE = 10
# More threads than derivation slots will ever hold: every job holds a slot.
_POOL_THREADS = 8
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _lower_this_thread() -> None:
    try:
        # On Linux PRIO_PROCESS with a thread id sets that thread's niceness alone.
        own = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, own, os.getpriority(os.PRIO_PROCESS, own) + LOW_PRIORITY_NICE)
    except (AttributeError, OSError):
        pass  # a platform without per-thread niceness: the derivation runs at normal priority


def at_low_priority(work: Callable[[], T]) -> T:
    """Run `work` (a key derivation) on a low-priority thread and wait for its result.

    The caller holds an `argon2_slot`, so memory stays bounded as before; only the
    CPU the derivation takes is given below that of the page threads. Argon2id in
    libsodium releases the GIL, so page threads run while it computes.
    """
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():  # a forked worker starts its own pool
            _pool = ThreadPoolExecutor(_POOL_THREADS, "argon2-low", initializer=_lower_this_thread)
            _pool_pid = os.getpid()
        pool = _pool
    return pool.submit(work).result()
