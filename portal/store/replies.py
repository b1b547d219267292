"""Reviewers' signed replies: what accepting one needs to read, and storing it."""

from __future__ import annotations

from portal.store.db import Connection


def active_reviewer_identities(conn: Connection) -> list[tuple[int, str]]:
    """(row id, public identity line) of every active reviewer."""
    return [(int(row[0]), str(row[1])) for row in conn.execute("SELECT id, identity FROM reviewers WHERE active = 1")]


def case_status_and_reply_key(conn: Connection, case_id: str) -> tuple[str, bytes] | None:
    row = conn.execute("SELECT status, reporter_reply_key FROM cases WHERE id = ?", (case_id,)).fetchone()
    return None if row is None else (str(row[0]), bytes(row[1]))


def is_recipient(conn: Connection, case_id: str, reviewer_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM case_reviewers WHERE case_id = ? AND reviewer_id = ?", (case_id, reviewer_id)
    ).fetchone()
    return row is not None


def last_accepted_seq(conn: Connection, case_id: str, reviewer_id: int) -> int:
    """The highest reply number accepted from this reviewer on this case (0 if none)."""
    row = conn.execute(
        "SELECT coalesce(max(seq), 0) FROM replies WHERE case_id = ? AND reviewer_id = ?", (case_id, reviewer_id)
    ).fetchone()
    return int(row[0])


def insert_reply(
    conn: Connection,
    *,
    case_id: str,
    reviewer_id: int,
    seq: int,
    day: str,
    statement: bytes,
    signature: bytes,
    for_reporter: bytes,
    reviewers_blob: str,
    feedback: bool,
) -> None:
    """`feedback`: the signed statement marks the reply as feedback on the report."""
    conn.execute(
        "INSERT INTO replies (case_id, reviewer_id, seq, day, statement, signature, for_reporter, reviewers_blob,"
        " feedback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, reviewer_id, seq, day, statement, signature, for_reporter, reviewers_blob, int(feedback)),
    )
