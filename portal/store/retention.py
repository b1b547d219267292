"""Which closed cases are due for destruction, their blobs, and deleting them."""

from __future__ import annotations

from portal.store.db import Connection

# Closed on the day of its last change to the closed status (the day it was created
# if no event says so); due once that day is before the cutoff.
_DUE = (
    "SELECT c.id FROM cases c WHERE c.status = ? AND coalesce("
    " (SELECT max(e.day) FROM status_events e WHERE e.case_id = c.id AND e.status = ?), c.created_day) < ?"
    " ORDER BY c.id"
)


def due_case_ids(conn: Connection, closed_status: str, cutoff: str) -> list[str]:
    return [str(row[0]) for row in conn.execute(_DUE, (closed_status, closed_status, cutoff))]


def any_case_due(conn: Connection, closed_status: str, cutoff: str) -> bool:
    return conn.execute(_DUE + " LIMIT 1", (closed_status, closed_status, cutoff)).fetchone() is not None


def blobs_of_case(conn: Connection, case_id: str) -> list[str]:
    """Every blob a case's rows name: its parts and the reviewers' copies of its replies."""
    rows = conn.execute(
        "SELECT p.blob FROM parts p JOIN submissions s ON s.id = p.submission_id WHERE s.case_id = ?"
        " UNION ALL SELECT reviewers_blob FROM replies WHERE case_id = ? AND reviewers_blob IS NOT NULL",
        (case_id, case_id),
    )
    return [str(row[0]) for row in rows]


def delete_case(conn: Connection, case_id: str) -> None:
    """Delete a case; cascades to recipients, submissions, parts, status events and replies."""
    conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))
