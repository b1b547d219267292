"""Every SQL statement of the e-mail notifications (portal/notify/; migration 0004).

Staff addresses and their confirmations, the queue of submissions not yet
announced, digest runs and deliveries, reminders and escalations already made.
Nothing here holds report content or a time finer than a day about a reporter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from portal.store.db import Connection

# --- addresses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingConfirmation:
    account_id: int
    username: str
    role: str
    address: str
    requested_by: str
    expires_at: int


@dataclass(frozen=True)
class AccountAddress:
    """One staff account with its confirmed address and its pending one (either may be None)."""

    account_id: int
    username: str
    role: str
    address: str | None
    pending_address: str | None


def confirmed_address(conn: Connection, account_id: int) -> str | None:
    row = conn.execute("SELECT email FROM account_emails WHERE account_id = ?", (account_id,)).fetchone()
    return None if row is None else str(row[0])


def account_addresses(conn: Connection) -> list[AccountAddress]:
    rows = conn.execute(
        "SELECT a.id, a.username, a.role, e.email, c.email FROM accounts a"
        " LEFT JOIN account_emails e ON e.account_id = a.id"
        " LEFT JOIN email_confirmations c ON c.account_id = a.id"
        " ORDER BY a.username"
    ).fetchall()
    return [AccountAddress(int(r[0]), str(r[1]), str(r[2]), r[3], r[4]) for r in rows]


def save_confirmation(
    conn: Connection, *, account_id: int, token_hash: bytes, address: str, requested_by: str, expires_at: int
) -> None:
    """Replace the account's pending confirmation (its previous link stops working)."""
    conn.execute(
        "INSERT OR REPLACE INTO email_confirmations (account_id, token_hash, email, requested_by, expires)"
        " VALUES (?, ?, ?, ?, ?)",
        (account_id, token_hash, address, requested_by, expires_at),
    )


def find_confirmation(conn: Connection, token_hash: bytes, now: int) -> PendingConfirmation | None:
    """The unexpired confirmation with this token hash, without using it up."""
    row = conn.execute(
        "SELECT c.account_id, a.username, a.role, c.email, c.requested_by, c.expires FROM email_confirmations c"
        " JOIN accounts a ON a.id = c.account_id WHERE c.token_hash = ? AND c.expires > ?",
        (token_hash, now),
    ).fetchone()
    if row is None:
        return None
    return PendingConfirmation(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), int(row[5]))


def take_confirmation(conn: Connection, token_hash: bytes, now: int) -> PendingConfirmation | None:
    """Use up a confirmation: it is deleted whether or not it had expired, so a link
    works once at most. Call inside a transaction with whatever the confirmation does."""
    found = find_confirmation(conn, token_hash, now)
    conn.execute("DELETE FROM email_confirmations WHERE token_hash = ?", (token_hash,))
    return found


def delete_confirmation(conn: Connection, account_id: int) -> None:
    conn.execute("DELETE FROM email_confirmations WHERE account_id = ?", (account_id,))


def purge_expired_confirmations(conn: Connection, now: int) -> int:
    return int(conn.execute("DELETE FROM email_confirmations WHERE expires <= ?", (now,)).rowcount)


def set_address(conn: Connection, account_id: int, address: str, day: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO account_emails (account_id, email, confirmed_day) VALUES (?, ?, ?)",
        (account_id, address, day),
    )


def remove_address(conn: Connection, account_id: int) -> bool:
    """Forget the account's address and any pending one; True if there was either."""
    removed = conn.execute("DELETE FROM account_emails WHERE account_id = ?", (account_id,)).rowcount
    removed += conn.execute("DELETE FROM email_confirmations WHERE account_id = ?", (account_id,)).rowcount
    return removed > 0


# --- who receives digests ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    account_id: int
    username: str
    role: str
    reviewer_id: int | None
    address: str


def recipients(conn: Connection) -> list[Recipient]:
    """Accounts with a confirmed address: administrators, and reviewers whose key is
    still active (a removed reviewer receives nothing)."""
    rows = conn.execute(
        "SELECT a.id, a.username, a.role, a.reviewer_id, e.email FROM accounts a"
        " JOIN account_emails e ON e.account_id = a.id"
        " LEFT JOIN reviewers r ON r.id = a.reviewer_id"
        " WHERE a.role = 'admin' OR r.active = 1 ORDER BY a.id"
    ).fetchall()
    return [Recipient(int(r[0]), str(r[1]), str(r[2]), r[3], str(r[4])) for r in rows]


def reviewers_on_cases(conn: Connection, case_ids: Sequence[str]) -> dict[str, list[tuple[int, str, str]]]:
    """Per case, (reviewer id, display name, key id) of every reviewer it was sealed to."""
    found: dict[str, list[tuple[int, str, str]]] = {case_id: [] for case_id in case_ids}
    for start in range(0, len(case_ids), 500):
        chunk = list(case_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT cr.case_id, r.id, r.display_name, r.key_id FROM case_reviewers cr"  # noqa: S608 - placeholders
            f" JOIN reviewers r ON r.id = cr.reviewer_id WHERE cr.case_id IN ({marks}) ORDER BY r.display_name, r.id",
            chunk,
        )
        for row in rows:
            found[str(row[0])].append((int(row[1]), str(row[2]), str(row[3])))
    return found


# --- the queue of changes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    seq: int
    case_id: str
    kind: str  # 'report' | 'followup'


def pending_changes(conn: Connection) -> list[Change]:
    rows = conn.execute("SELECT seq, case_id, kind FROM notify_changes ORDER BY seq").fetchall()
    return [Change(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def forget_changes_through(conn: Connection, seq: int) -> None:
    """Drop the changes a digest has counted, so no record links a submission to a digest time."""
    conn.execute("DELETE FROM notify_changes WHERE seq <= ?", (seq,))


# --- deadlines --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineCase:
    """A case whose deadlines may need a reminder or an escalation, with what reviewers did."""

    case_id: str
    acknowledge_by: str | None
    feedback_by: str | None
    # (day, kind 'reply' | 'status', feedback reply, final status with outcome and reason)
    events: tuple[tuple[str, str, bool, bool], ...]


def deadline_candidates(conn: Connection, horizon_day: str, closed_status: str) -> list[DeadlineCase]:
    """Cases with a deadline on or before `horizon_day` that may still be open, with their events.

    The SQL is a superset filter under crypto/deadlines.py's rule, which the caller
    applies itself: acknowledgement is met by any reply or status change by a
    reviewer (so a case with one is left out for it); feedback only by a reply whose
    stored `replies.feedback` is true (set from the signed statement when the reply was
    accepted, the one truth the queue and the reporter's page read too) or closing with
    an outcome and a reason (a case with either is left out for it).
    """
    rows = conn.execute(
        "WITH acted AS (SELECT case_id FROM replies UNION"
        "   SELECT case_id FROM status_events WHERE reviewer_id IS NOT NULL),"
        " fed_back AS (SELECT case_id FROM replies WHERE feedback = 1 UNION"
        "   SELECT case_id FROM status_events WHERE reviewer_id IS NOT NULL"
        "   AND status = :closed AND outcome IS NOT NULL AND trim(coalesce(reason, '')) != '')"
        " SELECT c.id, c.acknowledge_by, c.feedback_by FROM cases c"
        " WHERE (c.acknowledge_by IS NOT NULL AND c.acknowledge_by <= :horizon"
        "        AND c.id NOT IN (SELECT case_id FROM acted))"
        "    OR (c.feedback_by IS NOT NULL AND c.feedback_by <= :horizon"
        "        AND c.id NOT IN (SELECT case_id FROM fed_back))"
        " ORDER BY c.id",
        {"horizon": horizon_day, "closed": closed_status},
    ).fetchall()
    events: dict[str, list[tuple[str, str, bool, bool]]] = {str(r[0]): [] for r in rows}
    ids = list(events)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT case_id, day, feedback FROM replies WHERE case_id IN ({marks})",  # noqa: S608 - placeholders
            chunk,
        ):
            events[str(row[0])].append((str(row[1]), "reply", bool(row[2]), False))
        for row in conn.execute(
            "SELECT case_id, day, status, outcome, reason FROM status_events"  # noqa: S608 - placeholders
            f" WHERE reviewer_id IS NOT NULL AND case_id IN ({marks})",
            chunk,
        ):
            final = row[2] == closed_status and row[3] is not None and bool((row[4] or "").strip())
            events[str(row[0])].append((str(row[1]), "status", False, final))
    return [DeadlineCase(str(r[0]), r[1], r[2], tuple(events[str(r[0])])) for r in rows]


def reminders_made(conn: Connection) -> set[tuple[str, str, str, str]]:
    """(case id, deadline, stage, due day) of every reminder already planned."""
    rows = conn.execute("SELECT case_id, deadline, stage, due_day FROM notify_reminders").fetchall()
    return {(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows}


def add_reminders(conn: Connection, reminders: Iterable[tuple[str, str, str, str]]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO notify_reminders (case_id, deadline, stage, due_day) VALUES (?, ?, ?, ?)",
        list(reminders),
    )


def escalations_made(conn: Connection) -> set[tuple[str, str, str]]:
    rows = conn.execute("SELECT case_id, deadline, due_day FROM notify_escalations").fetchall()
    return {(str(r[0]), str(r[1]), str(r[2])) for r in rows}


def add_escalations(conn: Connection, escalations: Iterable[tuple[str, str, str]]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO notify_escalations (case_id, deadline, due_day) VALUES (?, ?, ?)",
        list(escalations),
    )


# --- runs and deliveries ----------------------------------------------------------------------------


def slot_planned(conn: Connection, slot: str) -> bool:
    return conn.execute("SELECT 1 FROM notify_runs WHERE slot = ?", (slot,)).fetchone() is not None


def last_slot(conn: Connection) -> str | None:
    row = conn.execute("SELECT max(slot) FROM notify_runs").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def record_run(conn: Connection, slot: str, day: str) -> None:
    conn.execute("INSERT INTO notify_runs (slot, planned_day) VALUES (?, ?)", (slot, day))


def prune_runs(conn: Connection, before_slot: str) -> None:
    """Forget digest times before `before_slot` whose messages have all gone."""
    conn.execute(
        "DELETE FROM notify_runs WHERE slot < ? AND slot NOT IN (SELECT slot FROM notify_deliveries)", (before_slot,)
    )


def add_delivery(
    conn: Connection, *, slot: str, account_id: int, message_id: str, subject: str, body: str, items: int
) -> None:
    conn.execute(
        "INSERT INTO notify_deliveries (slot, account_id, message_id, subject, body, items, state)"
        " VALUES (?, ?, ?, ?, ?, ?, 'pending')",
        (slot, account_id, message_id, subject, body, items),
    )


@dataclass(frozen=True)
class Delivery:
    id: int
    slot: str
    account_id: int
    username: str
    role: str
    message_id: str
    subject: str
    body: str
    items: int
    state: str
    attempts: int
    last_error: str | None
    address: str | None  # the account's confirmed address now; None if it has none any more


def open_deliveries(conn: Connection) -> list[Delivery]:
    """Every delivery not yet sent (pending, or interrupted while sending), oldest first."""
    rows = conn.execute(
        "SELECT d.id, d.slot, d.account_id, a.username, a.role, d.message_id, d.subject, d.body, d.items,"
        " d.state, d.attempts, d.last_error, e.email FROM notify_deliveries d"
        " JOIN accounts a ON a.id = d.account_id LEFT JOIN account_emails e ON e.account_id = d.account_id"
        " ORDER BY d.id"
    ).fetchall()
    return [
        Delivery(
            int(r[0]),
            str(r[1]),
            int(r[2]),
            str(r[3]),
            str(r[4]),
            str(r[5]),
            str(r[6]),
            str(r[7]),
            int(r[8]),
            str(r[9]),
            int(r[10]),
            r[11],
            r[12],
        )  # fmt: skip
        for r in rows
    ]


def mark_sending(conn: Connection, delivery_id: int) -> None:
    conn.execute("UPDATE notify_deliveries SET state = 'sending', attempts = attempts + 1 WHERE id = ?", (delivery_id,))


def finish_delivery(conn: Connection, delivery_id: int) -> None:
    """The message went (or can no longer go): its row goes, text and all. Call in the
    transaction that records it in the audit trail."""
    conn.execute("DELETE FROM notify_deliveries WHERE id = ?", (delivery_id,))


def mark_failed(conn: Connection, delivery_id: int, error: str) -> None:
    """Back to pending, for the next run, with what the relay said."""
    conn.execute(
        "UPDATE notify_deliveries SET state = 'pending', last_error = ? WHERE id = ?", (error[:500], delivery_id)
    )


@dataclass(frozen=True)
class Status:
    last_slot: str | None
    confirmed_addresses: int
    pending_confirmations: int
    queued_changes: int
    open_deliveries: int
    failing_deliveries: int


def status(conn: Connection) -> Status:
    row = conn.execute(
        "SELECT (SELECT max(slot) FROM notify_runs), (SELECT count(*) FROM account_emails),"
        " (SELECT count(*) FROM email_confirmations), (SELECT count(*) FROM notify_changes),"
        " (SELECT count(*) FROM notify_deliveries),"
        " (SELECT count(*) FROM notify_deliveries WHERE last_error IS NOT NULL)"
    ).fetchone()
    return Status(row[0], int(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]))
