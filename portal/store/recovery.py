"""Start-up clean-up of what a crash can leave in the blob store.

A worker killed mid-upload leaves a temporary file in blobs/tmp (ciphertext, never
committed). A process killed between committing a submission's blobs and committing
its database rows, or between a retention purge's commit and its file deletions,
leaves committed blobs that no row names. Neither is readable without a reviewer's
key, but both are dead weight and the second would be restored by a backup.

gunicorn's master runs `startup_sweep` in `on_starting`, before any worker exists.
A worker of a previous master that is still finishing an upload holds the blob
writers' lock (`portal.store.blobs.committing_blobs`); the sweep then does nothing
rather than delete that upload's blobs, and the next start-up sweeps instead.
"""

from __future__ import annotations

import logging
import os
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from portal.instance import is_initialised
from portal.store.blobs import exclusive_sweep_lock, sweep_orphans, sweep_temp
from portal.store.db import Connection, DatabaseKeyError, connect

log = logging.getLogger(__name__)

# Every column that names a blob. tests/portal/intake/test_interrupted_uploads.py checks the schema
# has no other column holding blob names: a blob named only by a column missing here
# would be deleted as an orphan.
REFERENCED_BLOBS_SQL = (
    "SELECT blob FROM parts UNION SELECT reviewers_blob FROM replies WHERE reviewers_blob IS NOT NULL"
)
BLOB_COLUMNS = frozenset({("parts", "blob"), ("replies", "reviewers_blob")})


@dataclass(frozen=True)
class SweepResult:
    temp_files: int
    orphan_blobs: int
    skipped: str | None = None


def referenced_blobs(conn: Connection) -> set[str]:
    return {str(row[0]) for row in conn.execute(REFERENCED_BLOBS_SQL)}


def startup_sweep(instance_path: str | os.PathLike[str]) -> SweepResult:
    """Remove unfinished upload files and orphan blobs. Never raises for a storage
    problem or an unreadable database: the portal must still start (and answer
    "try again later") on a full or read-only disk."""
    instance = Path(instance_path)
    if not is_initialised(instance):
        return SweepResult(0, 0, "no instance yet")
    try:
        with exclusive_sweep_lock(instance) as free:
            if not free:
                return SweepResult(0, 0, "an upload is still being stored by another process")
            temp_files = sweep_temp(instance)
            try:
                with closing(connect(instance)) as conn:
                    referenced = referenced_blobs(conn)
            except (DatabaseKeyError, sqlcipher3.Error) as exc:
                # Without the list of referenced blobs, deleting any would be a guess.
                return SweepResult(temp_files, 0, f"the database could not be read ({type(exc).__name__})")
            return SweepResult(temp_files, sweep_orphans(instance, referenced))
    except OSError as exc:
        return SweepResult(0, 0, f"the blob store could not be swept ({exc.strerror})")
