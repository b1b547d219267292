"""Failure counting under real concurrency: parallel wrong passwords and parallel
wrong codes, each on its own connection to the real SQLCipher file, in real
threads. The count is one UPDATE … RETURNING and the lock is decided from it inside
the same transaction, so the account ends locked after exactly the threshold."""

from __future__ import annotations

import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.support.workspace_support import create_account

from portal import auth, create_app
from portal.store import db

PARALLEL = 24
THRESHOLD = 5


def _counters(instance: Path, username: str) -> tuple[int, int]:
    with closing(db.connect(instance)) as conn:
        row = conn.execute(
            "SELECT failed_logins, locked_until FROM accounts WHERE username = ?", (username,)
        ).fetchone()
    return int(row[0]), int(row[1])


def _in_parallel(app: Flask, instance: Path, attempt: Any) -> list[str]:
    barrier = threading.Barrier(PARALLEL)
    answers: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context(), closing(db.connect(instance)) as conn:
            barrier.wait()
            try:
                attempt(conn)
                answer = "accepted"
            except auth.SignInRefusedError as exc:
                answer = str(exc)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=run) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == PARALLEL
    return answers


@pytest.fixture
def reviewer_identity(instance_dir: Path, add_reviewer: Any) -> Any:
    return add_reviewer(instance_dir, "Alice", "Adviser")


@pytest.fixture
def race_app(instance_dir: Path) -> Flask:
    return create_app(str(instance_dir), overrides={"TESTING": True, "LOCKOUT_THRESHOLD": THRESHOLD})


def test_parallel_wrong_passwords_lock_after_exactly_the_threshold(
    race_app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    password = create_account(instance_dir, "alice", "reviewer", reviewer_identity)
    answers = _in_parallel(race_app, instance_dir, lambda conn: auth.check_password(conn, "alice", "not the password"))
    # Every one of them reads the same to the guesser, locked or not.
    assert set(answers) == {auth.WRONG_CREDENTIALS}
    failures, locked_until = _counters(instance_dir, "alice")
    assert failures == THRESHOLD
    assert locked_until > time.time()
    with race_app.app_context(), closing(db.connect(instance_dir)) as conn:
        with pytest.raises(auth.SignInRefusedError, match="locked"):
            auth.check_password(conn, "alice", password)


def test_parallel_wrong_codes_lock_after_exactly_the_threshold(
    race_app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    create_account(instance_dir, "bob", "reviewer", reviewer_identity)
    secret = pyotp.random_base32()
    with closing(db.connect(instance_dir)) as conn:
        conn.execute("UPDATE accounts SET totp_secret = ?, totp_enrolled = 1 WHERE username = 'bob'", (secret,))
    with race_app.app_context(), closing(db.connect(instance_dir)) as conn:
        account = auth.find_account(conn, "bob")
    right = pyotp.TOTP(secret)
    wrong = next(
        f"{n:06d}" for n in range(1_000_000) if all(right.at(time.time() + d) != f"{n:06d}" for d in (-30, 0, 30))
    )
    answers = _in_parallel(race_app, instance_dir, lambda conn: auth.check_code(conn, account, wrong))
    assert "accepted" not in answers
    failures, locked_until = _counters(instance_dir, "bob")
    assert failures == THRESHOLD
    assert locked_until > time.time()
    assert any("locked" in answer for answer in answers)


def test_parallel_wrong_passwords_over_http_to_a_real_gunicorn_lock_after_exactly_the_threshold(
    live_server: Any, reviewer_identity: Any
) -> None:
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    create_account(live_server.instance, "carol", "reviewer", reviewer_identity)
    threshold = create_app(str(live_server.instance)).config["LOCKOUT_THRESHOLD"]
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    pages: list[str] = []
    lock = threading.Lock()

    def guess() -> None:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(live_server.url + "/review/login", timeout=60) as response:  # noqa: S310 - loopback
            token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)  # type: ignore[union-attr]
        body = urllib.parse.urlencode({"csrf_token": token, "username": "carol", "password": "wrong guess"}).encode()
        barrier.wait()
        try:
            with opener.open(live_server.url + "/review/login", data=body, timeout=120) as response:  # noqa: S310
                status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, page = exc.code, exc.read().decode()
        with lock:
            statuses.append(status)
            pages.append(page)

    threads = [threading.Thread(target=guess) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert statuses == [401] * PARALLEL
    assert all("username or password is wrong" in page and "locked" not in page for page in pages)
    failures, locked_until = _counters(live_server.instance, "carol")
    assert failures == threshold and locked_until > time.time()
