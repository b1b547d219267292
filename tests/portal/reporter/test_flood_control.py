"""Flood control without tracking people (portal/flood.py, portal/reporter/limits.py).

- Proof of work: a real stamp (solved here in Python, as static/js/pow.js does in the
  browser) is admitted; a missing, malformed, forged, expired, too easy, insufficient or
  reused one is refused; the difficulty rises with the rate of admitted stamps.
- A browser-sealed report without a stamp (or with a spent one) stores nothing.
- The no-JavaScript path's sealing budget answers "busy" at once when it is full.
- Follow-ups per case per day: beyond the limit a clear page, nothing kept.
- Against a real gunicorn: many slow reporter uploads hold what reporter threads they
  may, the rest are refused at once, and the reviewer's sign-in page still answers
  within a second.
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.flood_support import solve, stamp_fields
from tests.support.paths import REPO_ROOT
from tests.support.reporter_support import (
    add_reviewer_with_keys,
    blob_files,
    codename_from,
    csrf_token,
    db_counts,
    multipart,
    report_fields,
    sealed_token,
)

from crypto.codename import derive_reporter_keys, generate_codename
from crypto.envelope import new_submission_id, seal_bytes
from crypto.identity import ReviewerKeys, b64url, unb64url
from portal import create_app, flood
from portal.argon2_budget import argon2_slot

KEY = bytes(range(32))


def _stamp(difficulty: int = 8, now: float | None = None, ttl: int = 300) -> tuple[str, str]:
    challenge = flood.issue_challenge(KEY, difficulty, ttl, now=now)
    return challenge, str(solve(challenge, difficulty))


# --- the stamp itself ------------------------------------------------------------------------------


def test_a_real_stamp_is_admitted_once() -> None:
    challenge, counter = _stamp(12)
    stamp = flood.verify_stamp(KEY, challenge, counter, min_bits=12)
    assert stamp.difficulty == 12
    assert flood.leading_zero_bits(flood.stamp_hash(unb64url(challenge), int(counter))) >= 12
    spent = flood.SpentStamps()
    assert spent.spend(stamp) is True
    assert spent.spend(flood.verify_stamp(KEY, challenge, counter, min_bits=12)) is False  # reused


@pytest.mark.parametrize("challenge", ["", "x", "A" * 65, "not base64 !"])
def test_missing_or_malformed_challenges_are_refused(challenge: str) -> None:
    with pytest.raises(flood.StampError) as raised:
        flood.verify_stamp(KEY, challenge, "0", min_bits=0)
    assert raised.value.reason == "malformed"


def test_a_challenge_under_another_key_or_altered_is_refused() -> None:
    challenge, counter = _stamp(8)
    with pytest.raises(flood.StampError, match="forged"):
        flood.verify_stamp(bytes(32), challenge, counter, min_bits=8)
    raw = bytearray(unb64url(challenge))
    raw[flood.NONCE_BYTES] = 0  # lower the difficulty it claims
    with pytest.raises(flood.StampError, match="forged"):
        flood.verify_stamp(KEY, b64url(bytes(raw)), counter, min_bits=0)


def test_an_expired_challenge_is_refused() -> None:
    made = time.time() - 3600
    challenge, counter = _stamp(8, now=made, ttl=300)
    flood.verify_stamp(KEY, challenge, counter, min_bits=8, now=made + 60)
    with pytest.raises(flood.StampError, match="expired"):
        flood.verify_stamp(KEY, challenge, counter, min_bits=8)


def test_too_little_work_is_refused() -> None:
    challenge = flood.issue_challenge(KEY, 16, 300)
    raw = unb64url(challenge)
    lazy = next(n for n in range(1000) if flood.leading_zero_bits(flood.stamp_hash(raw, n)) < 16)
    with pytest.raises(flood.StampError, match="insufficient"):
        flood.verify_stamp(KEY, challenge, str(lazy), min_bits=16)
    for counter in ("", "-1", "1e5", str(1 << 64), "0x10"):
        with pytest.raises(flood.StampError):
            flood.verify_stamp(KEY, challenge, counter, min_bits=16)
    # A challenge made easier than the portal's base difficulty is not accepted either.
    easy, counter = _stamp(4)
    with pytest.raises(flood.StampError, match="too_easy"):
        flood.verify_stamp(KEY, easy, counter, min_bits=16)


def test_difficulty_rises_with_the_rate() -> None:
    def bits(rate: int) -> int:
        return flood.difficulty_for(rate, base_bits=16, step_bits=2, threshold=30, max_bits=24)

    assert [bits(0), bits(30), bits(31), bits(60), bits(61), bits(120), bits(240), bits(10**6)] == [
        16,
        16,
        18,
        18,
        20,
        20,
        22,
        24,
    ]
    rate = flood.SubmissionRate()
    start = 1_000_000.0
    for second in range(90):
        rate.record(now=start + second / 2)  # 90 admitted in 45 s
    assert rate.per_minute(now=start + 45) == 90
    assert rate.per_minute(now=start + 80) < 90  # the oldest slots have rolled off
    assert rate.per_minute(now=start + 200) == 0


def test_the_portal_raises_the_difficulty_it_hands_out(instance_dir: Path) -> None:
    app = create_app(str(instance_dir), overrides={"TESTING": True, "POW_RATE_THRESHOLD": 2, "POW_BASE_BITS": 8})
    client = app.test_client()
    before = json.loads(client.get("/report/challenge").get_data(as_text=True))
    assert before["difficulty"] >= 8 and before["ttl"] == 600
    for _ in range(20):
        flood.RATE.record()
    after = json.loads(client.get("/report/challenge").get_data(as_text=True))
    assert after["difficulty"] > before["difficulty"]


# --- the sealed routes -------------------------------------------------------------------------------


def test_a_sealed_report_without_a_valid_stamp_stores_nothing(instance_dir: Path) -> None:
    adviser = add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    app = create_app(str(instance_dir), overrides={"TESTING": True, "POW_BASE_BITS": 8})
    client = app.test_client()
    token = csrf_token(client.get("/report").get_data(as_text=True))
    keys = derive_reporter_keys(generate_codename(), bytes(16))
    public = [
        ("login_token", b64url(keys.login_token)),
        ("reply_key", b64url(keys.reply_public_key)),
        ("sign_key", b64url(keys.sign_public_key)),
    ]
    part0 = seal_bytes(b"x" * 100, [adviser.public], new_submission_id(), 0)

    def send(stamp: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
        body, content_type = multipart([("csrf_token", token), *stamp, *public, ("part0", ("part0.cnd", part0))])
        response = client.post("/report/sealed", data=body, content_type=content_type)
        return response.status_code, json.loads(response.get_data(as_text=True))

    good = stamp_fields(client)
    challenge, counter = good[0][1], good[1][1]
    raw = unb64url(challenge)
    wrong = next(n for n in range(1000) if flood.leading_zero_bits(flood.stamp_hash(raw, n)) < 8)
    for stamp in (
        [],  # no stamp at all
        [(flood.COUNTER_FIELD, counter), (flood.CHALLENGE_FIELD, challenge)],  # out of order
        [(flood.CHALLENGE_FIELD, challenge), (flood.COUNTER_FIELD, str(wrong))],  # too little work
    ):
        status, answer = send(stamp)
        assert status == 403 and answer["ok"] is False and "NOT sent" in answer["error"]
        assert "floods" in answer["error"]
    assert db_counts(instance_dir)["cases"] == 0 and blob_files(instance_dir) == []
    status, answer = send(good)
    assert status == 200 and answer["ok"] is True
    # The same stamp again (a fresh submission id, so only the stamp is wrong).
    part0 = seal_bytes(b"y" * 100, [adviser.public], new_submission_id(), 0)
    status, answer = send(good)
    assert status == 403 and "floods" in answer["error"]
    assert db_counts(instance_dir)["cases"] == 1


# --- the no-JavaScript path and follow-ups ---------------------------------------------------------


def test_the_server_sealing_budget_refuses_a_followup_at_once_when_full(instance_dir: Path) -> None:
    reviewer = add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    app = create_app(str(instance_dir), overrides={"TESTING": True, "SERVER_SEALING_CONCURRENCY": 1})
    client = app.test_client()
    token = _file_and_log_in(client, reviewer)
    body, content_type = multipart(
        [("csrf_token", token), ("message", "Zebra-flood-marker"), ("attachments", ("", b""))]
    )
    # Another upload is being sealed in this process: it holds the one slot.
    assert flood.SERVER_SEALING.try_enter(1)
    try:
        started = time.monotonic()
        response = client.post("/case/followup", data=body, content_type=content_type)
        elapsed = time.monotonic() - started
    finally:
        flood.SERVER_SEALING.leave()
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "busy" in html and "NOT sent" in html
    assert "Zebra-flood-marker" not in html
    assert elapsed < 1.0
    assert db_counts(instance_dir)["submissions"] == 1 and len(blob_files(instance_dir)) == 1
    # With the slot free again the same follow-up goes through.
    assert client.post("/case/followup", data=body, content_type=content_type).status_code == 303


def test_a_new_report_waits_for_the_key_derivation_instead_of_being_refused(instance_dir: Path) -> None:
    add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    app = create_app(
        str(instance_dir), overrides={"TESTING": True, "ARGON2_CONCURRENCY": 1, "SERVER_SEALING_CONCURRENCY": 1}
    )
    client = app.test_client()
    token = csrf_token(client.get("/report").get_data(as_text=True))
    body, content_type = multipart(report_fields(token, what="Zebra-queue-marker"))
    # Every derivation slot and the old sealing budget are taken: the report waits.
    held = threading.Event()
    release = threading.Event()

    def hold_the_slot() -> None:
        with argon2_slot(1):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_slot)
    holder.start()
    assert held.wait(5)
    assert flood.SERVER_SEALING.try_enter(1)
    timer = threading.Timer(0.5, release.set)
    timer.start()
    try:
        response = client.post("/report", data=body, content_type=content_type)
    finally:
        flood.SERVER_SEALING.leave()
        release.set()
        holder.join()
    assert response.status_code == 200 and '<ol class="codename">' in response.get_data(as_text=True)
    assert db_counts(instance_dir)["cases"] == 1


def _file_and_log_in(client: FlaskClient, reviewer: ReviewerKeys) -> str:
    token = csrf_token(client.get("/report").get_data(as_text=True))
    body, content_type = multipart(report_fields(token, reviewers=[reviewer.key_id.hex()]))
    html = client.post("/report", data=body, content_type=content_type).get_data(as_text=True)
    confirm = client.post(
        "/report/confirm",
        data={"csrf_token": csrf_token(html), "sealed": sealed_token(html), "codename": codename_from(html)},
    )
    assert confirm.status_code == 303
    return csrf_token(client.get("/case").get_data(as_text=True))


def test_followups_per_case_per_day_are_limited(instance_dir: Path) -> None:
    reviewer = add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    app = create_app(str(instance_dir), overrides={"TESTING": True, "FOLLOWUPS_PER_CASE_PER_DAY": 2})
    client = app.test_client()
    token = _file_and_log_in(client, reviewer)

    def follow_up(message: str) -> Any:
        body, content_type = multipart([("csrf_token", token), ("message", message), ("attachments", ("", b""))])
        return client.post("/case/followup", data=body, content_type=content_type)

    assert follow_up("first").status_code == 303
    assert follow_up("second").status_code == 303
    third = follow_up("Zebra-third-marker")
    html = third.get_data(as_text=True)
    assert third.status_code == 429 and "tomorrow" in html and "Zebra-third-marker" not in html
    assert db_counts(instance_dir)["submissions"] == 3  # the report and two follow-ups
    # Another case is not affected.
    other = app.test_client()
    other_token = _file_and_log_in(other, reviewer)
    body, content_type = multipart([("csrf_token", other_token), ("message", "hi"), ("attachments", ("", b""))])
    assert other.post("/case/followup", data=body, content_type=content_type).status_code == 303


# --- a flood never delays the reviewer's workspace -------------------------------------------------


def _slow_upload(host: str, port: int, path: str) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=10)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: multipart/form-data; boundary=slow\r\n"
        "Content-Length: 100000000\r\n\r\n"
        "--slow\r\n"
    )
    sock.sendall(head.encode("ascii"))
    return sock


def _gunicorn_threads() -> int:
    text = (REPO_ROOT / "config" / "gunicorn.conf.py").read_text(encoding="utf-8")
    match = re.search(r"^threads = (\d+)$", text, flags=re.M)
    assert match, "config/gunicorn.conf.py sets no thread count"
    return int(match.group(1))


def test_the_shipped_limits_refuse_no_report_below_fifty_and_keep_threads_for_reviewers() -> None:
    # The cap counts one worker's reporter POSTs: with at least 50 (and its one waiter),
    # 50 reports in flight are not refused even if one worker took them all; below
    # gunicorn's threads, a thread is always left for the workspace.
    from config import defaults

    cap = int(defaults.REPORTER_POST_CONCURRENCY)
    assert cap >= 50
    assert cap + 1 < _gunicorn_threads()


@pytest.mark.live
def test_slow_reporter_uploads_never_take_the_reviewers_threads(live_server: Any) -> None:
    host, port_text = live_server.url.removeprefix("http://").split(":")
    port = int(port_text)
    # gunicorn: 2 workers; reporter POSTs may use REPORTER_POST_CONCURRENCY threads per
    # worker, plus one waiter. More slow uploads than both workers can hold, on both
    # paths: the server-sealing form and the browser-sealed route (which has no sealing
    # budget of its own, so only the reporter-thread cap stops it).
    from config import defaults

    held_at_most = 2 * (int(defaults.REPORTER_POST_CONCURRENCY) + 1)
    sockets = [_slow_upload(host, port, "/report/sealed" if n % 3 else "/report") for n in range(held_at_most + 30)]
    stop = threading.Event()

    def trickle() -> None:
        # The uploads keep sending, a byte at a time, as a slow flood would.
        while not stop.wait(0.3):
            for sock in sockets:
                try:
                    sock.send(b"x")
                except OSError:
                    pass  # refused and closed by the portal

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        time.sleep(2.5)  # every upload reached a worker thread or was refused
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(live_server.url + "/review/login", timeout=5) as response:  # noqa: S310
                assert response.status == 200
            assert time.monotonic() - started < 1.0
        answered: set[socket.socket] = set()
        while readable := select.select([s for s in sockets if s not in answered], [], [], 0.5)[0]:
            answered.update(readable)
        refused = sum(1 for sock in answered if sock.recv(64).startswith(b"HTTP/1.1 503"))
        assert refused >= len(sockets) - held_at_most, f"only {refused} of {len(sockets)} uploads were refused"
    finally:
        stop.set()
        trickler.join()
        for sock in sockets:
            sock.close()


@pytest.mark.live
def test_fifty_no_javascript_reports_at_once_are_all_stored(live_server: Any) -> None:
    """Issue #15: no no-JS reporter is refused while fewer than 50 reports are in flight;
    the excess waits (gunicorn's queue, then the key derivation's) instead of "busy"."""
    from tests.support.live_support import get_form, submit_report

    add_reviewer_with_keys(live_server.instance, "Dana Adviser", "Independent adviser", required=True)
    forms = [get_form(live_server.url) for _ in range(50)]
    start = threading.Barrier(50)
    outcomes: list[Any] = [None] * 50

    def report(n: int) -> None:
        start.wait()
        outcomes[n] = submit_report(live_server.url, what=f"report {n} " + "x" * 3000, files=[], form=forms[n])

    threads = [threading.Thread(target=report, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    refused = [(o.status, o.error) for o in outcomes if o is None or not o.codename]
    assert refused == [], f"{len(refused)} of 50 were not given a codename: {refused[:3]}"
    assert db_counts(live_server.instance)["cases"] == 50
