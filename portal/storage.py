"""Telling a full, read-only or failing disk apart from a bug.

A disk that fills up or is remounted read-only is an operational condition, not a
programming error: the person sending a report must be told plainly that nothing
was kept and to try again later (503), and the portal must carry on by itself once
space returns. Anything else stays a 500 with a logged traceback.
"""

from __future__ import annotations

import errno
import logging

import sqlcipher3

log = logging.getLogger(__name__)

# errno values that mean "the disk cannot take this write now", not "the code is wrong".
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO})
# SQLite primary result codes for the same conditions: PERM, READONLY, IOERR, FULL, CANTOPEN.
SQLITE_STORAGE_CODES = frozenset({3, 8, 10, 13, 14})


def _sqlite_code(exc: BaseException) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def is_storage_failure(exc: BaseException) -> bool:
    """True if `exc` says the disk is full, read-only, unwritable or failing."""
    if isinstance(exc, OSError):
        return exc.errno in STORAGE_ERRNOS
    if isinstance(exc, sqlcipher3.Error):
        return _sqlite_code(exc) in SQLITE_STORAGE_CODES
    return False


def describe(exc: BaseException) -> str:
    """A short name for the log: the errno or SQLite code, never a path or data."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    name = getattr(exc, "sqlite_errorname", None)
    return str(name) if name else type(exc).__name__


def log_storage_failure(what: str, exc: BaseException) -> None:
    log.warning(
        "%s: the instance's storage is full, read-only or failing (%s). Nothing was kept. "
        "Free space or make the instance folder writable; the portal recovers by itself.",
        what,
        describe(exc),
    )
