"""Workspace accounts: reviewers (each tied to a reviewer key) and administrators.

Sign-in is a password (Argon2id) and then a TOTP code; the second factor is
required, and set up on the first sign-in from a QR code the server draws. A code is
accepted once: the last accepted 30-second step is stored and anything at or below
it is refused. Failed sign-ins are counted per account (never per address: the
portal keeps none) and lock the account for a time that doubles with each failure
past LOCKOUT_THRESHOLD.

Sessions live on the server. The cookie carries a random token; the database keeps
its BLAKE2b hash, the session's stage and when it was last used (exact seconds,
about staff only, for idle expiry). Signing out, an administrator's revocation, and
a password or second-factor reset delete the rows.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

import click
import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, Response, current_app, g, redirect, request, url_for
from flask.cli import AppGroup
from werkzeug.wrappers.response import Response as BaseResponse

from portal import audit
from portal.store.db import Connection, get_db, today, transaction

COOKIE_NAME = "candour_staff"
ROLES = ("reviewer", "admin")
STAGE_SECOND_FACTOR = "second_factor"
STAGE_ENROL = "enrol"
STAGE_FULL = "full"
# A half-finished sign-in (password given, code not yet) does not wait around.
PENDING_IDLE_SECONDS = 10 * 60
# The session's last-seen time is written at most this often, not on every request.
TOUCH_INTERVAL_SECONDS = 60
TOTP_STEP_SECONDS = 30
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
USERNAME = re.compile(r"[a-z0-9._-]{1,64}")

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory defaults
# Verified against when the username does not exist, so a wrong name costs the same
# time as a wrong password and does not tell which it was.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(Exception):
    """An account operation was refused; the message says why and what to do."""


class AccountExistsError(AccountError):
    pass


class AccountNotFoundError(AccountError):
    pass


class PasswordPolicyError(AccountError):
    pass


class SignInRefusedError(AccountError):
    """Wrong username, password or code, or a locked account."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    reviewer_id: int | None
    reviewer_key_id: str | None
    reviewer_name: str | None
    must_change_password: bool
    totp_enrolled: bool
    failed_logins: int
    locked_until: int
    created_day: str

    @property
    def actor(self) -> str:
        return audit.actor_label(self.username, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


_SELECT = (
    "SELECT a.id, a.username, a.role, a.reviewer_id, r.key_id, r.display_name, a.must_change_password,"
    " a.totp_enrolled, a.failed_logins, a.locked_until, a.created_day"
    " FROM accounts a LEFT JOIN reviewers r ON r.id = a.reviewer_id"
)


def _from_row(row: Any) -> Account:
    return Account(
        id=row[0],
        username=row[1],
        role=row[2],
        reviewer_id=row[3],
        reviewer_key_id=row[4],
        reviewer_name=row[5],
        must_change_password=bool(row[6]),
        totp_enrolled=bool(row[7]),
        failed_logins=row[8],
        locked_until=row[9],
        created_day=row[10],
    )


# --- accounts --------------------------------------------------------------------------------


def normalise_username(text: str) -> str:
    username = text.strip().lower()
    if not USERNAME.fullmatch(username):
        raise AccountError("a username is 1–64 characters: lowercase letters, digits, '.', '_' or '-'")
    return username


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordPolicyError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordPolicyError(f"a password has at most {MAX_PASSWORD_CHARS} characters")


def new_initial_password() -> str:
    """A one-time password for a new or reset account (about 120 bits)."""
    return secrets.token_urlsafe(15)


def get_account(conn: Connection, account_id: int) -> Account:
    row = conn.execute(_SELECT + " WHERE a.id = ?", (account_id,)).fetchone()
    if row is None:
        raise AccountNotFoundError(f"there is no account with id {account_id}")
    return _from_row(row)


def find_account(conn: Connection, username: str) -> Account:
    row = conn.execute(_SELECT + " WHERE a.username = ?", (username.strip().lower(),)).fetchone()
    if row is None:
        raise AccountNotFoundError(
            f"there is no account called {username!r}; `flask --app wsgi account list` shows them all"
        )
    return _from_row(row)


def list_accounts(conn: Connection) -> list[Account]:
    return [_from_row(row) for row in conn.execute(_SELECT + " ORDER BY a.role, a.username")]


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
    if conn.execute("SELECT 1 FROM accounts WHERE username = ?", (username,)).fetchone():
        raise AccountExistsError(f"an account called {username!r} already exists")
    if reviewer_id is not None:
        taken = conn.execute("SELECT username FROM accounts WHERE reviewer_id = ?", (reviewer_id,)).fetchone()
        if taken:
            raise AccountExistsError(f"that reviewer key already belongs to the account {taken[0]!r}")
    initial = None
    if password is None:
        initial = password = new_initial_password()
        must_change = 1
    else:
        check_password_policy(password)
        must_change = 0
    conn.execute(
        "INSERT INTO accounts (username, role, reviewer_id, password_hash, must_change_password, created_day)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (username, role, reviewer_id, _hasher.hash(password), must_change, today()),
    )
    return find_account(conn, username), initial


def set_password(conn: Connection, account_id: int, password: str, *, must_change: bool = False) -> None:
    """Replace the password and end every session of the account (caller's transaction)."""
    if not must_change:
        check_password_policy(password)
    conn.execute(
        "UPDATE accounts SET password_hash = ?, must_change_password = ?, failed_logins = 0, locked_until = 0"
        " WHERE id = ?",
        (_hasher.hash(password), int(must_change), account_id),
    )
    revoke_sessions(conn, account_id)


def reset_password(conn: Connection, account_id: int) -> str:
    """A new one-time password (returned) that must be changed at the next sign-in."""
    password = new_initial_password()
    set_password(conn, account_id, password, must_change=True)
    return password


def reset_second_factor(conn: Connection, account_id: int) -> None:
    """Forget the authenticator: the person sets up a new one at their next sign-in."""
    conn.execute(
        "UPDATE accounts SET totp_secret = NULL, totp_enrolled = 0, totp_last_step = 0 WHERE id = ?",
        (account_id,),
    )
    revoke_sessions(conn, account_id)


# --- passwords, lockout, codes ------------------------------------------------------------------


def _config_int(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except RuntimeError:  # outside an application (a script): the defaults
        return default


def lock_seconds(failed_logins: int) -> int:
    """How long an account is locked after its n-th failure in a row (0 below the threshold)."""
    threshold = _config_int("LOCKOUT_THRESHOLD", 5)
    if failed_logins < threshold:
        return 0
    base = _config_int("LOCKOUT_BASE_SECONDS", 60)
    ceiling = _config_int("LOCKOUT_MAX_SECONDS", 3600)
    # Cap the exponent so a huge count cannot build a huge integer.
    return int(min(ceiling, base * 2 ** min(failed_logins - threshold, 32)))


def _register_failure(conn: Connection, account: Account, now: float, reason: str) -> int:
    """Count a failure, lock if due, record it; returns the seconds locked (0 if not)."""
    failures = account.failed_logins + 1
    locked = lock_seconds(failures)
    with transaction(conn):
        conn.execute(
            "UPDATE accounts SET failed_logins = ?, locked_until = ? WHERE id = ?",
            (failures, int(now) + locked if locked else account.locked_until, account.id),
        )
        audit.append(
            conn,
            actor=account.actor,
            action="login_failed",
            details={"reason": reason, "failures_in_a_row": failures, "locked": bool(locked)},
        )
    return locked


def _locked_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return (
        f"This account is locked after too many failed sign-ins. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}, or ask an administrator."
    )


WRONG_CREDENTIALS = "The username or password is wrong."
WRONG_CODE = "That code is wrong or was already used. Wait for the next code in your app and try again."


def check_password(conn: Connection, username: str, password: str, now: float | None = None) -> Account:
    """Step one of signing in. Raises `SignInRefusedError` with the message to show."""
    now = time.time() if now is None else now
    try:
        account = find_account(conn, username)
    except AccountNotFoundError:
        _verify_quietly(_DUMMY_HASH, password)
        # The typed name is not recorded: people type their password into it.
        audit.record(
            conn,
            current_app.instance_path,
            actor=audit.SYSTEM,
            action="login_failed",
            details={"reason": "unknown username"},
        )
        raise SignInRefusedError(WRONG_CREDENTIALS) from None
    if account.locked_until > now:
        raise SignInRefusedError(_locked_message(int(account.locked_until - now)))
    stored = conn.execute("SELECT password_hash FROM accounts WHERE id = ?", (account.id,)).fetchone()[0]
    if not _verify_quietly(stored, password):
        locked = _register_failure(conn, account, now, "password")
        audit.anchor_head(conn, current_app.instance_path)
        raise SignInRefusedError(_locked_message(locked) if locked else WRONG_CREDENTIALS)
    if _hasher.check_needs_rehash(stored):
        conn.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", (_hasher.hash(password), account.id))
    return account


def _verify_quietly(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
    """Step two: the TOTP code. Consumes the code on success; raises `SignInRefusedError`."""
    now = time.time() if now is None else now
    account = get_account(conn, account.id)  # fresh counters
    if account.locked_until > now:
        raise SignInRefusedError(_locked_message(int(account.locked_until - now)))
    row = conn.execute("SELECT totp_secret, totp_last_step FROM accounts WHERE id = ?", (account.id,)).fetchone()
    secret, last_step = row[0], row[1]
    step = _matching_step(secret, code, now, last_step) if secret else None
    if step is None:
        locked = _register_failure(conn, account, now, "code")
        audit.anchor_head(conn, current_app.instance_path)
        raise SignInRefusedError(_locked_message(locked) if locked else WRONG_CODE)
    with transaction(conn):
        # The WHERE makes the check-and-consume atomic across concurrent requests.
        updated = conn.execute(
            "UPDATE accounts SET totp_last_step = ?, failed_logins = 0, locked_until = 0"
            " WHERE id = ? AND totp_last_step < ?",
            (step, account.id, step),
        ).rowcount
    if not updated:
        raise SignInRefusedError(WRONG_CODE)


def enrolment_secret(conn: Connection, account_id: int) -> str:
    """The authenticator secret being set up, made on first call and kept until enrolled."""
    with transaction(conn):
        row = conn.execute("SELECT totp_secret, totp_enrolled FROM accounts WHERE id = ?", (account_id,)).fetchone()
        if row is None:
            raise AccountNotFoundError(f"there is no account with id {account_id}")
        if row[1]:
            raise AccountError("this account already has an authenticator; an administrator can reset it")
        if row[0]:
            return str(row[0])
        secret = pyotp.random_base32()
        conn.execute("UPDATE accounts SET totp_secret = ? WHERE id = ?", (secret, account_id))
    return secret


def complete_enrolment(conn: Connection, account: Account, code: str, now: float | None = None) -> None:
    """Check the first code from the new authenticator and mark the account enrolled."""
    check_code(conn, account, code, now)
    with transaction(conn):
        conn.execute("UPDATE accounts SET totp_enrolled = 1 WHERE id = ?", (account.id,))
        audit.append(conn, actor=account.actor, action="second_factor_enrolled")


def provisioning_uri(secret: str, username: str) -> str:
    issuer = current_app.config.get("TOTP_ISSUER") or "Candour"
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=4, xmldecl=False, svgns=True)
    return buffer.getvalue()


# --- sessions ------------------------------------------------------------------------------------


def _token_hash(token: str) -> bytes:
    return hashlib.blake2b(token.encode("ascii"), digest_size=32).digest()


def idle_seconds(stage: str) -> int:
    full = _config_int("REVIEWER_SESSION_IDLE_MINUTES", 30) * 60
    return full if stage == STAGE_FULL else min(full, PENDING_IDLE_SECONDS)


def create_session(conn: Connection, account_id: int, stage: str, now: float | None = None) -> str:
    token = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO account_sessions (token_hash, account_id, stage, last_seen) VALUES (?, ?, ?, ?)",
        (_token_hash(token), account_id, stage, int(time.time() if now is None else now)),
    )
    return token


def load_session(conn: Connection, token: str, now: float | None = None) -> tuple[Account, str] | None:
    """(account, stage) for a live session token, or None. Expired sessions are deleted."""
    now = time.time() if now is None else now
    if not token or len(token) > 128:
        return None
    digest = _token_hash(token)
    row = conn.execute(
        "SELECT account_id, stage, last_seen FROM account_sessions WHERE token_hash = ?", (digest,)
    ).fetchone()
    if row is None:
        return None
    account_id, stage, last_seen = row
    if now - last_seen > idle_seconds(stage):
        conn.execute("DELETE FROM account_sessions WHERE token_hash = ?", (digest,))
        return None
    if now - last_seen >= TOUCH_INTERVAL_SECONDS:
        conn.execute("UPDATE account_sessions SET last_seen = ? WHERE token_hash = ?", (int(now), digest))
    return get_account(conn, account_id), stage


def end_session(conn: Connection, token: str) -> None:
    conn.execute("DELETE FROM account_sessions WHERE token_hash = ?", (_token_hash(token),))


def revoke_sessions(conn: Connection, account_id: int) -> int:
    """End every session of an account; returns how many there were."""
    return int(conn.execute("DELETE FROM account_sessions WHERE account_id = ?", (account_id,)).rowcount)


def purge_expired_sessions(conn: Connection, now: float | None = None) -> None:
    now = time.time() if now is None else now
    conn.execute(
        "DELETE FROM account_sessions WHERE (stage = ? AND last_seen < ?) OR (stage != ? AND last_seen < ?)",
        (STAGE_FULL, int(now) - idle_seconds(STAGE_FULL), STAGE_FULL, int(now) - idle_seconds(STAGE_ENROL)),
    )


# --- Flask glue -------------------------------------------------------------------------------------


def _cookie_secure() -> bool:
    # The same rule as the Flask session cookie (COOKIE_SECURE, "auto" = over HTTPS).
    return bool(current_app.session_interface.get_cookie_secure(current_app))


def set_session_cookie(response: BaseResponse, token: str) -> None:
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="Strict", secure=_cookie_secure(), path="/")


def clear_session_cookie(response: BaseResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Strict", secure=_cookie_secure())


def start_session(account: Account, stage: str) -> str:
    """A new session for `account`, replacing the request's session if any (a fresh
    token at every step, so a token seen before sign-in is worthless after it)."""
    conn = get_db()
    with transaction(conn):
        old = request.cookies.get(COOKIE_NAME)
        if old:
            end_session(conn, old)
        token = create_session(conn, account.id, stage)
    g.new_session_token = token
    return token


def current_session() -> tuple[Account, str] | None:
    """The request's (account, stage), loaded once per request."""
    if "staff_session" not in g:
        token = request.cookies.get(COOKIE_NAME, "")
        g.staff_session = load_session(get_db(), token) if token else None
    return cast("tuple[Account, str] | None", g.staff_session)


def current_account() -> Account | None:
    session = current_session()
    return session[0] if session and session[1] == STAGE_FULL else None


F = TypeVar("F", bound=Callable[..., Any])


def signed_in(role: str | None = None) -> Callable[[F], F]:
    """Require a fully signed-in account (of `role`, if given). Anyone else goes to
    the sign-in page; the wrong role gets 403. An account with a one-time password
    must change it before anything else."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from flask import abort

            account = current_account()
            if account is None:
                return redirect(url_for("reviewer.login"))
            if account.must_change_password and request.endpoint != "reviewer.change_password":
                return redirect(url_for("reviewer.change_password"))
            if role is not None and account.role != role:
                abort(403)
            g.account = account
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def _apply_new_session_cookie(response: Response) -> Response:
    token = g.pop("new_session_token", None)
    if token is not None:
        set_session_cookie(response, token)
    return response


# --- CLI ------------------------------------------------------------------------------------------

account_cli = AppGroup("account", help="Create and manage reviewer and administrator accounts.")


def _cli_conn() -> Connection:
    from portal.cli import _instance
    from portal.store.db import connect

    return connect(_instance())


@account_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--reviewer", "reviewer_key", help="Key id or fingerprint of the reviewer (role reviewer only).")
@click.option("--prompt-password", is_flag=True, help="Type the initial password instead of getting a one-time one.")
def account_create(username: str, role: str, reviewer_key: str | None, prompt_password: bool) -> None:
    """Create an account. Prints a one-time password unless --prompt-password."""
    from contextlib import closing

    from portal.store.reviewers import ReviewerNotFoundError, find_reviewer

    password = None
    if prompt_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with closing(_cli_conn()) as conn:
        reviewer_id = None
        if reviewer_key:
            try:
                reviewer_id = find_reviewer(conn, reviewer_key).id
            except ReviewerNotFoundError as exc:
                raise click.ClickException(str(exc)) from None
        try:
            with audit.audited_transaction(conn, _instance_path()):
                account, initial = create_account(
                    conn, username=username, role=role, reviewer_id=reviewer_id, password=password
                )
                audit.append(
                    conn,
                    actor=audit.SYSTEM,
                    action="account_created",
                    details={
                        "username": account.username,
                        "role": role,
                        "reviewer": account.reviewer_key_id,
                        "via": "command line",
                    },
                )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Created the {role} account {account.username}.")
    if initial:
        click.echo(f"One-time password (shown once; it must be changed at the first sign-in): {initial}")
    click.echo("At the first sign-in they set up an authenticator app from a QR code.")


@account_cli.command("reset-2fa")
@click.argument("username")
def account_reset_2fa(username: str) -> None:
    """Forget an account's authenticator; they set up a new one at their next sign-in."""
    from contextlib import closing

    with closing(_cli_conn()) as conn:
        try:
            account = find_account(conn, username)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        with audit.audited_transaction(conn, _instance_path()):
            reset_second_factor(conn, account.id)
            audit.append(
                conn,
                actor=audit.SYSTEM,
                action="second_factor_reset",
                details={"username": account.username, "via": "command line"},
            )
    click.echo(f"Reset the second factor of {account.username} and ended their sessions.")


@account_cli.command("reset-password")
@click.argument("username")
def account_reset_password(username: str) -> None:
    """Give an account a new one-time password (and end its sessions)."""
    from contextlib import closing

    with closing(_cli_conn()) as conn:
        try:
            account = find_account(conn, username)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        with audit.audited_transaction(conn, _instance_path()):
            password = reset_password(conn, account.id)
            audit.append(
                conn,
                actor=audit.SYSTEM,
                action="password_reset",
                details={"username": account.username, "via": "command line"},
            )
    click.echo(f"One-time password for {account.username} (shown once): {password}")


@account_cli.command("list")
def account_list() -> None:
    """List accounts: username, role, reviewer, second factor, lock."""
    from contextlib import closing

    with closing(_cli_conn()) as conn:
        accounts = list_accounts(conn)
    if not accounts:
        click.echo("No accounts yet. Create one with `flask --app wsgi account create --username U --role admin`.")
        return
    now = time.time()
    for account in accounts:
        flags = ["authenticator set up" if account.totp_enrolled else "no authenticator yet"]
        if account.must_change_password:
            flags.append("one-time password")
        if account.locked_until > now:
            flags.append("locked")
        who = f" — {account.reviewer_name} ({account.reviewer_key_id})" if account.reviewer_key_id else ""
        click.echo(f"{account.username} [{account.role}]{who}: {', '.join(flags)}")


def _instance_path() -> str:
    return str(current_app.instance_path)


def init_app(app: Flask) -> None:
    app.after_request(_apply_new_session_cookie)
    app.cli.add_command(account_cli)
    # For the workspace layout's navigation; only staff pages call it.
    app.jinja_env.globals["staff_account"] = current_account
