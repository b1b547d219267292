"""Workspace accounts: reviewers (each tied to a reviewer key) and administrators.

Creating an account and replacing its password or second factor, each inside the
caller's transaction (`portal.actions.accounts` wraps them with their audit entry).
"""

from __future__ import annotations

import re
import secrets

from crypto.wordlist import words
from portal.auth import passwords
from portal.auth.errors import AccountError, AccountExistsError, AccountNotFoundError, PasswordPolicyError
from portal.store import accounts as account_rows
from portal.store import staff_sessions
from portal.store.accounts import Account
from portal.store.db import Connection, today

ROLES = ("reviewer", "admin")
USERNAME = re.compile(r"[a-z0-9._-]{1,64}")
# Eight words of 11 bits: 88 bits, easy to read out by phone, changed at first use.
ONE_TIME_PASSWORD_WORDS = 8


def normalise_username(text: str) -> str:
    username = text.strip().lower()
    if not USERNAME.fullmatch(username):
        raise AccountError("a username is 1–64 characters: lowercase letters, digits, '.', '_' or '-'")
    return username


def check_password_policy(password: str) -> None:
    if len(password) < passwords.MIN_PASSWORD_CHARS:
        raise PasswordPolicyError(f"a password needs at least {passwords.MIN_PASSWORD_CHARS} characters")
    if len(password) > passwords.MAX_PASSWORD_CHARS:
        raise PasswordPolicyError(f"a password has at most {passwords.MAX_PASSWORD_CHARS} characters")


def new_initial_password() -> str:
    """A one-time password for a new or reset account: words from the codename word
    list joined by hyphens, so it can be read out and typed without mistakes."""
    vocabulary = words()
    return "-".join(secrets.choice(vocabulary) for _ in range(ONE_TIME_PASSWORD_WORDS))


def get_account(conn: Connection, account_id: int) -> Account:
    account = account_rows.account_by_id(conn, account_id)
    if account is None:
        raise AccountNotFoundError(f"there is no account with id {account_id}")
    return account


def find_account(conn: Connection, username: str) -> Account:
    account = account_rows.account_by_username(conn, username.strip().lower())
    if account is None:
        raise AccountNotFoundError(
            f"there is no account called {username!r}; `.venv/bin/flask --app wsgi account list` shows them all"
        )
    return account


def list_accounts(conn: Connection) -> list[Account]:
    return account_rows.all_accounts(conn)


def create_account(
    conn: Connection,
    *,
    username: str,
    role: str,
    reviewer_id: int | None,
    password: str | None = None,
) -> tuple[Account, str | None]:
    """Create an account inside the caller's transaction.

    Without `password` a one-time password is made, returned, and must be changed at
    the first sign-in. Returns (account, the one-time password or None).
    """
    username = normalise_username(username)
    if role not in ROLES:
        raise AccountError(f"a role is 'reviewer' or 'admin', not {role!r}")
    if (role == "reviewer") != (reviewer_id is not None):
        raise AccountError("a reviewer account needs the reviewer's key (--reviewer KEY_ID); an admin account has none")
    if account_rows.account_by_username(conn, username) is not None:
        raise AccountExistsError(f"an account called {username!r} already exists")
    if reviewer_id is not None:
        taken = account_rows.username_of_reviewer(conn, reviewer_id)
        if taken:
            raise AccountExistsError(f"that reviewer key already belongs to the account {taken!r}")
    initial = None
    if password is None:
        initial = password = new_initial_password()
        must_change = True
    else:
        check_password_policy(password)
        must_change = False
    account_rows.insert_account(
        conn,
        username=username,
        role=role,
        reviewer_id=reviewer_id,
        password_hash=passwords.hash_password(password),
        must_change_password=must_change,
        created_day=today(),
    )
    return find_account(conn, username), initial


def set_password(conn: Connection, account_id: int, password: str, *, must_change: bool = False) -> None:
    """Replace the password and end every session of the account (caller's transaction)."""
    if not must_change:
        check_password_policy(password)
    account_rows.replace_password_hash(conn, account_id, passwords.hash_password(password), must_change=must_change)
    staff_sessions.delete_sessions_of(conn, account_id)


def reset_password(conn: Connection, account_id: int) -> str:
    """A new one-time password (returned) that must be changed at the next sign-in."""
    password = new_initial_password()
    set_password(conn, account_id, password, must_change=True)
    return password


def reset_second_factor(conn: Connection, account_id: int) -> None:
    """Forget the authenticator: the person sets up a new one at their next sign-in."""
    account_rows.clear_second_factor(conn, account_id)
    staff_sessions.delete_sessions_of(conn, account_id)


def revoke_sessions(conn: Connection, account_id: int) -> int:
    """End every session of an account; returns how many there were."""
    return staff_sessions.delete_sessions_of(conn, account_id)
