"""Queries on the reviewers table."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.store.db import Connection, today, transaction


class ReviewerExistsError(Exception):
    """A reviewer with that key is already active."""


class ReviewerNotFoundError(Exception):
    """No reviewer matches the key id or fingerprint given."""


@dataclass(frozen=True)
class Reviewer:
    id: int
    key_id: str
    identity: str
    fingerprint: str
    display_name: str
    role: str
    required: bool
    active: bool
    added_day: str


_SELECT_BY_KEY_ID = (
    "SELECT id, key_id, identity, fingerprint, display_name, role, required, active, added_day"
    " FROM reviewers WHERE key_id = ?"
)
_SELECT_ALL = (
    "SELECT id, key_id, identity, fingerprint, display_name, role, required, active, added_day"
    " FROM reviewers ORDER BY required DESC, display_name COLLATE NOCASE, key_id"
)


def _from_row(row: tuple) -> Reviewer:  # type: ignore[type-arg]
    return Reviewer(
        id=row[0],
        key_id=row[1],
        identity=row[2],
        fingerprint=row[3],
        display_name=row[4],
        role=row[5],
        required=bool(row[6]),
        active=bool(row[7]),
        added_day=row[8],
    )


def normalise_fingerprint(text: str) -> str:
    """Lowercase words separated by single spaces, so a fingerprint typed with
    dashes, capitals or extra spaces still matches."""
    return " ".join(re.split(r"[^0-9a-z]+", text.lower())).strip()


def add_reviewer_in_transaction(
    conn: Connection,
    *,
    key_id: str,
    identity: str,
    fingerprint: str,
    display_name: str,
    role: str,
    required: bool,
) -> Reviewer:
    """Add a reviewer, or re-activate a removed one with the same key (its past cases
    and replies point at the same row), inside the caller's transaction so its audit
    entry commits with it (portal/reviewer_admin.py). Refuses an already active key."""
    row = conn.execute(_SELECT_BY_KEY_ID, (key_id,)).fetchone()
    if row is not None and row[7]:
        raise ReviewerExistsError(
            f"a reviewer with key id {key_id} is already active "
            f"({row[4]}, {row[5]}). Remove it first to change its name or role."
        )
    return upsert_reviewer(
        conn,
        key_id=key_id,
        identity=identity,
        fingerprint=fingerprint,
        display_name=display_name,
        role=role,
        required=required,
    )


def upsert_reviewer(
    conn: Connection,
    *,
    key_id: str,
    identity: str,
    fingerprint: str,
    display_name: str,
    role: str,
    required: bool,
) -> Reviewer:
    """Inside the caller's transaction: add the reviewer, re-activate a removed one,
    or update an active one's name, role and required flag (the signed reviewer list
    does all three in one go)."""
    row = conn.execute(_SELECT_BY_KEY_ID, (key_id,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO reviewers (key_id, identity, fingerprint, display_name, role,"
            " required, active, added_day) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
            (key_id, identity, fingerprint, display_name, role, int(required), today()),
        )
    else:
        # A re-activated reviewer counts as added today; an active one keeps its day.
        conn.execute(
            "UPDATE reviewers SET identity = ?, fingerprint = ?, display_name = ?,"
            " role = ?, required = ?, added_day = CASE WHEN active = 1 THEN added_day ELSE ? END,"
            " active = 1 WHERE key_id = ?",
            (identity, fingerprint, display_name, role, int(required), today(), key_id),
        )
    return _from_row(conn.execute(_SELECT_BY_KEY_ID, (key_id,)).fetchone())


def set_required(conn: Connection, key_id: str, required: bool) -> None:
    """Mark a reviewer as receiving every report, or not (caller's transaction)."""
    conn.execute("UPDATE reviewers SET required = ? WHERE key_id = ?", (int(required), key_id))


def list_reviewers(conn: Connection, *, active_only: bool = True) -> list[Reviewer]:
    """Reviewers, required ones first, then by name."""
    reviewers = [_from_row(row) for row in conn.execute(_SELECT_ALL).fetchall()]
    return [reviewer for reviewer in reviewers if reviewer.active or not active_only]


def find_reviewer(conn: Connection, key_id_or_fingerprint: str) -> Reviewer:
    """The reviewer whose key id (16 hex) or fingerprint matches, active or not."""
    wanted = key_id_or_fingerprint.strip().lower()
    row = conn.execute(_SELECT_BY_KEY_ID, (wanted,)).fetchone()
    if row is not None:
        return _from_row(row)
    wanted_fingerprint = normalise_fingerprint(key_id_or_fingerprint)
    for reviewer in list_reviewers(conn, active_only=False):
        if wanted_fingerprint and normalise_fingerprint(reviewer.fingerprint) == wanted_fingerprint:
            return reviewer
    raise ReviewerNotFoundError(
        f"no reviewer has key id or fingerprint {key_id_or_fingerprint!r}; "
        "`flask --app wsgi reviewer list` shows them all"
    )


def deactivate_reviewer(conn: Connection, key_id_or_fingerprint: str) -> Reviewer:
    """Stop offering a reviewer to reporters. The row stays: existing cases,
    replies and the audit trail still name them."""
    reviewer = find_reviewer(conn, key_id_or_fingerprint)
    if not reviewer.active:
        raise ReviewerNotFoundError(f"{reviewer.display_name} ({reviewer.key_id}) was already removed")
    with transaction(conn):
        conn.execute("UPDATE reviewers SET active = 0 WHERE id = ?", (reviewer.id,))
    return find_reviewer(conn, reviewer.key_id)
