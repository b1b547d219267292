"""The reviewers table: the people (their public keys) who receive reports."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from crypto.identity import parse_public_identity
from portal.store.db import Connection, today
from portal.store.instance_meta import LIST_JSON, get_meta


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
    entry commits with it (`portal.actions.reviewers.add_reviewer`). Refuses an
    already active key."""
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
        "`.venv/bin/flask --app wsgi reviewer list` shows them all"
    )


def deactivate_reviewer(conn: Connection, key_id_or_fingerprint: str) -> Reviewer:
    """Stop offering a reviewer to reporters, inside the caller's transaction. The
    row stays: existing cases, replies and the audit trail still name them."""
    reviewer = find_reviewer(conn, key_id_or_fingerprint)
    if not reviewer.active:
        raise ReviewerNotFoundError(f"{reviewer.display_name} ({reviewer.key_id}) was already removed")
    deactivate_reviewer_by_id(conn, reviewer.id)
    return find_reviewer(conn, reviewer.key_id)


def deactivate_reviewer_by_id(conn: Connection, reviewer_id: int) -> None:
    conn.execute("UPDATE reviewers SET active = 0 WHERE id = ?", (reviewer_id,))


def reviewer_identities_by_id(conn: Connection, ids: set[int]) -> dict[int, Reviewer]:
    """The reviewers with these row ids, active or not."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        "SELECT id, key_id, identity, fingerprint, display_name, role, required, active, added_day"  # noqa: S608
        f" FROM reviewers WHERE id IN ({marks})",
        sorted(ids),
    ).fetchall()
    return {row[0]: _from_row(row) for row in rows}


def signed_list_key_ids(conn: Connection) -> set[str] | None:
    """The key ids (hex) on the loaded organisation-signed list, or None when no
    list is loaded. The list was verified when it was loaded (`portal.actions.
    reviewers.load_signed_list`); here its body is only read back."""
    text = get_meta(conn, LIST_JSON)
    if text is None:
        return None
    encoded = json.loads(text)["body"]
    body = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return {parse_public_identity(str(entry["identity"])).key_id.hex() for entry in body["reviewers"]}


def offered_reviewers(conn: Connection, *, org_key_configured: bool) -> list[Reviewer]:
    """The reviewers a reporter may choose (and whose keys a report is sealed to).

    Without an organisation key: every active reviewer. With one: only the active
    reviewers on the loaded signed list, because a reporter's browser refuses to
    seal to anyone else; a reviewer added since is offered once a new list that
    names them is loaded (`flask reviewer load-list`).
    """
    active = list_reviewers(conn)
    if not org_key_configured:
        return active
    listed = signed_list_key_ids(conn) or set()
    return [reviewer for reviewer in active if reviewer.key_id in listed]


def unlisted_reviewers(conn: Connection) -> list[Reviewer]:
    """Active reviewers missing from the loaded signed list (all of them if none is
    loaded): with an organisation key configured, reporters are not offered these."""
    listed = signed_list_key_ids(conn) or set()
    return [reviewer for reviewer in list_reviewers(conn) if reviewer.key_id not in listed]
