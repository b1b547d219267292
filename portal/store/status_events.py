"""Status changes of a case: the event a reporter sees and the case's new status."""

from __future__ import annotations

from portal.store.db import Connection


def current_status(conn: Connection, case_id: str) -> str | None:
    row = conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
    return None if row is None else str(row[0])


def record_status(
    conn: Connection,
    *,
    case_id: str,
    day: str,
    status: str,
    outcome: str | None,
    reason: str,
    reviewer_id: int,
    statement: bytes | None,
    signature: bytes | None,
) -> None:
    """The status event (signed when a reply carried it) and the case's new status."""
    conn.execute(
        "INSERT INTO status_events (case_id, day, status, outcome, reason, reviewer_id, statement, signature)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, day, status, outcome, reason, reviewer_id, statement, signature),
    )
    conn.execute("UPDATE cases SET status = ?, outcome = ? WHERE id = ?", (status, outcome, case_id))
