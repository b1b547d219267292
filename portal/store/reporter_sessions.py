"""Revoked reporter sessions (migration 0008): Leave records the session's random id so
that a copy of its cookie is refused by every worker until the session would have
expired anyway. Rows carry a day, never a time, and nothing that names a case.

Runs in the caller's transaction unless the name says otherwise (`revoke_session`
opens its own, as it is the only write of its request).
"""

from __future__ import annotations

from portal.store.db import Connection, transaction

SESSION_ID_BYTES = 16


def revoke_session(conn: Connection, session_id: bytes, *, expires_day: str, today: str) -> None:
    """Record `session_id` as ended until `expires_day`, and purge stale records, in one
    transaction (durable before Leave answers)."""
    if len(session_id) != SESSION_ID_BYTES:
        raise ValueError(f"a reporter session id is {SESSION_ID_BYTES} bytes")
    with transaction(conn):
        conn.execute(
            "INSERT INTO reporter_session_revocations (session_id, expires_day) VALUES (?, ?)"
            " ON CONFLICT (session_id) DO NOTHING",
            (session_id, expires_day),
        )
        purge_stale_revocations(conn, today)


def session_revoked(conn: Connection, session_id: bytes) -> bool:
    row = conn.execute("SELECT 1 FROM reporter_session_revocations WHERE session_id = ?", (session_id,)).fetchone()
    return row is not None


def purge_stale_revocations(conn: Connection, today: str) -> int:
    """Forget revocations of sessions that have expired by now; returns how many."""
    cursor = conn.execute("DELETE FROM reporter_session_revocations WHERE expires_day < ?", (today,))
    return int(cursor.rowcount)
