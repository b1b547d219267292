"""Account operations: create, reset the password, reset the second factor, revoke
sessions. Each one transaction with its audit entry (see `portal.actions`).

The entries about an account name it in `details["account"]` (its actor label), so
its holder's own view of the trail and the notice at their next sign-in find them.
"""

from __future__ import annotations

import os

from portal import audit
from portal.auth import accounts as auth_accounts
from portal.store.accounts import Account
from portal.store.db import Connection


def _details(account: Account, via: str | None, **more: object) -> dict[str, object]:
    details: dict[str, object] = {"username": account.username, "account": account.actor, **more}
    if via is not None:
        details["via"] = via
    return details


def create_account(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    *,
    username: str,
    role: str,
    reviewer_id: int | None,
    actor: str,
    password: str | None = None,
    via: str | None = None,
) -> tuple[Account, str | None]:
    """Create the account; returns it and its one-time password (None if `password` was given)."""
    with audit.audited_transaction(conn, instance_path):
        account, initial = auth_accounts.create_account(
            conn, username=username, role=role, reviewer_id=reviewer_id, password=password
        )
        audit.append(
            conn,
            actor=actor,
            action="account_created",
            details=_details(account, via, role=account.role, reviewer=account.reviewer_key_id),
        )
    return account, initial


def reset_password(
    conn: Connection, instance_path: str | os.PathLike[str], account: Account, *, actor: str, via: str | None = None
) -> str:
    """A new one-time password (returned) and every session ended."""
    with audit.audited_transaction(conn, instance_path):
        password = auth_accounts.reset_password(conn, account.id)
        audit.append(conn, actor=actor, action="password_reset", details=_details(account, via))
    return password


def reset_second_factor(
    conn: Connection, instance_path: str | os.PathLike[str], account: Account, *, actor: str, via: str | None = None
) -> None:
    """Forget the authenticator (a new one is set up at the next sign-in) and end every session."""
    with audit.audited_transaction(conn, instance_path):
        auth_accounts.reset_second_factor(conn, account.id)
        audit.append(conn, actor=actor, action="second_factor_reset", details=_details(account, via))


def revoke_sessions(
    conn: Connection, instance_path: str | os.PathLike[str], account: Account, *, actor: str, via: str | None = None
) -> int:
    """End every session of the account; returns how many there were."""
    with audit.audited_transaction(conn, instance_path):
        count = auth_accounts.revoke_sessions(conn, account.id)
        audit.append(conn, actor=actor, action="sessions_revoked", details=_details(account, via, sessions=count))
    return count
