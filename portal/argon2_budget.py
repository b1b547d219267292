"""A process-wide cap on concurrent Argon2id derivations.

Each codename derivation takes 64 MiB and a core for ~60 ms. Without a cap a burst of
logins (or a flood) multiplies that by the number of gunicorn threads and can push a
small server into swap or the OOM killer. Callers wait for a slot up to a timeout and
then give up with `Argon2BusyError`, which the views turn into a 503 page saying
plainly that nothing was sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_WAIT_SECONDS = 20.0


class Argon2BusyError(Exception):
    """No derivation slot came free in time; the caller should answer 503 and keep nothing."""


_lock = threading.Lock()
_semaphore: threading.BoundedSemaphore | None = None
_size = 0


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


@contextmanager
def argon2_slot(concurrency: int, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold one of `concurrency` derivation slots for the block.

    Raises Argon2BusyError if none frees up within `wait_seconds`.
    """
    semaphore = _slots(concurrency)
    if not semaphore.acquire(timeout=wait_seconds):
        raise Argon2BusyError(
            f"all {concurrency} key-derivation slots stayed busy for {wait_seconds:g} s; "
            "raise ARGON2_CONCURRENCY if the server has memory to spare"
        )
    try:
        yield
    finally:
        semaphore.release()
