"""The reporter path through the real gunicorn (config/gunicorn.conf.py) and headless
Chromium with JavaScript off, and the operator's view: after real reports, nothing
readable about them is anywhere the people running the server can look."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.support.reporter_support import (
    add_reviewer_with_keys,
    codename_from,
    csrf_token,
    http_get,
    http_post_form,
    http_post_multipart,
    open_file_targets,
    open_stored_submission,
    report_fields,
    sealed_token,
    worker_pids,
)

from crypto.identity import ReviewerKeys
from portal.store import cases as case_store
from portal.store.db import connect

pytestmark = pytest.mark.live

HH_MM_SS = re.compile(rb"(?<!\d)\d{2}:\d{2}:\d{2}(?!\d)")


@pytest.fixture
def reviewers(instance_dir: Path) -> dict[str, ReviewerKeys]:
    return {
        "adviser": add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True),
        "handler": add_reviewer_with_keys(instance_dir, "Sam Handler", "Case handler"),
    }


def _session(url: str) -> tuple[dict[str, str], str]:
    status, cookies, html = http_get(url, "/report")
    assert status == 200 and "candour_session" in cookies
    return cookies, csrf_token(html)


def _file_report(url: str, reviewers: dict[str, ReviewerKeys], what: str, files: list[tuple[str, bytes]]) -> Any:
    cookies, token = _session(url)
    fields = report_fields(token, what=what, reviewers=[reviewers["handler"].key_id.hex()], files=files)
    return cookies, http_post_multipart(url, "/report", fields, cookies)


def test_multi_megabyte_report_through_gunicorn(
    live_server: Any, reviewers: dict[str, ReviewerKeys], record_property: Any
) -> None:
    attachment = secrets.token_bytes(12 * 1024 * 1024)
    cookies, token = _session(live_server.url)
    fields = report_fields(
        token, what="A long account.", reviewers=[reviewers["handler"].key_id.hex()], files=[("video.mp4", attachment)]
    )
    spooled: list[str] = []

    def look_for_plaintext_spools() -> None:
        # Mid-upload: no worker may hold a temporary file outside blobs/tmp (where
        # only ciphertext goes). Werkzeug's form parser would have one open here.
        # Allowed: the instance's own files (the encrypted database, blob temp files of
        # ciphertext), gunicorn's log and its workers' empty heartbeat files.
        allowed = (str(live_server.instance) + "/", str(live_server.stderr_path))
        heartbeat = re.compile(re.escape(tempfile.gettempdir()) + r"/wgunicorn-[^/]+ \(deleted\)")
        for pid in worker_pids(live_server.process.pid):
            for target in open_file_targets(pid):
                if not target.startswith("/") or target.startswith(("/dev/", "/proc/", *allowed)):
                    continue
                if heartbeat.fullmatch(target):
                    continue
                if "(deleted)" in target or target.startswith(tempfile.gettempdir()):
                    spooled.append(target)

    status, html, seconds = http_post_multipart(
        live_server.url, "/report", fields, cookies, halfway=look_for_plaintext_spools
    )
    assert status == 200, html
    assert spooled == [], f"a worker held temporary files during the upload: {spooled}"
    record_property("upload_mb_per_s", round(len(attachment) / seconds / 1e6, 1))
    codename = codename_from(html)
    with closing(connect(live_server.instance)) as conn:
        case_id = conn.execute("SELECT id FROM cases").fetchone()[0]
    opened = open_stored_submission(live_server.instance, case_id, reviewers["handler"])
    assert opened.attachments[0].info.name == "video.mp4"
    assert opened.attachments[0].location == attachment
    # The confirmation and the follow-up login work across gunicorn's workers (the
    # session key is made once in the master).
    status, set_cookies, location, _body = http_post_form(
        live_server.url,
        "/report/confirm",
        {"csrf_token": csrf_token(html), "sealed": sealed_token(html), "codename": codename},
        cookies,
    )
    assert status == 303 and location.endswith("/case") and "candour_case" in set_cookies
    for _ in range(6):  # several requests: with 2 workers, both are very likely hit
        status, _set, page = http_get(live_server.url, "/case", {**cookies, **set_cookies})
        assert status == 200 and "Status now" in page


def _snapshot(root: Path) -> dict[str, int]:
    seen: dict[str, int] = {}
    for dirpath, _dirs, files in os.walk(root, onerror=lambda _e: None):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                seen[path] = os.stat(path, follow_symlinks=False).st_mtime_ns
            except OSError:
                continue
    return seen


def _read(path: Path | str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(256 * 1024 * 1024)
    except OSError:
        return b""


def _db_dump(instance: Path) -> bytes:
    """Every row of every table, opened with the instance's key: text as text, blobs as hex."""
    lines: list[str] = []
    with closing(connect(instance)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():  # noqa: S608 - names from sqlite_master
                cells = [value.hex() if isinstance(value, bytes) else str(value) for value in row]
                lines.append(f"{table}: " + " | ".join(cells))
    assert any(line.startswith("cases:") for line in lines)
    return "\n".join(lines).encode()


@pytest.fixture
def temp_dir_watch() -> Iterator[dict[str, int]]:
    yield _snapshot(Path(tempfile.gettempdir()))


def test_operators_view_holds_nothing_readable(
    live_server: Any, reviewers: dict[str, ReviewerKeys], temp_dir_watch: dict[str, int]
) -> None:
    marker = f"Operator-marker-{secrets.token_hex(6)}"
    file_marker = f"Attachment-marker-{secrets.token_hex(6)}".encode()
    attachment = (file_marker + b" confidential minutes\n") * 40_000  # ~1.5 MB
    cookies, (status, html, _seconds) = _file_report(
        live_server.url, reviewers, f"{marker}: what the treasurer said", [(f"{marker}.txt", attachment)]
    )
    assert status == 200, html
    codename = codename_from(html)
    # The codename goes through the server twice more: confirmation and login.
    status, case_cookies, _location, _body = http_post_form(
        live_server.url,
        "/report/confirm",
        {"csrf_token": csrf_token(html), "sealed": sealed_token(html), "codename": codename},
        cookies,
    )
    assert status == 303
    _status, fresh_cookies, page = http_get(live_server.url, "/followup")
    status, login_cookies, location, _body = http_post_form(
        live_server.url, "/followup", {"csrf_token": csrf_token(page), "codename": codename}, fresh_cookies
    )
    assert status == 303 and location.endswith("/case")
    all_cookies = {**fresh_cookies, **login_cookies}
    _status, _set, case_html = http_get(live_server.url, "/case", all_cookies)
    fields = [
        ("csrf_token", csrf_token(case_html)),
        ("message", f"{marker} follow-up"),
        ("attachments", (f"{marker}-2.bin", attachment)),
    ]
    status, _text, _seconds = http_post_multipart(live_server.url, "/case/followup", fields, all_cookies)
    assert status == 303  # to the case page
    with closing(connect(live_server.instance)) as conn:
        case_id = conn.execute("SELECT id FROM cases").fetchone()[0]
        submissions = case_store.list_submissions(conn, case_id)
    assert [s.kind for s in submissions] == ["report", "followup"]
    # The markers really went in (the scan below could not pass vacuously).
    assert open_stored_submission(live_server.instance, case_id, reviewers["adviser"]).fields["what"].startswith(marker)

    forbidden = {
        "marker text": marker.encode(),
        "attachment marker": file_marker,
        "codename": codename.encode(),
        "codename without spaces": codename.replace(" ", "").encode(),
        "client address": b"127.0.0.1",
    }

    def scan(where: str, data: bytes) -> None:
        for what, needle in forbidden.items():
            assert needle not in data, f"{what} found in {where}"

    # 1. Every byte of every file under the instance folder, recursively.
    files = [path for path in live_server.instance.rglob("*") if path.is_file()]
    assert len(files) >= 6
    for path in files:
        scan(str(path), _read(path))
    # 2. The database, opened with its key, every table dumped.
    dump = _db_dump(live_server.instance)
    scan("the database dump", dump)
    assert not HH_MM_SS.search(dump), "a time finer than a day is stored in the database"
    # 3. gunicorn's log.
    log = live_server.stderr().encode()
    scan("the gunicorn log", log)
    assert not HH_MM_SS.search(log)
    # 4. Files created or changed in the system temp dir during the test.
    changed = [
        path
        for path, mtime in _snapshot(Path(tempfile.gettempdir())).items()
        if temp_dir_watch.get(path) != mtime and os.path.getsize(path) < 256 * 1024 * 1024
    ]
    for path in changed:
        scan(path, _read(path))
    # Blobs and their folders carry midnight (UTC) modification times, nothing finer.
    blob_dir = live_server.instance / "blobs"
    blobs = [path for path in blob_dir.rglob("*") if path.is_file()]
    assert len(blobs) == 4  # report and follow-up: part 0 and one file each
    assert not list((blob_dir / "tmp").iterdir())
    for path in [*blobs, *(p.parent for p in blobs)]:
        assert path.stat().st_mtime % 86400 == 0, f"{path} has a modification time finer than a day"


@pytest.mark.browser
def test_no_javascript_browser_files_confirms_returns_and_follows_up(
    live_server: Any, reviewers: dict[str, ReviewerKeys], chromium_no_js: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium_no_js

    def wait(condition: Any) -> None:
        # A click on a submit button returns before the next page has loaded.
        WebDriverWait(driver, 60).until(lambda _driver: condition())

    # Not a photo (a photo's hidden data would be removed, changing its bytes: that is
    # test_photos_lose_their_hidden_data_before_sealing_without_javascript's).
    evidence = tmp_path / "evidence scan.pdf"
    evidence_bytes = b"%PDF-1.7\n" + secrets.token_bytes(300_000)
    evidence.write_bytes(evidence_bytes)

    driver.get(live_server.url + "/report")
    driver.find_element(By.ID, "category").send_keys("Bullying")
    driver.find_element(By.ID, "what").send_keys("He shouted at me in the meeting, browser test.")
    driver.find_element(By.ID, "when").send_keys("March")
    driver.find_element(By.ID, "who").send_keys("The treasurer")
    handler_box = driver.find_element(By.ID, f"reviewer-{reviewers['handler'].key_id.hex()}")
    assert handler_box.is_selected()
    handler_box.click()  # a conflict of interest: leave the handler out
    driver.find_element(By.ID, "attachments").send_keys(str(evidence))
    driver.find_element(By.CSS_SELECTOR, "form.report-form button[type=submit]").click()
    wait(lambda: "Your codename" in driver.title)

    words = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "ol.codename li")]
    assert len(words) == 8, driver.page_source
    codename = " ".join(words)
    assert "sealed by the server as it arrived" in driver.page_source
    # A mistyped confirmation shows the codename again.
    driver.find_element(By.ID, "codename").send_keys(" ".join(words[:7]))
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(lambda: "The codename needs 8 words; you typed 7." in driver.page_source)
    assert driver.find_element(By.ID, "codename").get_attribute("value") == " ".join(words[:7])  # kept
    assert [item.text for item in driver.find_elements(By.CSS_SELECTOR, "ol.codename li")] == words
    driver.find_element(By.ID, "codename").clear()
    driver.find_element(By.ID, "codename").send_keys(codename)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(lambda: driver.current_url.endswith("/case"))
    assert "Status now" in driver.page_source

    driver.find_element(By.XPATH, "//button[contains(., 'Leave (log out)')]").click()
    wait(lambda: driver.current_url == live_server.url + "/")
    driver.get(live_server.url + "/case")
    wait(lambda: driver.current_url.endswith("/followup"))

    driver.find_element(By.ID, "codename").send_keys(codename.upper().replace(" ", "-"))
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(lambda: driver.current_url.endswith("/case"))
    page = driver.page_source
    with closing(connect(live_server.instance)) as conn:
        case_id = conn.execute("SELECT id FROM cases").fetchone()[0]
        case = case_store.load_case_view(conn, case_id)
    assert case is not None and case.acknowledge_by and case.feedback_by
    assert case.acknowledge_by in page and case.feedback_by in page
    assert "New" in page and "Recorded by the server when your report arrived." in page
    assert [r.display_name for r in case.reviewers] == ["Dana Adviser"]

    driver.find_element(By.ID, "message").send_keys("I remembered another witness.")
    driver.find_element(By.CSS_SELECTOR, "form[action='/case/followup'] input[type=file]").send_keys(str(evidence))
    driver.find_element(By.CSS_SELECTOR, "form[action='/case/followup'] button[type=submit]").click()
    wait(lambda: "Your follow-up was sealed and sent" in driver.page_source)

    report = open_stored_submission(live_server.instance, case_id, reviewers["adviser"])
    assert report.fields["what"] == "He shouted at me in the meeting, browser test."
    assert report.fields["category"] == "bullying" and report.fields["who"] == "The treasurer"
    assert report.attachments[0].info.name == "evidence scan.pdf"
    assert report.attachments[0].location == evidence_bytes
    with closing(connect(live_server.instance)) as conn:
        followup = [s for s in case_store.list_submissions(conn, case_id) if s.kind == "followup"][0]
    opened = open_stored_submission(
        live_server.instance,
        followup.id,
        reviewers["adviser"],
        expected_case=case_id,
        expected_reporter=report.reporter,
    )
    assert opened.fields["message"] == "I remembered another witness."
    assert opened.attachments[0].location == evidence_bytes
