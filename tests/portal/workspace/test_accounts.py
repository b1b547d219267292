"""Workspace accounts: Argon2id passwords, TOTP enrolment and codes, lockout, sessions."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.support.workspace_support import (
    STRONG_PASSWORD,
    cli,
    create_account,
    csrf_token,
    next_code,
    sign_in,
    sign_in_first_time,
)

from portal import auth as accounts
from portal import create_app
from portal.store import db


@pytest.fixture
def reviewer_identity(instance_dir: Path, add_reviewer: Callable[..., Any]) -> Any:
    return add_reviewer(instance_dir, "Alice", "Case handler")


def _row(instance: Path, username: str) -> Any:
    with closing(db.connect(instance)) as conn:
        return conn.execute(
            "SELECT password_hash, totp_secret, totp_last_step, failed_logins, locked_until FROM accounts"
            " WHERE username = ?",
            (username,),
        ).fetchone()


def test_passwords_are_argon2id_and_the_one_time_password_must_change(
    app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    one_time = create_account(instance_dir, "alice", "reviewer", reviewer_identity)
    stored = _row(instance_dir, "alice")[0]
    assert stored.startswith("$argon2id$") and one_time not in stored
    signed = sign_in_first_time(app, "alice", one_time)
    assert signed.client.get("/review/").status_code == 200
    # The one-time password no longer works; the chosen one does.
    client = app.test_client()
    response = client.post(
        "/review/login",
        data={"csrf_token": csrf_token(client, "/review/login"), "username": "alice", "password": one_time},
    )
    assert response.status_code == 401
    assert "username or password is wrong" in response.get_data(as_text=True)


def test_enrolment_shows_a_same_origin_svg_qr_code_and_the_secret(
    app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    one_time = create_account(instance_dir, "alice", "reviewer", reviewer_identity)
    client = app.test_client()
    client.post(
        "/review/login",
        data={"csrf_token": csrf_token(client, "/review/login"), "username": "alice", "password": one_time},
    )
    page = client.get("/review/enrol").get_data(as_text=True)
    assert '<img src="/review/enrol/qr.svg"' in page
    assert "<script" not in page
    qr = client.get("/review/enrol/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert b"<svg" in qr.data and b"<script" not in qr.data
    # The queue is not reachable half-way through signing in.
    assert client.get("/review/").status_code == 302
    # Without a session the QR code is not served.
    assert app.test_client().get("/review/enrol/qr.svg").status_code == 302


def test_a_code_works_once_and_a_wrong_code_is_refused(app: Flask, instance_dir: Path, reviewer_identity: Any) -> None:
    signed = sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", reviewer_identity))
    used_step = _row(instance_dir, "alice")[2]
    assert used_step > 0
    # The code of the step just used (by enrolment) is refused: no code works twice.
    client = app.test_client()
    client.post(
        "/review/login",
        data={"csrf_token": csrf_token(client, "/review/login"), "username": "alice", "password": STRONG_PASSWORD},
    )
    token = csrf_token(client, "/review/login/code")
    reused = client.post("/review/login/code", data={"csrf_token": token, "code": signed.totp.at(used_step * 30)})
    assert reused.status_code == 401 and "already used" in reused.get_data(as_text=True)
    wrong = client.post("/review/login/code", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 401
    fresh = client.post(
        "/review/login/code", data={"csrf_token": token, "code": next_code(signed.totp, used_step * 30)}
    )
    assert fresh.status_code == 302
    assert client.get("/review/").status_code == 200


def test_check_code_refuses_an_earlier_step_than_the_last_accepted(
    app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    create_account(instance_dir, "alice", "reviewer", reviewer_identity)
    now = time.time()
    with app.test_request_context(), closing(db.connect(instance_dir)) as conn:
        account = accounts.find_account(conn, "alice")
        secret = accounts.enrolment_secret(conn, account.id)
        totp = pyotp.TOTP(secret)
        accounts.check_code(conn, account, totp.at(now), now)
        with pytest.raises(accounts.SignInRefusedError):
            accounts.check_code(conn, account, totp.at(now), now)  # the same code again
        with pytest.raises(accounts.SignInRefusedError):
            accounts.check_code(conn, account, totp.at(now - 30), now)  # the previous step
        accounts.check_code(conn, account, totp.at(now + 30), now)  # the next step is fine


def test_failed_sign_ins_lock_the_account_and_the_lock_doubles(
    app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    password = create_account(instance_dir, "alice", "reviewer", reviewer_identity)
    client = app.test_client()
    token = csrf_token(client, "/review/login")
    for attempt in range(1, 6):
        response = client.post(
            "/review/login", data={"csrf_token": token, "username": "alice", "password": f"wrong {attempt}"}
        )
        assert response.status_code == 401
    # A wrong password reads the same, locked or not: a stranger learns nothing.
    text = response.get_data(as_text=True)
    assert "username or password is wrong" in text and "locked" not in text
    _hash, _secret, _step, failures, locked_until = _row(instance_dir, "alice")
    assert failures == 5 and 55 <= locked_until - time.time() <= 61
    with app.test_request_context(), closing(db.connect(instance_dir)) as conn:
        # While locked a wrong password is not counted and says nothing of the lock ...
        with pytest.raises(accounts.SignInRefusedError, match="username or password is wrong"):
            accounts.check_password(conn, "alice", "anything")
        assert _row(instance_dir, "alice")[3] == 5
        # ... and the right one alone reads the same: a guess cannot be confirmed
        # while the lock holds (the password with a code still opens the account:
        # tests/portal/workspace/test_lockout_race.py).
        with pytest.raises(accounts.SignInRefusedError, match="username or password is wrong") as refused:
            accounts.check_password(conn, "alice", password)
        assert "locked" not in str(refused.value)
        assert _row(instance_dir, "alice")[3] == 5
        # After the lock the next failure doubles it.
        later = locked_until + 1
        with pytest.raises(accounts.SignInRefusedError, match="username or password is wrong"):
            accounts.check_password(conn, "alice", "wrong again", now=later)
        assert _row(instance_dir, "alice")[4] == later + 120
        assert accounts.lock_seconds(4) == 0 and accounts.lock_seconds(5) == 60 and accounts.lock_seconds(99) == 3600


def test_unknown_username_gives_the_same_answer_and_is_not_recorded(app: Flask, instance_dir: Path) -> None:
    client = app.test_client()
    response = client.post(
        "/review/login",
        data={"csrf_token": csrf_token(client, "/review/login"), "username": "my secret password", "password": "x"},
    )
    assert response.status_code == 401 and "username or password is wrong" in response.get_data(as_text=True)
    with closing(db.connect(instance_dir)) as conn:
        rows = conn.execute("SELECT actor, details FROM audit_log WHERE action = 'login_failed'").fetchall()
    assert rows and all("secret" not in row[0] + row[1] for row in rows)


def test_sessions_expire_when_idle_and_are_stored_hashed(
    app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    signed = sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", reviewer_identity))
    cookie = signed.client.get_cookie(accounts.COOKIE_NAME)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    with closing(db.connect(instance_dir)) as conn:
        stored = [bytes(row[0]) for row in conn.execute("SELECT token_hash FROM account_sessions")]
        assert cookie.value.encode() not in stored and len(stored) == 1
        idle = app.config["REVIEWER_SESSION_IDLE_MINUTES"] * 60
        conn.execute("UPDATE account_sessions SET last_seen = ?", (int(time.time()) - idle - 1,))
    assert signed.client.get("/review/").status_code == 302
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM account_sessions").fetchone()[0] == 0


def test_a_busy_session_still_ends_after_its_absolute_lifetime(
    app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    assert app.config["REVIEWER_SESSION_MAX_HOURS"] == 12
    signed = sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", reviewer_identity))
    assert signed.client.get("/review/").status_code == 200
    lifetime = app.config["REVIEWER_SESSION_MAX_HOURS"] * 3600
    with closing(db.connect(instance_dir)) as conn:
        # Used a moment ago, but started longer ago than the lifetime.
        conn.execute(
            "UPDATE account_sessions SET started = ?, last_seen = ?",
            (int(time.time()) - lifetime - 1, int(time.time())),
        )
    assert signed.client.get("/review/").status_code == 302
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM account_sessions").fetchone()[0] == 0


def test_idle_minutes_are_configurable(instance_dir: Path, reviewer_identity: Any) -> None:
    app = create_app(str(instance_dir), overrides={"TESTING": True, "REVIEWER_SESSION_IDLE_MINUTES": 1})
    signed = sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", reviewer_identity))
    with closing(db.connect(instance_dir)) as conn:
        conn.execute("UPDATE account_sessions SET last_seen = ?", (int(time.time()) - 61,))
    assert signed.client.get("/review/").status_code == 302


def test_logout_admin_revocation_and_second_factor_reset_end_sessions(
    app: Flask, instance_dir: Path, reviewer_identity: Any, add_reviewer: Callable[..., Any]
) -> None:
    signed = sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", reviewer_identity))
    second = sign_in(app, "alice", STRONG_PASSWORD, signed.totp, next_code(signed.totp, time.time()))
    # Logout ends only this session.
    signed.client.post("/review/logout", data={"csrf_token": csrf_token(signed.client, "/review/")})
    assert signed.client.get("/review/").status_code == 302
    assert second.get("/review/").status_code == 200
    # Resetting the second factor ends the others and sends the next sign-in to enrolment.
    cli(instance_dir, "account", "reset-2fa", "alice")
    assert second.get("/review/").status_code == 302
    assert _row(instance_dir, "alice")[1] is None
    client = app.test_client()
    response = client.post(
        "/review/login",
        data={"csrf_token": csrf_token(client, "/review/login"), "username": "alice", "password": STRONG_PASSWORD},
    )
    assert response.headers["Location"].endswith("/review/enrol")

    # An administrator ends every session of an account.
    bob = sign_in_first_time(
        app, "bob", create_account(instance_dir, "bob", "reviewer", add_reviewer(instance_dir, "Bob", "Adviser"))
    )
    admin = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin"))
    token = csrf_token(admin.client, "/admin/accounts")
    response = admin.client.post(
        f"/admin/accounts/{_account_id(instance_dir, 'bob')}/revoke-sessions", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert bob.client.get("/review/").status_code == 302
    assert admin.client.get("/admin/").status_code == 200
    with closing(db.connect(instance_dir)) as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    for action in ("login", "logout", "second_factor_reset", "sessions_revoked", "second_factor_enrolled"):
        assert action in actions


def test_roles_keep_to_their_pages(app: Flask, instance_dir: Path, reviewer_identity: Any) -> None:
    reviewer = sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", reviewer_identity))
    admin = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin"))
    assert reviewer.client.get("/admin/").status_code == 403
    assert reviewer.client.get("/admin/accounts").status_code == 403
    assert admin.client.get("/review/").status_code == 403
    assert (
        admin.client.post("/review/export", data={"csrf_token": csrf_token(admin.client, "/admin/")}).status_code == 403
    )
    assert admin.client.get("/admin/").status_code == 200


def test_account_cli_refuses_mismatched_roles_and_lists(instance_dir: Path, reviewer_identity: Any) -> None:
    runner = create_app(str(instance_dir)).test_cli_runner()
    result = runner.invoke(args=["account", "create", "--username", "bob", "--role", "reviewer"])
    assert result.exit_code != 0 and "--reviewer" in result.output
    result = runner.invoke(args=["account", "create", "--username", "Bad Name!", "--role", "admin"])
    assert result.exit_code != 0 and "username" in result.output
    create_account(instance_dir, "alice", "reviewer", reviewer_identity)
    result = runner.invoke(
        args=[
            "account",
            "create",
            "--username",
            "alice2",
            "--role",
            "reviewer",
            "--reviewer",
            reviewer_identity.key_id.hex(),
        ]
    )
    assert result.exit_code != 0 and "already belongs" in result.output
    listing = cli(instance_dir, "account", "list")
    assert "alice [reviewer] — Alice" in listing and "no authenticator yet" in listing


def _account_id(instance: Path, username: str) -> int:
    with closing(db.connect(instance)) as conn:
        return int(conn.execute("SELECT id FROM accounts WHERE username = ?", (username,)).fetchone()[0])


def test_one_time_passwords_are_eight_words_from_the_codename_list(instance_dir: Path, reviewer_identity: Any) -> None:
    # Easy to read out by phone: words, not "-_BGCbdH5Wvn2-_nbgyJ".
    from crypto.wordlist import words

    vocabulary = set(words())
    made = create_account(instance_dir, "alice", "reviewer", reviewer_identity)
    reset = cli(instance_dir, "account", "reset-password", "alice").rsplit(": ", 1)[1].strip()
    for one_time in (made, reset):
        parts = one_time.split("-")
        assert len(parts) == 8 and all(part in vocabulary for part in parts), one_time
    assert made != reset
