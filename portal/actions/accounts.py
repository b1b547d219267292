"""Account operations: create, reset the password, reset the second factor, revoke
sessions. Each one transaction with its audit entry (see `portal.actions`).

The entries about an account name it in `details["account"]` (its actor label), so
its holder's own view of the trail and the notice at their next sign-in find them.
"""

from __future__ import annotations

import os

from portal import audit
from portal.actions import with_via
from portal.auth import accounts as auth_accounts
from portal.auth.errors import AccountError
from portal.auth.staff_sessions import end_session
from portal.store import accounts as account_rows
from portal.store import audit_log
from portal.store import pending_resets as pending_rows
from portal.store.accounts import Account
from portal.store.db import Connection, today


def _details(account: Account, via: str | None, **more: object) -> dict[str, object]:
    return with_via({"username": account.username, "account": account.actor, **more}, via)


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


# --- resets that need a second administrator ----------------------------------------------------

RESET_KINDS = ("password", "second_factor")


class ApprovalError(AccountError):
    """A reset approval was refused; the message says why."""


def reset_needs_approval(conn: Connection) -> bool:
    """Where two or more administrators exist, one alone cannot reset an account: a
    password reset plus a second-factor reset would let them sign in as its holder."""
    return account_rows.count_admins(conn) >= 2


def request_reset(
    conn: Connection, instance_path: str | os.PathLike[str], account: Account, kind: str, *, admin: Account
) -> None:
    """Ask for a reset that another administrator must approve (`approve_reset`)."""
    if kind not in RESET_KINDS:
        raise ApprovalError(f"a reset is of the 'password' or the 'second_factor', not {kind!r}")
    with audit.audited_transaction(conn, instance_path):
        if not pending_rows.insert_pending_reset(
            conn, account_id=account.id, kind=kind, requested_by=admin.id, day=today()
        ):
            raise ApprovalError(f"a reset of the {kind.replace('_', ' ')} of {account.username} is already waiting")
        audit.append(conn, actor=admin.actor, action="reset_requested", details=_details(account, None, kind=kind))


def approve_reset(
    conn: Connection, instance_path: str | os.PathLike[str], pending_id: int, *, admin: Account
) -> tuple[Account, str, str | None]:
    """Carry out a waiting reset as its second administrator. Returns (the account,
    the kind, the new one-time password for a password reset)."""
    with audit.audited_transaction(conn, instance_path):
        pending = pending_rows.pending_reset(conn, pending_id)
        if pending is None:
            raise ApprovalError("that reset is no longer waiting (approved, withdrawn, or the account was removed)")
        if pending.requested_by == admin.id:
            raise ApprovalError("another administrator must approve a reset you asked for")
        requester = auth_accounts.get_account(conn, pending.requested_by)
        if audit_log.creator_of(conn, admin.username) == requester.actor:
            # Otherwise one administrator could make a second admin account and approve with it.
            raise ApprovalError(
                f"an administrator whose account {requester.username} created cannot approve "
                f"{requester.username}'s reset"
            )
        account = auth_accounts.get_account(conn, pending.account_id)
        details = _details(account, None, requested_by=pending.requested_by_username, approved_by=admin.username)
        password = None
        if pending.kind == "password":
            password = auth_accounts.reset_password(conn, account.id)
            audit.append(conn, actor=admin.actor, action="password_reset", details=details)
        else:
            auth_accounts.reset_second_factor(conn, account.id)
            audit.append(conn, actor=admin.actor, action="second_factor_reset", details=details)
        pending_rows.delete_pending_reset(conn, pending_id)
    return account, pending.kind, password


def withdraw_reset(conn: Connection, instance_path: str | os.PathLike[str], pending_id: int, *, admin: Account) -> None:
    """Drop a waiting reset (any administrator may)."""
    with audit.audited_transaction(conn, instance_path):
        pending = pending_rows.pending_reset(conn, pending_id)
        if pending is None:
            raise ApprovalError("that reset is no longer waiting")
        pending_rows.delete_pending_reset(conn, pending_id)
        account = auth_accounts.get_account(conn, pending.account_id)
        audit.append(
            conn, actor=admin.actor, action="reset_withdrawn", details=_details(account, None, kind=pending.kind)
        )


# --- what the holder does to their own account --------------------------------------------------


def change_own_password(
    conn: Connection, instance_path: str | os.PathLike[str], account: Account, new_password: str
) -> None:
    """The holder's new password (the current one already checked); ends every session."""
    with audit.audited_transaction(conn, instance_path):
        auth_accounts.set_password(conn, account.id, new_password)
        audit.append(conn, actor=account.actor, action="password_changed")


def sign_out(conn: Connection, instance_path: str | os.PathLike[str], token: str, account: Account | None) -> None:
    """End one session; a fully signed-in `account` gets its `logout` entry."""
    with audit.audited_transaction(conn, instance_path):
        end_session(conn, token)
        if account is not None:
            audit.append(conn, actor=account.actor, action="logout")
