"""Step one of signing in: the password (Argon2id), failure counting and the locks.

Failures are counted per account (never per address: the portal keeps none), on two
counters: wrong passwords ("password") and wrong codes ("code", `portal.auth.totp`).
Each locks for a time that doubles with each failure past LOCKOUT_THRESHOLD. A count
is raised by one statement that returns the new value (`store.accounts.count_failure`),
and the lock is decided from that value inside the same transaction, so parallel
wrong guesses cannot count from a stale read.

The password lock can be set by anyone who knows a username, so it must not keep the
holder out: it stops the password *alone* from opening the account, and while it
holds every password-only attempt reads the same, right password or wrong (no guess
can be confirmed). The password together with a right code still opens the account
(`totp.check_password_and_code`). docs/threat-model.md, "Guessing and the lock", says
why and what each lock still protects.

Every refusal of a password reads the same, whether the username exists, the
password is wrong or the account is locked: a stranger cannot learn which names
exist or which accounts are locked.
"""

from __future__ import annotations

import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from portal import audit
from portal.auth.errors import SignInRefusedError
from portal.store import accounts as account_rows
from portal.store.accounts import Account
from portal.store.db import Connection, transaction

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
# No word of a lock: it is shown to everyone, for every refusal of a password.
WRONG_CREDENTIALS = (
    "The username or password is wrong. If you are sure your password is right, enter it again with the "
    "current code from your authenticator app."
)

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory defaults
# Verified against when the username does not exist, so a wrong name costs the same
# time as a wrong password and does not tell which it was.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def config_int(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except RuntimeError:  # outside an application (a script): the defaults
        return default


def lock_seconds(failed_logins: int) -> int:
    """How long an account is locked after its n-th failure in a row (0 below the threshold)."""
    threshold = config_int("LOCKOUT_THRESHOLD", 5)
    if failed_logins < threshold:
        return 0
    base = config_int("LOCKOUT_BASE_SECONDS", 60)
    ceiling = config_int("LOCKOUT_MAX_SECONDS", 3600)
    # Cap the exponent so a huge count cannot build a huge integer.
    return int(min(ceiling, base * 2 ** min(failed_logins - threshold, 32)))


def locked_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return (
        f"This account is locked after too many failed sign-ins. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}, or ask an administrator."
    )


def register_failure(conn: Connection, account: Account, now: float, reason: str, counter: str = "password") -> int:
    """Count a failure on `counter` ("password" or "code"), lock it if due, record
    it, in one transaction; returns the seconds that counter is now locked (0 if it
    is not). A failure while the counter is already locked is recorded but not counted."""
    instant = int(now)
    with transaction(conn):
        failures = account_rows.count_failure(conn, account.id, instant, counter)
        if failures is None:
            locked = max(0, account_rows.locked_until(conn, account.id, counter) - instant)
        else:
            locked = lock_seconds(failures)
            if locked:
                account_rows.set_lock(conn, account.id, instant + locked, counter)
        audit.append(
            conn,
            actor=account.actor,
            action="login_failed",
            details={
                "reason": reason,
                "failures_in_a_row": failures,
                "locked": bool(locked),
                **({"while_locked": True} if failures is None else {}),
            },
        )
    audit.anchor_head(conn, current_app.instance_path)
    return locked


def verify_quietly(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def record_refusal(conn: Connection, account: Account, reason: str) -> None:
    """Record a refusal of a right password (the lock holds), counting nothing. It
    writes as much as a counted failure does, so its timing tells a guesser nothing."""
    audit.record(
        conn,
        current_app.instance_path,
        actor=account.actor,
        action="login_failed",
        details={"reason": reason, "failures_in_a_row": None, "locked": True, "while_locked": True},
    )


def password_locked(conn: Connection, account: Account, now: float) -> bool:
    return account_rows.locked_until(conn, account.id) > now


def verify_or_refuse(conn: Connection, username: str, password: str, now: float) -> Account:
    """The account if `password` is its password; otherwise count the failure (an
    unknown name is only recorded) and raise the one message. The lock is not looked at."""
    account = account_rows.account_by_username(conn, username.strip().lower())
    if account is None:
        verify_quietly(_DUMMY_HASH, password)
        # The typed name is not recorded: people type their password into it.
        audit.record(
            conn,
            current_app.instance_path,
            actor=audit.SYSTEM,
            action="login_failed",
            details={"reason": "unknown username"},
        )
        raise SignInRefusedError(WRONG_CREDENTIALS)
    stored = account_rows.password_hash(conn, account.id)
    if not verify_quietly(stored, password):
        register_failure(conn, account, now, "password")
        raise SignInRefusedError(WRONG_CREDENTIALS)
    if _hasher.check_needs_rehash(stored):
        account_rows.rehash_password(conn, account.id, _hasher.hash(password))
    return account


def check_password(conn: Connection, username: str, password: str, now: float | None = None) -> Account:
    """Step one of signing in, the password alone. Raises `SignInRefusedError` with
    the one message for an unknown name and a wrong password, and, while the password
    lock holds, for the right password too: then only the password with a code
    (`totp.check_password_and_code`) opens the account, so no guess is confirmed."""
    now = time.time() if now is None else now
    account = verify_or_refuse(conn, username, password, now)
    if password_locked(conn, account, now):
        record_refusal(conn, account, "password alone while locked")
        raise SignInRefusedError(WRONG_CREDENTIALS)
    return account


def confirm_password(conn: Connection, account: Account, password: str, now: float | None = None) -> None:
    """A signed-in holder's current password (before changing it). Wrong ones count
    like any other; the password lock is not applied, since the session already took
    both the password and a code, and a guesser's lock must not stop the holder."""
    verify_or_refuse(conn, account.username, password, time.time() if now is None else now)
