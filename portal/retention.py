"""Destroying closed cases after RETENTION_DAYS: their rows and every blob.

A case is due when it has been closed for more than RETENTION_DAYS days (counted
from the day of its last change to the closed status). The rows go in one
transaction with the audit entry; the blobs are deleted after the commit. A crash
in between leaves blob files no row names, which hold only ciphertext.

It runs from `flask --app wsgi retention purge` and, when anything is due, at every
successful workspace sign-in (`purge_if_due`: one query when nothing is).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta

from portal import audit
from portal.store.blobs import delete_blob
from portal.store.db import Connection, today


@dataclass(frozen=True)
class PurgeResult:
    case_ids: list[str]
    blob_count: int
    dry_run: bool


# Closed on the day of its last change to the closed status (the day it was created
# if no event says so); due once that day is before the cutoff.
_DUE = (
    "SELECT c.id FROM cases c WHERE c.status = ? AND coalesce("
    " (SELECT max(e.day) FROM status_events e WHERE e.case_id = c.id AND e.status = ?), c.created_day) < ?"
    " ORDER BY c.id"
)


def cutoff_day(retention_days: int, day: str | None = None) -> str:
    return (date.fromisoformat(day or today()) - timedelta(days=retention_days)).isoformat()


def due_cases(conn: Connection, retention_days: int, closed_status: str, day: str | None = None) -> list[str]:
    cutoff = cutoff_day(retention_days, day)
    return [row[0] for row in conn.execute(_DUE, (closed_status, closed_status, cutoff))]


def _blobs_of(conn: Connection, case_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT p.blob FROM parts p JOIN submissions s ON s.id = p.submission_id WHERE s.case_id = ?"
        " UNION ALL SELECT reviewers_blob FROM replies WHERE case_id = ? AND reviewers_blob IS NOT NULL",
        (case_id, case_id),
    )
    return [row[0] for row in rows]


def purge(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    *,
    retention_days: int,
    closed_status: str,
    actor: str = audit.SYSTEM,
    dry_run: bool = False,
    day: str | None = None,
) -> PurgeResult:
    """Destroy every due case (or, with `dry_run`, only say which are due)."""
    with audit.audited_transaction(conn, instance_path):
        case_ids = due_cases(conn, retention_days, closed_status, day)
        blobs = [blob for case_id in case_ids for blob in _blobs_of(conn, case_id)]
        if dry_run or not case_ids:
            return PurgeResult(case_ids, len(blobs), dry_run)
        for case_id in case_ids:
            # Cascades to recipients, submissions, parts, status events and replies.
            conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
        audit.append(
            conn,
            actor=actor,
            action="retention_purge",
            details={"count": len(case_ids), "cases": case_ids, "blobs": len(blobs), "retention_days": retention_days},
        )
    for blob in blobs:
        delete_blob(instance_path, blob, missing_ok=True)
    return PurgeResult(case_ids, len(blobs), False)


def purge_if_due(
    conn: Connection, instance_path: str | os.PathLike[str], *, retention_days: int, closed_status: str
) -> PurgeResult | None:
    """The cheap check run at sign-in: purge only when some case is due."""
    cutoff = cutoff_day(retention_days)
    if conn.execute(_DUE + " LIMIT 1", (closed_status, closed_status, cutoff)).fetchone() is None:
        return None
    return purge(conn, instance_path, retention_days=retention_days, closed_status=closed_status)
