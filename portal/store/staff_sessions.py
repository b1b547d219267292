"""The account_sessions table: server-side workspace sessions, keyed by the BLAKE2b
hash of the cookie's token (a copy of the database cannot be used to sign in)."""

from __future__ import annotations

from portal.store.db import Connection


def insert_session(conn: Connection, token_hash: bytes, account_id: int, stage: str, now: int) -> None:
    conn.execute(
        "INSERT INTO account_sessions (token_hash, account_id, stage, last_seen, started) VALUES (?, ?, ?, ?, ?)",
        (token_hash, account_id, stage, now, now),
    )


def session_row(conn: Connection, token_hash: bytes) -> tuple[int, str, int, int] | None:
    """(account id, stage, last seen, started) in Unix seconds, or None."""
    row = conn.execute(
        "SELECT account_id, stage, last_seen, started FROM account_sessions WHERE token_hash = ?", (token_hash,)
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]), int(row[3]))


def touch_session(conn: Connection, token_hash: bytes, now: int) -> None:
    conn.execute("UPDATE account_sessions SET last_seen = ? WHERE token_hash = ?", (now, token_hash))


def delete_session(conn: Connection, token_hash: bytes) -> None:
    conn.execute("DELETE FROM account_sessions WHERE token_hash = ?", (token_hash,))


def delete_sessions_of(conn: Connection, account_id: int) -> int:
    """Delete every session of an account; returns how many there were."""
    return int(conn.execute("DELETE FROM account_sessions WHERE account_id = ?", (account_id,)).rowcount)
