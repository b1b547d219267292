"""The accounts table: workspace accounts (reviewers and administrators), their
password hashes, authenticator state and failed sign-in counters (wrong passwords
and wrong codes, each with its lock).

Times here are exact Unix seconds: lockouts need them, and they are about staff,
never about reporters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.store.audit_log import actor_label
from portal.store.db import Connection


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    reviewer_id: int | None
    reviewer_key_id: str | None
    reviewer_name: str | None
    must_change_password: bool
    totp_enrolled: bool
    failed_logins: int
    locked_until: int
    created_day: str
    codes_locked_until: int

    @property
    def actor(self) -> str:
        return actor_label(self.username, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


_SELECT = (
    "SELECT a.id, a.username, a.role, a.reviewer_id, r.key_id, r.display_name, a.must_change_password,"
    " a.totp_enrolled, a.failed_logins, a.locked_until, a.created_day, a.codes_locked_until"
    " FROM accounts a LEFT JOIN reviewers r ON r.id = a.reviewer_id"
)


def _from_row(row: Any) -> Account:
    return Account(
        id=row[0],
        username=row[1],
        role=row[2],
        reviewer_id=row[3],
        reviewer_key_id=row[4],
        reviewer_name=row[5],
        must_change_password=bool(row[6]),
        totp_enrolled=bool(row[7]),
        failed_logins=row[8],
        locked_until=row[9],
        created_day=row[10],
        codes_locked_until=row[11],
    )


def account_by_id(conn: Connection, account_id: int) -> Account | None:
    row = conn.execute(_SELECT + " WHERE a.id = ?", (account_id,)).fetchone()
    return None if row is None else _from_row(row)


def account_by_username(conn: Connection, username: str) -> Account | None:
    row = conn.execute(_SELECT + " WHERE a.username = ?", (username,)).fetchone()
    return None if row is None else _from_row(row)


def all_accounts(conn: Connection) -> list[Account]:
    return [_from_row(row) for row in conn.execute(_SELECT + " ORDER BY a.role, a.username")]


def count_admins(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM accounts WHERE role = 'admin'").fetchone()[0])


def username_of_reviewer(conn: Connection, reviewer_id: int) -> str | None:
    """The username of the account tied to a reviewer key, if any."""
    row = conn.execute("SELECT username FROM accounts WHERE reviewer_id = ?", (reviewer_id,)).fetchone()
    return None if row is None else str(row[0])


def insert_account(
    conn: Connection,
    *,
    username: str,
    role: str,
    reviewer_id: int | None,
    password_hash: str,
    must_change_password: bool,
    created_day: str,
) -> None:
    conn.execute(
        "INSERT INTO accounts (username, role, reviewer_id, password_hash, must_change_password, created_day)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (username, role, reviewer_id, password_hash, int(must_change_password), created_day),
    )


def password_hash(conn: Connection, account_id: int) -> str:
    return str(conn.execute("SELECT password_hash FROM accounts WHERE id = ?", (account_id,)).fetchone()[0])


def replace_password_hash(conn: Connection, account_id: int, new_hash: str, *, must_change: bool) -> None:
    """A new password: also clears both failure counts and their locks (a code
    guesser needed the old password)."""
    conn.execute(
        "UPDATE accounts SET password_hash = ?, must_change_password = ?, failed_logins = 0, locked_until = 0,"
        " failed_codes = 0, codes_locked_until = 0 WHERE id = ?",
        (new_hash, int(must_change), account_id),
    )


def rehash_password(conn: Connection, account_id: int, new_hash: str) -> None:
    """The same password under newer hashing parameters."""
    conn.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", (new_hash, account_id))


# Two counters, each with its lock (docs/threat-model.md, "Guessing and the lock"):
# "password" (failed_logins, locked_until) counts wrong passwords, which anyone who
# knows a username can send; "code" (failed_codes, codes_locked_until) counts wrong
# codes, which only someone who gave the right password can send.
_COUNTERS = {"password": ("failed_logins", "locked_until"), "code": ("failed_codes", "codes_locked_until")}


def count_failure(conn: Connection, account_id: int, now: int, counter: str = "password") -> int | None:
    """Add one to the account's failures in a row on `counter` ("password" or "code")
    and return the new count, in one statement, so concurrent failures can never count
    from the same stale value.

    Nothing is counted while that counter's lock holds (its lock time after `now`):
    then None. Run it inside the transaction that decides the lock (`set_lock`), so
    the lock follows from exactly this count.
    """
    count, until = _COUNTERS[counter]
    row = conn.execute(
        f"UPDATE accounts SET {count} = {count} + 1 WHERE id = ? AND {until} <= ? RETURNING {count}",  # noqa: S608 - names from _COUNTERS
        (account_id, now),
    ).fetchone()
    return None if row is None else int(row[0])


def set_lock(conn: Connection, account_id: int, locked_until: int, counter: str = "password") -> None:
    until = _COUNTERS[counter][1]
    conn.execute(f"UPDATE accounts SET {until} = ? WHERE id = ?", (locked_until, account_id))  # noqa: S608


def locked_until(conn: Connection, account_id: int, counter: str = "password") -> int:
    until = _COUNTERS[counter][1]
    return int(conn.execute(f"SELECT {until} FROM accounts WHERE id = ?", (account_id,)).fetchone()[0])  # noqa: S608


def totp_state(conn: Connection, account_id: int) -> tuple[str | None, int, bool] | None:
    """(secret or None, last accepted step, enrolled) or None for no such account."""
    row = conn.execute(
        "SELECT totp_secret, totp_last_step, totp_enrolled FROM accounts WHERE id = ?", (account_id,)
    ).fetchone()
    return None if row is None else (row[0], int(row[1]), bool(row[2]))


def set_totp_secret(conn: Connection, account_id: int, secret: str) -> None:
    conn.execute("UPDATE accounts SET totp_secret = ? WHERE id = ?", (secret, account_id))


def mark_totp_enrolled(conn: Connection, account_id: int) -> None:
    conn.execute("UPDATE accounts SET totp_enrolled = 1 WHERE id = ?", (account_id,))


def clear_second_factor(conn: Connection, account_id: int) -> None:
    conn.execute(
        "UPDATE accounts SET totp_secret = NULL, totp_enrolled = 0, totp_last_step = 0, failed_codes = 0,"
        " codes_locked_until = 0 WHERE id = ?",
        (account_id,),
    )


def consume_totp_step(conn: Connection, account_id: int, step: int, now: int) -> bool:
    """Record `step` as used and clear the failures, only if it is newer than the
    last used one (the WHERE makes check-and-consume one atomic statement).

    The code counter is cleared; the password counter only when its lock is not
    holding: the holder signing in during a guessing attack does not hand the
    guesser a fresh start (the next guess after the lock still doubles it)."""
    updated = conn.execute(
        "UPDATE accounts SET totp_last_step = ?, failed_codes = 0, codes_locked_until = 0,"
        " failed_logins = CASE WHEN locked_until <= ? THEN 0 ELSE failed_logins END,"
        " locked_until = CASE WHEN locked_until <= ? THEN 0 ELSE locked_until END"
        " WHERE id = ? AND totp_last_step < ?",
        (step, now, now, account_id, step),
    ).rowcount
    return bool(updated)


def notices_seen_seq(conn: Connection, account_id: int) -> int:
    """The newest audit entry about the account its holder has been shown."""
    return int(conn.execute("SELECT notices_seen_seq FROM accounts WHERE id = ?", (account_id,)).fetchone()[0])


def set_notices_seen_seq(conn: Connection, account_id: int, seq: int) -> None:
    conn.execute(
        "UPDATE accounts SET notices_seen_seq = max(notices_seen_seq, ?) WHERE id = ?",
        (seq, account_id),
    )
