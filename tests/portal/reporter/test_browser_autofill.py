"""Nothing the reporter types is kept by the browser's autofill (issue 12, item 4), in real
headless Chromium with a persistent profile against a real gunicorn.

Chromium keeps what is typed into a text `<input>` of a submitted form in its profile's
`Web Data` (an SQLite database; table `autofill`: name, value, lowercased value) and
offers it again on any site with a field of that name, unless the field says
`autocomplete="off"`. Each test types distinct marker text, key by key, into the report
form's text fields (the category is a choice; the hidden spam trap is never filled by a
person, and filling it gets the report refused), sends it, types markers into the
codename confirmation and, after a fresh visit, into the follow-up login field and sends
both (refused: they are not codenames), then quits Chromium cleanly so it writes its
databases, and scans every file of the profile: raw bytes (UTF-8 and UTF-16, as typed
and lowercased), and every table of every SQLite file dumped as text. Once with
JavaScript on (sealed on the device), once with JavaScript off (the server's path).

The scan can fail: the control case serves a plain page from a tiny local http.server
with `<input name="where">` WITHOUT autocomplete="off", submitted the same way; headless
Chromium 156 does save that marker in `Web Data`'s `autofill` table, and the control
asserts that it does (a Chromium that stopped saving autofill would fail the control
rather than let the portal's test pass unseen). Removing autocomplete="off" from the
report's "where" field makes both portal cases fail on `Web Data` (checked by hand).

Found on the way, not an autofill matter: Chromium's session-restore files keep the body
of every form POST answered with a page instead of a redirect, autocomplete="off" or
not. With JavaScript off that is the whole report, a refused codename confirmation and a
refused follow-up login; the strict xfail below records it until those routes answer
with Post/Redirect/Get. With JavaScript on nothing is posted and the whole profile is clean.
"""

from __future__ import annotations

import http.server
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_support import OrgInstance, prepare_org_instance, problem_text, wait_for
from tests.support.chromium_support import make_chromium

pytestmark = [pytest.mark.live, pytest.mark.browser]

REPORT_TEXT_FIELDS = ("what", "when", "where", "who", "outcome")
SQLITE_HEADER = b"SQLite format 3\0"


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


@pytest.fixture
def org(instance_dir: Path) -> OrgInstance:
    return prepare_org_instance(instance_dir)


def _markers(tag: str, names: tuple[str, ...]) -> dict[str, str]:
    # Letters only around the tag, so no field's own rules (codename words) change them.
    return {name: f"Marker{name.capitalize()}{tag}" for name in names}


def _sqlite_text(path: Path, work: Path) -> str:
    """Every table of one SQLite file, every value as text. A copy is opened (read-only
    use of the profile's own file could still leave a journal beside it)."""
    copy = work / f"{path.name}.{secrets.token_hex(4)}.sqlite"
    shutil.copyfile(path, copy)
    for suffix in ("-wal", "-journal"):
        if path.with_name(path.name + suffix).exists():
            shutil.copyfile(path.with_name(path.name + suffix), copy.with_name(copy.name + suffix))
    lines: list[str] = []
    with closing(sqlite3.connect(copy)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from sqlite_master
                for value in row:
                    if isinstance(value, bytes):
                        lines.append(value.decode("utf-8", errors="replace"))
                        lines.append(value.decode("utf-16-le", errors="replace"))
                    elif value is not None:
                        lines.append(str(value))
    return "\n".join(lines)


def _scan_profile(profile: Path, markers: dict[str, str], work: Path) -> dict[str, list[str]]:
    """Where in the profile each marker is found: file paths, and `path [sqlite]` for a
    find in an SQLite file's dumped tables."""
    work.mkdir(exist_ok=True)
    needles: dict[str, list[bytes]] = {}
    for name, marker in markers.items():
        needles[name] = [
            form.encode(encoding) for form in (marker, marker.lower()) for encoding in ("utf-8", "utf-16-le")
        ]
    found: dict[str, list[str]] = {}
    files = [path for path in profile.rglob("*") if path.is_file()]
    assert files, "the profile is empty"
    for path in files:
        data = path.read_bytes()
        dumped = ""
        if data.startswith(SQLITE_HEADER):
            dumped = _sqlite_text(path, work).lower()
        for name, forms in needles.items():
            if any(form in data for form in forms):
                found.setdefault(name, []).append(str(path.relative_to(profile)))
            if dumped and markers[name].lower() in dumped:
                found.setdefault(name, []).append(f"{path.relative_to(profile)} [sqlite]")
    return found


def _type(driver: Any, element_id: str, text: str) -> None:
    element = driver.find_element(_by().ID, element_id)
    element.clear()
    element.send_keys(text)


def _codename_words(driver: Any) -> str:
    return " ".join(item.text for item in driver.find_elements(_by().CSS_SELECTOR, "ol.codename li"))


def _visit_and_type_everything(driver: Any, base_url: str, markers: dict[str, str], *, javascript: bool) -> None:
    By = _by()
    driver.get(base_url + "/report")
    if javascript:
        wait_for(driver, lambda: driver.find_element(By.CSS_SELECTOR, "form.report-form").get_attribute("data-sealing"))
    for name in REPORT_TEXT_FIELDS:
        _type(driver, name, markers[name])
    driver.find_element(By.CSS_SELECTOR, "form.report-form button[type=submit]").click()
    wait_for(
        driver, lambda: driver.find_elements(By.CSS_SELECTOR, "ol.codename li") or problem_text(driver, "seal-problem")
    )
    assert not problem_text(driver, "seal-problem"), problem_text(driver, "seal-problem")
    codename = _codename_words(driver)
    assert len(codename.split()) == 8, codename

    # A confirmation that is not the codename: refused, the codename still shown.
    _type(driver, "codename", markers["confirm"])
    driver.find_element(By.CSS_SELECTOR, "form:has(#codename) button[type=submit]").click()
    wait_for(
        driver,
        lambda: (
            driver.find_element(By.ID, "codename-error").get_attribute("hidden") is None
            or problem_text(driver, "codename-problem")
        ),
    )
    # Then the real one: on to the case page, and a follow-up with marker text.
    _type(driver, "codename", codename)
    driver.find_element(By.CSS_SELECTOR, "form:has(#codename) button[type=submit]").click()
    wait_for(driver, lambda: driver.current_url.endswith("/case") and driver.find_elements(By.ID, "message"))
    if javascript:
        wait_for(driver, lambda: driver.find_element(By.ID, "followup-form").get_attribute("data-sealing"))
    _type(driver, "message", markers["message"])
    driver.find_element(By.CSS_SELECTOR, "#followup-form button[type=submit]").click()
    wait_for(
        driver,
        lambda: "Your follow-up was sealed and sent" in driver.page_source or problem_text(driver, "followup-problem"),
    )
    assert not problem_text(driver, "followup-problem"), problem_text(driver, "followup-problem")
    driver.find_element(By.CSS_SELECTOR, "#logout-form button").click()
    # Leave is done once the landing page has loaded (not merely once the URL moved on).
    wait_for(
        driver,
        lambda: (
            driver.current_url.rstrip("/") == base_url.rstrip("/")
            and driver.execute_script("return document.readyState") == "complete"
        ),
    )

    # A later visit: the follow-up login field, sent with text that is not a codename.
    driver.get(base_url + "/followup")
    wait_for(driver, lambda: driver.find_elements(By.ID, "codename"))
    _type(driver, "codename", markers["login"])
    driver.find_element(By.CSS_SELECTOR, "#followup-login-form button[type=submit]").click()
    wait_for(
        driver,
        lambda: (
            driver.find_element(By.ID, "codename-error").get_attribute("hidden") is None
            or problem_text(driver, "login-problem")
        ),
    )
    # A last page with nothing typed, so the tab's own state holds no form.
    driver.get(base_url + "/")
    time.sleep(1)


def _session_restore_file(relative: str) -> bool:
    # Chromium's session restore: Sessions/Session_*, Sessions/Tabs_* (older versions:
    # Current Session, Last Session, Current Tabs, Last Tabs).
    return relative.split(" [")[0].startswith("Default/Sessions/") or relative.split(" [")[0].split("/")[-1] in {
        "Current Session",
        "Last Session",
        "Current Tabs",
        "Last Tabs",
    }


def _report_with_markers(live_server: Any, tmp_path: Path, *, javascript: bool) -> tuple[Path, dict[str, list[str]]]:
    """The whole visit in a persistent profile, Chromium quit cleanly; the profile and
    where each marker was found in it."""
    tag = secrets.token_hex(5)
    markers = _markers(tag, (*REPORT_TEXT_FIELDS, "confirm", "message", "login"))
    profile = tmp_path / "chromium-autofill"
    profile.mkdir()
    driver = make_chromium(profile, javascript=javascript)
    try:
        _visit_and_type_everything(driver, live_server.url, markers, javascript=javascript)
    finally:
        driver.quit()  # a clean quit: Chromium writes Web Data and its other files
    time.sleep(1)
    assert (profile / "Default" / "Web Data").is_file(), "Chromium wrote no Web Data: nothing was checked"
    return profile, _scan_profile(profile, markers, tmp_path / "scan")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_chromium_keeps_none_of_the_reporters_words_in_autofill_or_any_other_store(
    org: OrgInstance, live_server: Any, tmp_path: Path, javascript: bool
) -> None:
    profile, found = _report_with_markers(live_server, tmp_path, javascript=javascript)
    with closing(sqlite3.connect(f"file:{profile / 'Default' / 'Web Data'}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT count(*) FROM autofill").fetchone()[0] == 0
    outside_sessions = {
        name: [place for place in places if not _session_restore_file(place)] for name, places in found.items()
    }
    assert {name: places for name, places in outside_sessions.items() if places} == {}
    if javascript:
        # Sealed on the device: no form is ever posted, so not even session restore holds a word.
        assert found == {}


@pytest.mark.xfail(
    strict=True,
    reason="known, not fixed here: Chromium's session-restore files (Default/Sessions/) keep the body of "
    "every form POST whose answer is a page rather than a 303 redirect: on the no-JavaScript path the "
    "whole report (POST /report answers with the codename page), a refused codename confirmation and a "
    "refused follow-up login. Needs Post/Redirect/Get on those three routes.",
)
def test_no_javascript_path_leaves_no_words_in_session_restore(
    org: OrgInstance, live_server: Any, tmp_path: Path
) -> None:
    _profile, found = _report_with_markers(live_server, tmp_path, javascript=False)
    assert found == {}


# --- the control: a field without autocomplete="off" is kept ----------------------------------------


PLAIN_FORM = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plain form</title></head>
<body><form method="post" action="/sent">
<label for="where">Where did it happen?</label> <input type="text" id="where" name="where">
<button type="submit">Send</button>
</form></body></html>"""
SENT = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sent</title></head><body><p>Sent.</p></body></html>"""


class _PlainHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(PLAIN_FORM)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer(SENT)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        pass


@pytest.fixture
def plain_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript-on", "javascript-off"])
def test_control_a_field_without_autocomplete_off_is_kept_in_web_data(
    plain_site: str, tmp_path: Path, javascript: bool
) -> None:
    By = _by()
    markers = _markers(secrets.token_hex(5), ("where",))
    profile = tmp_path / "chromium-control"
    profile.mkdir()
    driver = make_chromium(profile, javascript=javascript)
    try:
        driver.get(plain_site + "/")
        _type(driver, "where", markers["where"])
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(driver, lambda: driver.title == "Sent")
        driver.get(plain_site + "/")
        time.sleep(1)
    finally:
        driver.quit()
    time.sleep(1)
    found = _scan_profile(profile, markers, tmp_path / "scan")
    assert "Default/Web Data [sqlite]" in found.get("where", []), found
    web_data = tmp_path / "web-data-copy"
    shutil.copyfile(profile / "Default" / "Web Data", web_data)
    with closing(sqlite3.connect(web_data)) as conn:
        rows = conn.execute("SELECT name, value FROM autofill WHERE name = 'where'").fetchall()
    assert ("where", markers["where"]) in rows
