"""Reporter sessions end for real (issue #14, item 3): Leave revokes the session on the
server for every worker, and a session has an absolute lifetime besides the idle one."""

from __future__ import annotations

import re
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from live_support import get_form, submit_report
from reporter_support import add_reviewer_with_keys, codename_from, csrf_token, http_get, http_post_form, sealed_token

from crypto.identity import ReviewerKeys
from portal import create_app
from portal.reporter import session as reporter_session
from portal.reporter.session import COOKIE_NAME
from portal.store.db import connect
from portal.store.reporter_sessions import purge_stale_revocations, revoke_session, session_revoked


@pytest.fixture
def reviewer(instance_dir: Path) -> ReviewerKeys:
    return add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)


def _open_case_live(url: str) -> dict[str, str]:
    """File a no-JS report and confirm its codename; the cookies of the open case."""
    form = get_form(url)
    filed = submit_report(url, what="a report to leave", files=[], form=form)
    assert filed.codename, filed
    cookies = form[0]
    status, set_cookies, location, _body = http_post_form(
        url,
        "/report/confirm",
        {"csrf_token": csrf_token(filed.body), "sealed": sealed_token(filed.body), "codename": filed.codename},
        cookies,
    )
    assert status == 303 and location.endswith("/case"), status
    return {**cookies, **set_cookies}


@pytest.mark.live
def test_a_copied_cookie_no_longer_works_after_leave_on_any_worker(live_server: Any, reviewer: ReviewerKeys) -> None:
    cookies = _open_case_live(live_server.url)
    copied = {COOKIE_NAME: cookies[COOKIE_NAME]}
    status, _set, page = http_get(live_server.url, "/case", cookies)
    assert status == 200 and "a report to leave" not in page  # the text is sealed, never shown back
    # Several requests: gunicorn runs two workers, each must see the revocation.
    for _ in range(6):
        assert http_get(live_server.url, "/case", copied)[0] == 200
    status, set_cookies, location, _body = http_post_form(
        live_server.url, "/logout", {"csrf_token": csrf_token(page)}, cookies
    )
    assert status == 303 and location.endswith("/")
    assert set_cookies.get(COOKIE_NAME, "") == ""  # the browser's copy is deleted
    for _ in range(6):
        status, _set, _page = http_get(live_server.url, "/case", copied)
        assert status == 303, "a copy of the cookie still opened the case after Leave"
        assert http_get(live_server.url, "/case/replies.json", copied)[0] == 403
    # The record links to nothing: a random id and a day.
    with closing(connect(live_server.instance)) as conn:
        rows = conn.execute("SELECT * FROM reporter_session_revocations").fetchall()
        columns = [row[1] for row in conn.execute("PRAGMA table_info(reporter_session_revocations)")]
    assert columns == ["session_id", "expires_day"]
    assert len(rows) == 1 and len(rows[0][0]) == 16 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[0][1])


def _open_case(client: Any) -> None:
    token = csrf_token(client.get("/report").get_data(as_text=True))
    from reporter_support import multipart, report_fields

    body, content_type = multipart(report_fields(token))
    html = client.post("/report", data=body, content_type=content_type).get_data(as_text=True)
    confirm = client.post(
        "/report/confirm",
        data={"csrf_token": csrf_token(html), "sealed": sealed_token(html), "codename": codename_from(html)},
    )
    assert confirm.status_code == 303


def test_leave_answers_clear_site_data_and_revokes(instance_dir: Path, reviewer: ReviewerKeys) -> None:
    app = create_app(str(instance_dir), overrides={"TESTING": True})
    client = app.test_client()
    _open_case(client)
    page = client.get("/case")
    assert page.status_code == 200
    copied = client.get_cookie(COOKIE_NAME)
    assert copied is not None
    left = client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert left.status_code == 303 and left.headers["Clear-Site-Data"] == '"storage"'
    other = app.test_client()
    other.set_cookie(COOKIE_NAME, copied.value)
    again = other.get("/case")
    assert again.status_code == 303 and again.headers["Location"].endswith("/followup")
    assert again.headers["Clear-Site-Data"] == '"storage"'  # an ended session clears the tab's storage too


def test_an_over_age_session_is_refused_however_active(
    instance_dir: Path, reviewer: ReviewerKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Idle limit longer than the absolute one: only the absolute lifetime can end it.
    app = create_app(
        str(instance_dir), overrides={"TESTING": True, "SESSION_IDLE_MINUTES": 120, "REPORTER_SESSION_MAX_MINUTES": 60}
    )
    client = app.test_client()
    _open_case(client)
    start = time.time()
    for minutes in (20, 40, 59):
        monkeypatch.setattr(reporter_session.time, "time", lambda m=minutes: start + m * 60)
        assert client.get("/case").status_code == 200, f"refused after {minutes} minutes of activity"
    monkeypatch.setattr(reporter_session.time, "time", lambda: start + 61 * 60)
    refused = client.get("/case")
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/followup")


def test_the_idle_limit_still_ends_a_session(
    instance_dir: Path, reviewer: ReviewerKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(str(instance_dir), overrides={"TESTING": True, "SESSION_IDLE_MINUTES": 10})
    client = app.test_client()
    _open_case(client)
    start = time.time()
    monkeypatch.setattr(reporter_session.time, "time", lambda: start + 11 * 60)
    assert client.get("/case").status_code == 303


def test_stale_revocations_are_purged(instance_dir: Path) -> None:
    with closing(connect(instance_dir)) as conn:
        revoke_session(conn, b"a" * 16, expires_day="2026-01-02", today="2026-01-01")
        revoke_session(conn, b"b" * 16, expires_day="2026-01-03", today="2026-01-02")
        assert session_revoked(conn, b"a" * 16) and session_revoked(conn, b"b" * 16)
        # A later Leave forgets the sessions that have expired by now.
        revoke_session(conn, b"c" * 16, expires_day="2026-01-05", today="2026-01-03")
        assert not session_revoked(conn, b"a" * 16)
        assert session_revoked(conn, b"b" * 16) and session_revoked(conn, b"c" * 16)
        assert purge_stale_revocations(conn, "2026-01-06") == 2
        with pytest.raises(ValueError):
            revoke_session(conn, b"short", expires_day="2026-01-05", today="2026-01-03")


def test_leave_on_a_full_disk_still_forgets_the_session_in_this_browser(
    instance_dir: Path, reviewer: ReviewerKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    app = create_app(str(instance_dir), overrides={"TESTING": True})
    client = app.test_client()
    _open_case(client)
    page = client.get("/case").get_data(as_text=True)

    def disk_full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(reporter_session, "revoke_session", disk_full)
    left = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert left.status_code == 303 and left.headers["Clear-Site-Data"] == '"storage"'
    assert client.get_cookie(COOKIE_NAME) is None
