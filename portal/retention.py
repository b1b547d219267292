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
from portal.store import retention as retention_rows
from portal.store.blobs import delete_blob
from portal.store.db import Connection, today


@dataclass(frozen=True)
class PurgeResult:
    case_ids: list[str]
    blob_count: int
    dry_run: bool


def cutoff_day(retention_days: int, day: str | None = None) -> str:
    return (date.fromisoformat(day or today()) - timedelta(days=retention_days)).isoformat()


def due_cases(conn: Connection, retention_days: int, closed_status: str, day: str | None = None) -> list[str]:
    return retention_rows.due_case_ids(conn, closed_status, cutoff_day(retention_days, day))


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
        blobs = [blob for case_id in case_ids for blob in retention_rows.blobs_of_case(conn, case_id)]
        if dry_run or not case_ids:
            return PurgeResult(case_ids, len(blobs), dry_run)
        for case_id in case_ids:
            retention_rows.delete_case(conn, case_id)
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
    if not retention_rows.any_case_due(conn, closed_status, cutoff_day(retention_days)):
        return None
    return purge(conn, instance_path, retention_days=retention_days, closed_status=closed_status)
