"""Step two of signing in: the authenticator app's code (TOTP), and setting one up.

The second factor is required, and set up on the first sign-in from a QR code the
server draws. A code is accepted once: the last accepted 30-second step is stored
and anything at or below it is refused. Wrong codes have their own count and lock
(`portal.auth.passwords.register_failure`, counter "code"): only someone who gave the
right password can send one, so only they can set that lock.

`check_password_and_code` takes both in one step: the way in while the password lock
holds (anyone can set that one, so it must never keep the holder out).
"""

from __future__ import annotations

import hmac
import io
import re
import time

import pyotp
import segno
from flask import current_app

from portal import audit
from portal.auth.errors import AccountError, AccountNotFoundError, SignInRefusedError
from portal.auth.passwords import (
    WRONG_CREDENTIALS,
    locked_message,
    password_locked,
    record_refusal,
    register_failure,
    verify_or_refuse,
)
from portal.store import accounts as account_rows
from portal.store.accounts import Account
from portal.store.db import Connection, transaction

TOTP_STEP_SECONDS = 30
WRONG_CODE = "That code is wrong or was already used. Wait for the next code in your app and try again."


def _matching_step(secret: str, code: str, now: float, last_step: int) -> int | None:
    # One step either side allows for a phone clock a little off; a step at or below
    # the last accepted one is refused, so no code works twice.
    code = re.sub(r"\s+", "", code)
    if not re.fullmatch(r"[0-9]{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // TOTP_STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(conn: Connection, account: Account, code: str, now: float | None = None) -> None:
    """Step two: the TOTP code. Consumes the code on success; raises `SignInRefusedError`.

    The holder has given the right password already, so the code lock is named here."""
    now = time.time() if now is None else now
    until = account_rows.locked_until(conn, account.id, "code")
    if until > now:
        raise SignInRefusedError(locked_message(int(until - now)))
    state = account_rows.totp_state(conn, account.id)
    if state is None:
        raise AccountNotFoundError(f"there is no account with id {account.id}")
    secret, last_step, _enrolled = state
    step = _matching_step(secret, code, now, last_step) if secret else None
    if step is None:
        locked = register_failure(conn, account, now, "code", counter="code")
        raise SignInRefusedError(locked_message(locked) if locked else WRONG_CODE)
    with transaction(conn):
        consumed = account_rows.consume_totp_step(conn, account.id, step, int(now))
    if not consumed:
        raise SignInRefusedError(WRONG_CODE)


def check_password_and_code(
    conn: Connection, username: str, password: str, code: str, now: float | None = None
) -> Account:
    """Signing in with the password and the code in one step. Returns the account:
    its code is checked and consumed if it has an authenticator (then it is fully
    signed in); one without an authenticator yet goes on to set one up.

    While the password lock holds this is the only way in, and it tells nothing
    unless both are right: a wrong password, a wrong code and a refused code all read
    as `WRONG_CREDENTIALS`, so neither can be confirmed alone. Wrong codes after the
    right password still count on the code counter. An account without an
    authenticator has only its password, so the lock holds for it (an administrator
    can reset the password)."""
    now = time.time() if now is None else now
    account = verify_or_refuse(conn, username, password, now)
    if not account.totp_enrolled:
        if password_locked(conn, account, now):
            record_refusal(conn, account, "password alone while locked (no authenticator yet)")
            raise SignInRefusedError(WRONG_CREDENTIALS)
        return account
    if not password_locked(conn, account, now):
        check_code(conn, account, code, now)
        return account
    if account_rows.locked_until(conn, account.id, "code") > now:
        record_refusal(conn, account, "code while the code lock holds")
        raise SignInRefusedError(WRONG_CREDENTIALS)
    try:
        check_code(conn, account, code, now)
    except SignInRefusedError:
        raise SignInRefusedError(WRONG_CREDENTIALS) from None
    return account


def enrolment_secret(conn: Connection, account_id: int) -> str:
    """The authenticator secret being set up, made on first call and kept until enrolled."""
    with transaction(conn):
        state = account_rows.totp_state(conn, account_id)
        if state is None:
            raise AccountNotFoundError(f"there is no account with id {account_id}")
        secret, _last_step, enrolled = state
        if enrolled:
            raise AccountError("this account already has an authenticator; an administrator can reset it")
        if secret:
            return secret
        secret = pyotp.random_base32()
        account_rows.set_totp_secret(conn, account_id, secret)
    return secret


def complete_enrolment(conn: Connection, account: Account, code: str, now: float | None = None) -> None:
    """Check the first code from the new authenticator and mark the account enrolled."""
    check_code(conn, account, code, now)
    with audit.audited_transaction(conn, current_app.instance_path):
        account_rows.mark_totp_enrolled(conn, account.id)
        audit.append(conn, actor=account.actor, action="second_factor_enrolled")


def provisioning_uri(secret: str, username: str) -> str:
    issuer = current_app.config.get("TOTP_ISSUER") or "Candour"
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=4, xmldecl=False, svgns=True)
    return buffer.getvalue()
