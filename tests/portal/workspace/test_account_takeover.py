"""No silent takeover of an account (issue 14 §2): every reset and revocation is told
to the holder at their next sign-in and stays in their own activity view; where two
or more administrators exist, a reset needs a second one to approve it."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pyotp
from flask import Flask

from tests.support.workspace_support import (
    SECRET,
    STRONG_PASSWORD,
    create_account,
    csrf_token,
    sign_in,
    sign_in_first_time,
)

from portal.store import db


def _account_id(instance: Path, username: str) -> int:
    with closing(db.connect(instance)) as conn:
        return int(conn.execute("SELECT id FROM accounts WHERE username = ?", (username,)).fetchone()[0])


def _password_hash(instance: Path, username: str) -> str:
    with closing(db.connect(instance)) as conn:
        return str(conn.execute("SELECT password_hash FROM accounts WHERE username = ?", (username,)).fetchone()[0])


def _enrol_again(app: Flask, username: str) -> Any:
    """Sign in after a second-factor reset: password, then a new authenticator."""
    client = app.test_client()
    response = client.post(
        "/review/login",
        data={"csrf_token": csrf_token(client, "/review/login"), "username": username, "password": STRONG_PASSWORD},
    )
    assert response.headers["Location"].endswith("/review/enrol")
    page = client.get("/review/enrol").get_data(as_text=True)
    secret = SECRET.search(page)
    assert secret
    response = client.post(
        "/review/enrol",
        data={"csrf_token": csrf_token(client, "/review/enrol"), "code": pyotp.TOTP(secret.group(1)).now()},
    )
    assert response.status_code == 302
    return client, pyotp.TOTP(secret.group(1))


def test_a_reset_is_told_to_the_holder_once_and_stays_in_their_activity(
    app: Flask, instance_dir: Path, add_reviewer: Callable[..., Any]
) -> None:
    alice = add_reviewer(instance_dir, "Alice", "Adviser")
    sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", alice))
    root = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client
    response = root.post(
        f"/admin/accounts/{_account_id(instance_dir, 'alice')}/reset-2fa",
        data={"csrf_token": csrf_token(root, "/admin/accounts")},
    )
    assert response.status_code == 302
    client, totp = _enrol_again(app, "alice")
    page = html.unescape(client.get("/review/").get_data(as_text=True))
    assert re.search(r"Your second factor was reset by root \(admin\) on \d{4}-\d{2}-\d{2}\.", page), page
    # Once: the next sign-in does not repeat it ...
    again = sign_in(app, "alice", STRONG_PASSWORD, totp, totp.at(time.time() + 30))
    assert "was reset by" not in html.unescape(again.get("/review/").get_data(as_text=True))
    # ... and the holder's own activity view keeps it, naming who did it.
    activity = html.unescape(again.get("/review/activity").get_data(as_text=True))
    assert "second_factor_reset" in activity and "root (admin)" in activity


def test_with_two_admins_a_reset_waits_for_the_other_one(
    app: Flask, instance_dir: Path, add_reviewer: Callable[..., Any]
) -> None:
    alice = add_reviewer(instance_dir, "Alice", "Adviser")
    sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", alice))
    root = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client
    dana = sign_in_first_time(app, "dana", create_account(instance_dir, "dana", "admin")).client
    before = _password_hash(instance_dir, "alice")
    alice_id = _account_id(instance_dir, "alice")
    response = root.post(
        f"/admin/accounts/{alice_id}/reset-password", data={"csrf_token": csrf_token(root, "/admin/accounts")}
    )
    assert response.status_code == 302
    assert _password_hash(instance_dir, "alice") == before  # nothing happened yet
    page = root.get("/admin/accounts").get_data(as_text=True)
    assert "waits for another administrator" in html.unescape(page)
    with closing(db.connect(instance_dir)) as conn:
        pending_id = int(conn.execute("SELECT id FROM pending_resets").fetchone()[0])
    # The one who asked cannot approve it.
    root.post(f"/admin/resets/{pending_id}/approve", data={"csrf_token": csrf_token(root, "/admin/accounts")})
    assert "another administrator must approve" in html.unescape(root.get("/admin/accounts").get_data(as_text=True))
    assert _password_hash(instance_dir, "alice") == before
    # The other one can; the one-time password goes to them.
    response = dana.post(
        f"/admin/resets/{pending_id}/approve", data={"csrf_token": csrf_token(dana, "/admin/accounts")}
    )
    assert response.status_code == 200 and "One-time password for alice" in html.unescape(
        response.get_data(as_text=True)
    )
    assert _password_hash(instance_dir, "alice") != before
    with closing(db.connect(instance_dir)) as conn:
        actions = [tuple(row) for row in conn.execute("SELECT actor, action, details FROM audit_log ORDER BY seq")]
        assert conn.execute("SELECT count(*) FROM pending_resets").fetchone()[0] == 0
    requested = [a for a in actions if a[1] == "reset_requested"]
    done = [a for a in actions if a[1] == "password_reset"]
    assert requested[0][0] == "root (admin)" and done[0][0] == "dana (admin)"
    assert '"approved_by":"dana"' in done[0][2] and '"requested_by":"root"' in done[0][2]


def test_an_admin_cannot_approve_their_own_reset_with_an_admin_account_they_made(
    app: Flask, instance_dir: Path, add_reviewer: Callable[..., Any]
) -> None:
    alice = add_reviewer(instance_dir, "Alice", "Adviser")
    sign_in_first_time(app, "alice", create_account(instance_dir, "alice", "reviewer", alice))
    root = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client
    # root makes a second admin account on the web page, and so knows its one-time password.
    page = root.post(
        "/admin/accounts",
        data={"csrf_token": csrf_token(root, "/admin/accounts"), "username": "puppet", "role": "admin"},
    ).get_data(as_text=True)
    one_time = re.search(r'<code class="one-time-password">([^<]+)</code>', page)
    assert one_time
    puppet = sign_in_first_time(app, "puppet", html.unescape(one_time.group(1))).client
    before = _password_hash(instance_dir, "alice")
    root.post(
        f"/admin/accounts/{_account_id(instance_dir, 'alice')}/reset-password",
        data={"csrf_token": csrf_token(root, "/admin/accounts")},
    )
    with closing(db.connect(instance_dir)) as conn:
        pending_id = int(conn.execute("SELECT id FROM pending_resets").fetchone()[0])
    puppet.post(f"/admin/resets/{pending_id}/approve", data={"csrf_token": csrf_token(puppet, "/admin/accounts")})
    assert "cannot approve" in html.unescape(puppet.get("/admin/accounts").get_data(as_text=True))
    assert _password_hash(instance_dir, "alice") == before
