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
    row = conn.execute("SELECT address FROM account_emails WHERE account_id = ?", (account_id,)).fetchone()
    return None if row is None else str(row[0])


def account_addresses(conn: Connection) -> list[AccountAddress]:
    rows = conn.execute(
        "SELECT a.id, a.username, a.role, e.address, c.address FROM accounts a"
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
        "INSERT OR REPLACE INTO email_confirmations (account_id, token_hash, address, requested_by, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (account_id, token_hash, address, requested_by, expires_at),
    )


def find_confirmation(conn: Connection, token_hash: bytes, now: int) -> PendingConfirmation | None:
    """The unexpired confirmation with this token hash, without using it up."""
    row = conn.execute(
        "SELECT c.account_id, a.username, a.role, c.address, c.requested_by, c.expires_at FROM email_confirmations c"
        " JOIN accounts a ON a.id = c.account_id WHERE c.token_hash = ? AND c.expires_at > ?",
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
    return int(conn.execute("DELETE FROM email_confirmations WHERE expires_at <= ?", (now,)).rowcount)


def set_address(conn: Connection, account_id: int, address: str, day: str) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO account_emails (account_id, address, confirmed_day) VALUES (?, ?, ?)",
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
        "SELECT a.id, a.username, a.role, a.reviewer_id, e.address FROM accounts a"
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
class DeadlineFacts:
    """What the deadline rule needs about a case (see portal.store.cases.deadlines_from_facts)."""

    case_id: str
    reply_count: int
    reviewer_acted: bool


def deadline_candidates(conn: Connection, horizon_day: str, closed_status: str) -> list[DeadlineFacts]:
    """Cases with a deadline on or before `horizon_day` that may still be open.

    A superset filter in SQL with the rule of portal.store.cases.deadlines_from_facts
    (acknowledged: a reply or a status change by a reviewer; fed back: a reply or the
    closed status); the caller applies that function itself to decide.
    """
    rows = conn.execute(
        "WITH reply_counts AS (SELECT case_id, count(*) AS n FROM replies GROUP BY case_id),"
        " reviewer_events AS (SELECT DISTINCT case_id FROM status_events WHERE reviewer_id IS NOT NULL)"
        " SELECT c.id, coalesce(rc.n, 0), re.case_id IS NOT NULL FROM cases c"
        " LEFT JOIN reply_counts rc ON rc.case_id = c.id"
        " LEFT JOIN reviewer_events re ON re.case_id = c.id"
        " WHERE coalesce(rc.n, 0) = 0 AND ("
        "   (c.acknowledge_by IS NOT NULL AND c.acknowledge_by <= :horizon AND re.case_id IS NULL)"
        "   OR (c.feedback_by IS NOT NULL AND c.feedback_by <= :horizon AND c.status != :closed))"
        " ORDER BY c.id",
        {"horizon": horizon_day, "closed": closed_status},
    ).fetchall()
    return [DeadlineFacts(str(r[0]), int(r[1]), bool(r[2])) for r in rows]


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
    conn.execute("INSERT INTO notify_runs (slot, planned_day, deliveries) VALUES (?, ?, 0)", (slot, day))


def set_run_deliveries(conn: Connection, slot: str, deliveries: int) -> None:
    conn.execute("UPDATE notify_runs SET deliveries = ? WHERE slot = ?", (deliveries, slot))


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
    """Deliveries not yet sent (pending, or interrupted while sending), oldest first."""
    rows = conn.execute(
        "SELECT d.id, d.slot, d.account_id, a.username, a.role, d.message_id, d.subject, d.body, d.items,"
        " d.state, d.attempts, d.last_error, e.address FROM notify_deliveries d"
        " JOIN accounts a ON a.id = d.account_id LEFT JOIN account_emails e ON e.account_id = d.account_id"
        " WHERE d.state IN ('pending', 'sending') ORDER BY d.id"
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


def mark_sent(conn: Connection, delivery_id: int, day: str) -> None:
    conn.execute(
        "UPDATE notify_deliveries SET state = 'sent', sent_day = ?, last_error = NULL WHERE id = ?",
        (day, delivery_id),
    )


def mark_failed(conn: Connection, delivery_id: int, error: str) -> None:
    """Back to pending, for the next run, with what the relay said."""
    conn.execute(
        "UPDATE notify_deliveries SET state = 'pending', last_error = ? WHERE id = ?", (error[:500], delivery_id)
    )


def mark_dropped(conn: Connection, delivery_id: int, reason: str) -> None:
    conn.execute(
        "UPDATE notify_deliveries SET state = 'dropped', last_error = ? WHERE id = ?", (reason[:500], delivery_id)
    )


@dataclass(frozen=True)
class Status:
    last_slot: str | None
    confirmed_addresses: int
    pending_confirmations: int
    queued_changes: int
    open_deliveries: int
    failing_deliveries: int
    sent_deliveries: int


def status(conn: Connection) -> Status:
    row = conn.execute(
        "SELECT (SELECT max(slot) FROM notify_runs), (SELECT count(*) FROM account_emails),"
        " (SELECT count(*) FROM email_confirmations), (SELECT count(*) FROM notify_changes),"
        " (SELECT count(*) FROM notify_deliveries WHERE state IN ('pending', 'sending')),"
        " (SELECT count(*) FROM notify_deliveries WHERE state IN ('pending', 'sending') AND last_error IS NOT NULL),"
        " (SELECT count(*) FROM notify_deliveries WHERE state = 'sent')"
    ).fetchone()
    return Status(row[0], int(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]), int(row[6]))
