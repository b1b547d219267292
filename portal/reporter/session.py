"""The reporter's session after they enter their codename.

Without JavaScript the server must read replies and sign follow-ups for the reporter,
so for the length of a visit it needs the reporter's reply and signing keys (never the
codename). They travel in a cookie encrypted with a key that exists only in the
server's memory: gunicorn's master process makes it at start-up and its workers
inherit it; nothing writes it to disk. Stealing the server's disk, database or
backups gives no way to read such a cookie; restarting the server ends every session.
Sessions end when the browser closes, after SESSION_IDLE_MINUTES without a request,
REPORTER_SESSION_MAX_MINUTES after the codename was entered whatever the activity, or
at Leave: Leave records the session's random id (made at login, carried only inside
the cookie, linked to nothing) in the database, so a copy of the cookie is refused by
every worker (portal/store/reporter_sessions.py).

A reporter whose browser derived the keys itself (JavaScript and WebAssembly: the
browser path) gets a "browser" session: the case id and the login token the browser
sent, and no reply or signing key. Their keys stay in that browser tab's
sessionStorage; the server can neither read their replies nor sign for them.
"""

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask, Request, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from werkzeug.wrappers import Response

from crypto.codename import ReporterKeys
from crypto.identity import b64url, unb64url
from portal.store import cases as case_store
from portal.store.db import get_db, today
from portal.store.reporter_sessions import SESSION_ID_BYTES, revoke_session, session_revoked

COOKIE_NAME = "candour_case"
KEY_ENV = "CANDOUR_SESSION_KEY"
CONFIG_KEY = "REPORTER_SESSION_KEY"
STORAGE_KEY_BYTES = 32


@dataclass(frozen=True)
class ReporterSession:
    """`keys` is None for a browser session: the keys never left the reporter's device."""

    case_id: str
    keys: ReporterKeys | None = field(repr=False)
    login_token: bytes = field(default=b"", repr=False)
    # Made at codename login and kept for the whole session: the id Leave revokes, and
    # the start its absolute lifetime counts from (in the encrypted cookie only).
    session_id: bytes = field(default_factory=lambda: secrets.token_bytes(SESSION_ID_BYTES), repr=False)
    started: int = field(default_factory=lambda: int(time.time()))
    # A browser session only: 32 random bytes made at login that the browser wraps what
    # it keeps in sessionStorage under; the case page hands it back on each visit
    # (data-storage-key). It lives only in this encrypted cookie, so a copy of the
    # tab's storage alone opens nothing, and it is gone with the session.
    storage_key: bytes = field(default=b"", repr=False)

    @property
    def in_browser(self) -> bool:
        return self.keys is None


def new_storage_key() -> bytes:
    return secrets.token_bytes(STORAGE_KEY_BYTES)


def init_session_key(app: Flask) -> None:
    """Use the key gunicorn's master put in the environment, or make one for this process."""
    from_env = os.environ.get(KEY_ENV, "")
    try:
        key = bytes.fromhex(from_env) if from_env else secrets.token_bytes(SecretBox.KEY_SIZE)
    except ValueError:
        key = b""
    if len(key) != SecretBox.KEY_SIZE:
        raise RuntimeError(f"{KEY_ENV} must be {SecretBox.KEY_SIZE * 2} hex digits")
    app.config[CONFIG_KEY] = key


def _box() -> SecretBox:
    return SecretBox(current_app.config[CONFIG_KEY])


def _idle_seconds() -> int:
    return int(current_app.config.get("SESSION_IDLE_MINUTES", 30)) * 60


def _lifetime_seconds() -> int:
    return int(current_app.config.get("REPORTER_SESSION_MAX_MINUTES", 60)) * 60


def set_reporter_session(response: Response, session: ReporterSession) -> None:
    # The expiry lives inside the encrypted cookie, in the reporter's browser only.
    # Each visit slides the idle expiry, never past the absolute one.
    until = min(int(time.time()) + _idle_seconds(), session.started + _lifetime_seconds())
    fields: dict[str, object] = {
        "case": session.case_id,
        "until": until,
        "sid": b64url(session.session_id),
        "born": session.started,
    }
    if session.keys is None:
        fields.update(kind="browser", login=b64url(session.login_token), wrap=b64url(session.storage_key))
    else:
        fields.update(
            kind="server",
            login=b64url(session.keys.login_token),
            reply=b64url(session.keys.reply_secret_key),
            sign=b64url(session.keys.signing_seed),
        )
    payload = json.dumps(fields).encode("utf-8")
    response.set_cookie(
        COOKIE_NAME,
        b64url(bytes(_box().encrypt(payload))),
        httponly=True,
        samesite="Strict",
        secure=_cookie_secure(),
        path="/",
    )


def _cookie_secure() -> bool:
    # Same rule as the Flask session cookie (portal.security): "auto" marks it Secure
    # exactly when the request came over HTTPS, so one install serves an onion
    # address (HTTP) and TLS alike.
    setting = current_app.config.get("COOKIE_SECURE", "auto")
    if setting == "auto":
        return request.is_secure
    return bool(setting)


def renew_csrf_session() -> None:
    """Start a new Flask session (cookie SESSION_COOKIE_NAME, which holds only the
    CSRF secret) at codename login, with a new CSRF secret in it.

    Whoever could read or plant the session cookie before the login (the person at
    the same computer, a fixation through a shared link) must not hold a valid CSRF
    token for the reporter's case: the old token dies with the old secret.
    """
    session.clear()
    # generate_csrf caches the request's token in g; drop it so a new secret is made.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()


def clear_reporter_session(response: Response, *, leaving: bool = False) -> None:
    """Delete the cookie. At Leave, or when the request carried a session that has
    ended (expired, revoked, from before a restart), also tell the browser to drop
    this origin's storage: the browser path keeps the reporter's keys there."""
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Strict")
    if leaving or COOKIE_NAME in request.cookies:
        response.headers["Clear-Site-Data"] = '"storage"'


def revoke_reporter_session(session: ReporterSession) -> None:
    """Leave: revoke the session for every worker (the caller clears the cookie). The
    record lasts until the day after the session's absolute expiry (days only)."""
    expiry = datetime.fromtimestamp(session.started + _lifetime_seconds(), UTC).date() + timedelta(days=1)
    revoke_session(get_db(), session.session_id, expires_day=expiry.isoformat(), today=today())


def load_reporter_session(request: Request) -> ReporterSession | None:
    """The session in the request's cookie, or None if absent, forged, old or expired."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw or len(raw) > 4096:
        return None
    try:
        payload = json.loads(_box().decrypt(unb64url(raw)))
        now = time.time()
        started = int(payload["born"])
        if int(payload["until"]) < now or started + _lifetime_seconds() < now:
            return None
        session_id = unb64url(payload["sid"])
        if len(session_id) != SESSION_ID_BYTES:
            return None
        case_id = str(payload["case"])
        storage_key = b""
        if payload.get("kind") == "browser":
            keys = None
            login_token = unb64url(payload["login"])
            storage_key = unb64url(payload.get("wrap", ""))
        else:
            keys = ReporterKeys(
                login_token=unb64url(payload["login"]),
                reply_secret_key=unb64url(payload["reply"]),
                signing_seed=unb64url(payload["sign"]),
            )
            login_token = keys.login_token
    except (CryptoError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if session_revoked(get_db(), session_id):
        return None
    return ReporterSession(
        case_id=case_id,
        keys=keys,
        login_token=login_token,
        session_id=session_id,
        started=started,
        storage_key=storage_key,
    )


def seal_for_form(payload: dict[str, str], lifetime_seconds: int) -> str:
    """`payload` encrypted under the in-memory session key, for a hidden form field.

    Lets a page hand a secret back to the same visitor (the codename page re-shows
    the codename after a mistyped confirmation) without the server keeping it
    anywhere and without it ever being readable in the page, a cookie or a proxy.
    Useless after `lifetime_seconds` or a server restart.
    """
    sealed = dict(payload, until=str(int(time.time()) + lifetime_seconds))
    return b64url(bytes(_box().encrypt(json.dumps(sealed).encode("utf-8"))))


def open_from_form(token: str) -> dict[str, str] | None:
    """What `seal_for_form` sealed, or None if the token is forged, damaged, from
    before a restart, or expired."""
    if not token or len(token) > 8192:
        return None
    try:
        payload = json.loads(_box().decrypt(unb64url(token)))
        if not isinstance(payload, dict) or int(payload.pop("until")) < time.time():
            return None
    except (CryptoError, ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in payload.items()):
        return None
    return payload


def session_case() -> tuple[ReporterSession, case_store.CaseView] | None:
    """The current request's reporter session and its case, or None (no session, an
    ended one, or a case that no longer exists)."""
    reporter = load_reporter_session(request)
    if reporter is None:
        return None
    case = case_store.load_case_view(get_db(), reporter.case_id)
    return None if case is None else (reporter, case)
