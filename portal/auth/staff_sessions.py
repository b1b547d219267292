"""Workspace sessions: server-side, one random token per cookie (`candour_staff`).

The database keeps the token's BLAKE2b hash, the session's stage, when it started
and when it was last used (exact seconds, about staff only). A session ends when it
has been idle too long (REVIEWER_SESSION_IDLE_MINUTES), when it is older than
REVIEWER_SESSION_MAX_HOURS whatever its use, at sign-out, and when an administrator
revokes it or resets the account's password or second factor.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, current_app, g, redirect, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from portal.auth.accounts import get_account
from portal.auth.passwords import config_int
from portal.store import staff_sessions as session_rows
from portal.store.accounts import Account
from portal.store.db import Connection, get_db, transaction

COOKIE_NAME = "candour_staff"
STAGE_SECOND_FACTOR = "second_factor"
STAGE_ENROL = "enrol"
STAGE_FULL = "full"
# A half-finished sign-in (password given, code not yet) does not wait around.
PENDING_IDLE_SECONDS = 10 * 60
# The session's last-seen time is written at most this often, not on every request.
TOUCH_INTERVAL_SECONDS = 60


def _token_hash(token: str) -> bytes:
    return hashlib.blake2b(token.encode("ascii"), digest_size=32).digest()


def idle_seconds(stage: str) -> int:
    full = config_int("REVIEWER_SESSION_IDLE_MINUTES", 30) * 60
    return full if stage == STAGE_FULL else min(full, PENDING_IDLE_SECONDS)


def lifetime_seconds() -> int:
    """The absolute lifetime of a session, however busy."""
    return config_int("REVIEWER_SESSION_MAX_HOURS", 12) * 3600


def create_session(conn: Connection, account_id: int, stage: str, now: float | None = None) -> str:
    token = secrets.token_urlsafe(32)
    session_rows.insert_session(conn, _token_hash(token), account_id, stage, int(time.time() if now is None else now))
    return token


def load_session(conn: Connection, token: str, now: float | None = None) -> tuple[Account, str] | None:
    """(account, stage) for a live session token, or None. Expired sessions are deleted."""
    now = time.time() if now is None else now
    if not token or len(token) > 128:
        return None
    digest = _token_hash(token)
    row = session_rows.session_row(conn, digest)
    if row is None:
        return None
    account_id, stage, last_seen, started = row
    if now - last_seen > idle_seconds(stage) or now - started > lifetime_seconds():
        session_rows.delete_session(conn, digest)
        return None
    if now - last_seen >= TOUCH_INTERVAL_SECONDS:
        session_rows.touch_session(conn, digest, int(now))
    return get_account(conn, account_id), stage


def end_session(conn: Connection, token: str) -> None:
    session_rows.delete_session(conn, _token_hash(token))


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


def init_app(app: Flask) -> None:
    app.after_request(_apply_new_session_cookie)
    # For the workspace layout's navigation; only staff pages call it.
    app.jinja_env.globals["staff_account"] = current_account
