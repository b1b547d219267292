"""The audit_log table: appending a chained entry's row and reading rows back.

The chain itself (hashing, the head anchor, verification) is `portal.audit`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.store.db import Connection

_COLUMNS = "seq, day, actor, action, case_id, details, entry_hash"


def actor_label(username: str, role: str) -> str:
    """How an account is named in the trail: 'alice (reviewer)'."""
    return f"{username} ({role})"


def last_link(conn: Connection) -> tuple[int, bytes] | None:
    """(seq, entry_hash) of the newest entry, or None for an empty trail."""
    row = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), bytes(row[1]))


def insert_entry(
    conn: Connection,
    *,
    seq: int,
    day: str,
    actor: str,
    action: str,
    case_id: str | None,
    details_json: str,
    entry_hash: bytes,
) -> None:
    conn.execute(
        "INSERT INTO audit_log (seq, day, actor, action, case_id, details, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, day, actor, action, case_id, details_json, entry_hash),
    )


def rows_for_case(conn: Connection, case_id: str) -> list[Any]:
    return conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE case_id = ? ORDER BY seq",  # noqa: S608 - fixed column list
        (case_id,),
    ).fetchall()


def recent_rows(conn: Connection, limit: int) -> list[Any]:
    return conn.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()  # noqa: S608


def rows_after(conn: Connection, seq: int, limit: int) -> list[Any]:
    """Entries with a sequence number above `seq`, oldest first, at most `limit`."""
    return conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608 - fixed column list
        (seq, limit),
    ).fetchall()


def rows_for_actor(conn: Connection, actor: str, limit: int) -> list[Any]:
    """The newest entries done by `actor`, or naming it as the account acted upon."""
    return conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE actor = ? OR json_extract(details, '$.account') = ?"  # noqa: S608
        " ORDER BY seq DESC LIMIT ?",
        (actor, actor, limit),
    ).fetchall()


def rows_done_to_account(conn: Connection, account_actor: str, actions: tuple[str, ...], after_seq: int) -> list[Any]:
    """Entries of the given actions whose details name `account_actor` as the account
    acted upon, after `after_seq`, oldest first."""
    marks = ",".join("?" * len(actions))
    return conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? AND action IN ({marks})"  # noqa: S608 - placeholders only
        " AND json_extract(details, '$.account') = ? ORDER BY seq",
        (after_seq, *actions, account_actor),
    ).fetchall()


def creator_of(conn: Connection, username: str) -> str | None:
    """Who created the account called `username` (the actor of its `account_created`
    entry), or None if the trail does not say."""
    row = conn.execute(
        "SELECT actor FROM audit_log WHERE action = 'account_created' AND json_extract(details, '$.username') = ?"
        " ORDER BY seq DESC LIMIT 1",
        (username,),
    ).fetchone()
    return None if row is None else str(row[0])


def all_rows_in_storage_order(conn: Connection) -> Iterator[Any]:
    """Every row in rowid order (not seq order, so a reordered trail shows)."""
    return iter(conn.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY rowid"))  # noqa: S608
