"""Failure counting under real concurrency: parallel wrong passwords and parallel
wrong codes, each on its own connection to the real SQLCipher file, in real
threads. The count is one UPDATE … RETURNING and the lock is decided from it inside
the same transaction, so the account ends locked after exactly the threshold.

And the lock anyone can set (wrong passwords for a name) never keeps the holder out:
the password with a right code still opens the account, while the password alone
reads the same right or wrong; wrong codes (only someone with the password can send
them) have their own lock."""

from __future__ import annotations

import html
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.support.workspace_support import create_account, csrf_token, next_code, sign_in_first_time

from portal import auth, create_app
from portal.store import db

PARALLEL = 24
THRESHOLD = 5


def _counters(instance: Path, username: str, counter: str = "password") -> tuple[int, int]:
    columns = "failed_logins, locked_until" if counter == "password" else "failed_codes, codes_locked_until"
    with closing(db.connect(instance)) as conn:
        row = conn.execute(f"SELECT {columns} FROM accounts WHERE username = ?", (username,)).fetchone()  # noqa: S608
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
        # The right password alone now reads like a wrong one: no guess is confirmed.
        with pytest.raises(auth.SignInRefusedError) as refused:
            auth.check_password(conn, "alice", password)
        assert str(refused.value) == auth.WRONG_CREDENTIALS


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
    failures, locked_until = _counters(instance_dir, "bob", "code")
    assert failures == THRESHOLD
    assert locked_until > time.time()
    assert any("locked" in answer for answer in answers)
    # Wrong codes count on their own counter: the password lock is untouched.
    assert _counters(instance_dir, "bob") == (0, 0)


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


# --- a guesser's lock cannot keep the holder out ----------------------------------------------------


def _wrong_code(totp: pyotp.TOTP) -> str:
    return next(
        f"{n:06d}" for n in range(1_000_000) if all(totp.at(time.time() + d) != f"{n:06d}" for d in (-30, 0, 30))
    )


def _login(client: Any, **fields: str) -> Any:
    return client.post("/review/login", data={"csrf_token": csrf_token(client, "/review/login"), **fields})


def _error_of(response: Any) -> str:
    import re

    found = re.search(r'<p class="error-message"[^>]*>([^<]*)</p>', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:500]
    return found.group(1)


def test_wrong_passwords_sent_for_a_name_cannot_keep_the_holder_out(
    race_app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    one_time = create_account(instance_dir, "dora", "reviewer", reviewer_identity)
    holder = sign_in_first_time(race_app, "dora", one_time)
    enrolled_at = time.time()
    # Anyone who knows the name: 24 wrong passwords at once lock it after exactly the threshold.
    answers = _in_parallel(race_app, instance_dir, lambda conn: auth.check_password(conn, "dora", "a wrong guess!"))
    assert set(answers) == {auth.WRONG_CREDENTIALS}
    failures, locked_until = _counters(instance_dir, "dora")
    assert failures == THRESHOLD and locked_until > time.time()

    client = race_app.test_client()
    # The right password alone reads exactly like a wrong one while the lock holds ...
    right_alone = _login(client, username="dora", password=holder.password)
    wrong_alone = _login(client, username="dora", password="another wrong guess")
    assert right_alone.status_code == wrong_alone.status_code == 401
    assert _error_of(right_alone) == _error_of(wrong_alone) == html.escape(auth.WRONG_CREDENTIALS)
    assert "locked" not in right_alone.get_data(as_text=True)
    # ... and a wrong password with any code, too (and counts no code failure).
    wrong_with_code = _login(client, username="dora", password="a wrong guess!", code=holder.totp.now())
    assert _error_of(wrong_with_code) == html.escape(auth.WRONG_CREDENTIALS)
    assert _counters(instance_dir, "dora", "code") == (0, 0)

    # The holder, with the password and the current code, is signed in at once.
    signed_in = _login(client, username="dora", password=holder.password, code=next_code(holder.totp, enrolled_at))
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/review/"), signed_in.status
    assert client.get("/review/").status_code == 200
    # The guesser gets no fresh start: the count and the lock stand.
    assert _counters(instance_dir, "dora") == (failures, locked_until)
    with race_app.app_context(), closing(db.connect(instance_dir)) as conn:
        with pytest.raises(auth.SignInRefusedError) as refused:
            auth.check_password(conn, "dora", holder.password)
        assert str(refused.value) == auth.WRONG_CREDENTIALS


def test_guessing_codes_with_the_password_while_locked_ends_locked_after_exactly_the_threshold(
    race_app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    one_time = create_account(instance_dir, "erin", "reviewer", reviewer_identity)
    holder = sign_in_first_time(race_app, "erin", one_time)
    enrolled_at = time.time()
    _in_parallel(race_app, instance_dir, lambda conn: auth.check_password(conn, "erin", "a wrong guess!"))
    assert _counters(instance_dir, "erin")[0] == THRESHOLD
    wrong = _wrong_code(holder.totp)
    # Someone holding the password guesses codes, 24 at once: every answer is the one
    # message, and the code counter locks after exactly the threshold.
    answers = _in_parallel(
        race_app, instance_dir, lambda conn: auth.check_password_and_code(conn, "erin", holder.password, wrong)
    )
    assert set(answers) == {auth.WRONG_CREDENTIALS}
    code_failures, codes_locked_until = _counters(instance_dir, "erin", "code")
    assert code_failures == THRESHOLD and codes_locked_until > time.time()
    # While it holds even the right code is refused, with the same message.
    refused = _login(
        race_app.test_client(), username="erin", password=holder.password, code=next_code(holder.totp, enrolled_at)
    )
    assert refused.status_code == 401 and _error_of(refused) == html.escape(auth.WRONG_CREDENTIALS)
    # Once both locks are over, the holder's password and code open the account.
    later = max(codes_locked_until, _counters(instance_dir, "erin")[1]) + 1
    with race_app.test_request_context(), closing(db.connect(instance_dir)) as conn:
        account = auth.check_password_and_code(conn, "erin", holder.password, holder.totp.at(later), now=later)
    assert account.username == "erin"
    assert _counters(instance_dir, "erin", "code") == (0, 0) and _counters(instance_dir, "erin") == (0, 0)


def test_an_account_without_an_authenticator_stays_locked_to_its_password(
    race_app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    # It has nothing but its password, so the lock must hold (an administrator can
    # reset the password); docs/threat-model.md says so.
    one_time = create_account(instance_dir, "fred", "reviewer", reviewer_identity)
    _in_parallel(race_app, instance_dir, lambda conn: auth.check_password(conn, "fred", "a wrong guess!"))
    refused = _login(race_app.test_client(), username="fred", password=one_time, code="123456")
    assert refused.status_code == 401 and _error_of(refused) == html.escape(auth.WRONG_CREDENTIALS)


def test_account_list_tells_the_operator_which_lock_holds(
    race_app: Flask, instance_dir: Path, reviewer_identity: Any
) -> None:
    one_time = create_account(instance_dir, "gina", "reviewer", reviewer_identity)
    holder = sign_in_first_time(race_app, "gina", one_time)
    with race_app.test_request_context(), closing(db.connect(instance_dir)) as conn:
        account = auth.find_account(conn, "gina")
        for _ in range(THRESHOLD):
            with pytest.raises(auth.SignInRefusedError):
                auth.check_password(conn, "gina", "a wrong guess!")
        for _ in range(THRESHOLD):
            with pytest.raises(auth.SignInRefusedError):
                auth.check_code(conn, account, _wrong_code(holder.totp))
    listed = race_app.test_cli_runner().invoke(args=["account", "list"]).output
    assert "password alone locked" in listed and "codes locked" in listed, listed
