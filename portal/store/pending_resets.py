"""The pending_resets table: a reset one administrator asked for, waiting for another."""

from __future__ import annotations

from dataclasses import dataclass

from portal.store.db import Connection


@dataclass(frozen=True)
class PendingReset:
    id: int
    account_id: int
    username: str
    kind: str  # 'password' or 'second_factor'
    requested_by: int
    requested_by_username: str
    requested_day: str


_SELECT = (
    "SELECT p.id, p.account_id, a.username, p.kind, p.requested_by, r.username, p.requested_day"
    " FROM pending_resets p JOIN accounts a ON a.id = p.account_id JOIN accounts r ON r.id = p.requested_by"
)


def insert_pending_reset(conn: Connection, *, account_id: int, kind: str, requested_by: int, day: str) -> bool:
    """False when the same reset of the same account is already waiting."""
    cursor = conn.execute(
        "INSERT INTO pending_resets (account_id, kind, requested_by, requested_day) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (account_id, kind) DO NOTHING",
        (account_id, kind, requested_by, day),
    )
    return bool(cursor.rowcount)


def pending_reset(conn: Connection, pending_id: int) -> PendingReset | None:
    row = conn.execute(_SELECT + " WHERE p.id = ?", (pending_id,)).fetchone()
    return None if row is None else PendingReset(*row)


def all_pending_resets(conn: Connection) -> list[PendingReset]:
    return [PendingReset(*row) for row in conn.execute(_SELECT + " ORDER BY p.id")]


def delete_pending_reset(conn: Connection, pending_id: int) -> None:
    conn.execute("DELETE FROM pending_resets WHERE id = ?", (pending_id,))
