"""What was done to an account by someone else, told to its holder.

Every reset of a password or second factor and every revocation of sessions is
shown to the account's holder at their next full sign-in ("Your second factor was
reset by root (admin) on 2026-12-01"), once, and stays in their own view of the
audit trail (`/review/activity`). The audit trail is the source: the entries name
the account in `details["account"]` (`portal.actions.accounts`), and the account
keeps the newest entry it has been shown.
"""

from __future__ import annotations

from portal import audit
from portal.audit import AuditEntry
from portal.store import accounts as account_rows
from portal.store import audit_log
from portal.store.accounts import Account
from portal.store.db import Connection, transaction

NOTICE_ACTIONS = ("password_reset", "second_factor_reset", "sessions_revoked")


def unseen_notices(conn: Connection, account: Account) -> list[AuditEntry]:
    """Resets and revocations of this account not yet shown to its holder, oldest first."""
    seen = account_rows.notices_seen_seq(conn, account.id)
    rows = audit_log.rows_done_to_account(conn, account.actor, NOTICE_ACTIONS, seen)
    return [audit.entry_from_row(row) for row in rows]


def mark_shown(conn: Connection, account: Account, entries: list[AuditEntry]) -> None:
    if entries:
        with transaction(conn):
            account_rows.set_notices_seen_seq(conn, account.id, max(entry.seq for entry in entries))
