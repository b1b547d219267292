"""The landing page, through the test client, a real gunicorn and headless Chromium."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT

from portal import create_app


class _Outline(HTMLParser):
    """Collects what the accessibility checks below need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.h1_count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "h1":
            self.h1_count += 1


def _outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    return parser


def test_landing_without_reviewers_says_so(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/").get_data(as_text=True)
    assert "No reviewers have been set up yet" in html


def test_landing_lists_active_reviewers(instance_dir: Path, add_reviewer: Callable[..., Any]) -> None:
    adviser = add_reviewer(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    handler = add_reviewer(instance_dir, "Sam Handler", "Case handler")
    gone = add_reviewer(instance_dir, "Former Reviewer", "Ex-member")
    remove = create_app(str(instance_dir)).test_cli_runner().invoke(args=["reviewer", "remove", gone.key_id.hex()])
    assert remove.exit_code == 0

    html = create_app(str(instance_dir)).test_client().get("/").get_data(as_text=True)
    assert "Dana Adviser" in html and "Independent adviser" in html and adviser.fingerprint in html
    assert "Sam Handler" in html and "Case handler" in html and handler.fingerprint in html
    assert "Former Reviewer" not in html
    # Only the required reviewer is marked, and required reviewers come first.
    assert html.count("Always receives reports") == 1
    assert html.index("Dana Adviser") < html.index("Always receives reports") < html.index("Sam Handler")


def test_one_running_app_shows_a_reviewer_change_at_once(instance_dir: Path, add_reviewer: Callable[..., Any]) -> None:
    # The running app keeps its rendering of the landing page: a reviewer added or
    # removed by the CLI (another process in production) must still show on the next
    # request, and a page asked for in another language must be in that language.
    client = create_app(str(instance_dir), overrides={"TESTING": True}).test_client()
    assert "No reviewers have been set up yet" in client.get("/").get_data(as_text=True)
    added = add_reviewer(instance_dir, "Dana Adviser", "Independent adviser")
    assert "Dana Adviser" in client.get("/").get_data(as_text=True)
    remove = create_app(str(instance_dir)).test_cli_runner().invoke(args=["reviewer", "remove", added.key_id.hex()])
    assert remove.exit_code == 0
    assert "Dana Adviser" not in client.get("/").get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    welsh = client.get("/", headers={"Accept-Language": "cy"}).get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="cy"' in welsh


def test_landing_is_accessible_and_self_contained(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/").get_data(as_text=True)
    outline = _outline(html)
    tags = [tag for tag, _attrs in outline.tags]
    assert outline.h1_count == 1
    for landmark in ("header", "main", "footer", "nav"):
        assert landmark in tags, landmark
    html_attrs = dict(outline.tags)["html"]
    assert html_attrs.get("lang") == "en"
    # Skip link first, pointing at <main id="main">.
    first_link = next(attrs for tag, attrs in outline.tags if tag == "a")
    assert first_link.get("href") == "#main"
    assert any(tag == "main" and attrs.get("id") == "main" for tag, attrs in outline.tags)
    # No inline script or style, nothing from another origin. The only script is the
    # quick exit's, from this origin with its hash.
    scripts = [attrs for tag, attrs in outline.tags if tag == "script"]
    assert [re.sub(r"^/static/v/[0-9a-f]{16}/", "/static/", attrs.get("src") or "") for attrs in scripts] == [
        "/static/js/quick-exit.js"
    ]
    assert all((attrs.get("integrity") or "").startswith("sha384-") for attrs in scripts)
    assert not any("style" in attrs for _tag, attrs in outline.tags)
    assert "<style" not in html
    for _tag, attrs in outline.tags:
        for attribute in ("src", "href", "action"):
            value = attrs.get(attribute) or ""
            assert not re.match(r"^(https?:)?//", value), value
    hrefs = [attrs.get("href") for tag, attrs in outline.tags if tag == "a"]
    assert "/report" in hrefs and "/followup" in hrefs


def test_stylesheet_has_focus_styles_and_no_remote_content() -> None:
    css = (REPO_ROOT / "static" / "css" / "candour.css").read_text()
    assert ":focus-visible" in css
    assert "@import" not in css and "url(" not in css


@pytest.mark.live
def test_landing_through_real_gunicorn(live_server, add_reviewer: Callable[..., Any]) -> None:  # type: ignore[no-untyped-def]
    public = add_reviewer(live_server.instance, "Rosa Reviewer", "Independent adviser", required=True)
    with urllib.request.urlopen(live_server.url + "/", timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200
        headers = response.headers
        html = response.read().decode("utf-8")
    assert "Rosa Reviewer" in html and public.fingerprint in html
    assert "Always receives reports" in html
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.live
def test_gunicorn_logs_no_request_lines_or_client_addresses(live_server) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/no-such-page?canary=the-canary-4711", "/static/css/candour.css"):
        try:
            urllib.request.urlopen(live_server.url + path, timeout=10).close()  # noqa: S310 - loopback
        except urllib.error.HTTPError as error:
            assert error.code == 404
    # A malformed request makes gunicorn log a warning, replaced by the fixed sentence
    # of config/gunicorn.conf.py (it would otherwise say "Invalid request from ip=…").
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"NOT-HTTP \x00\x01\r\n\r\n")
        sock.recv(1024)
    stderr = live_server.stderr()
    assert "Refused a malformed request" in stderr, "expected gunicorn to log the malformed request:\n" + stderr
    assert "Invalid request" not in stderr
    bind_address = f"127.0.0.1:{port}"
    assert "127.0.0.1" not in stderr.replace(bind_address, "")
    for request_trace in ("GET /", "the-canary-4711", "HTTP/1.1", "no-such-page"):
        assert request_trace not in stderr
    # Dates only: no clock time on any line.
    assert not re.search(r"\d{2}:\d{2}:\d{2}", stderr), stderr


@pytest.mark.live
@pytest.mark.browser
def test_landing_in_chromium_without_javascript(live_server, chromium_no_js, add_reviewer) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    add_reviewer(live_server.instance, "Rosa Reviewer", "Independent adviser", required=True)
    chromium_no_js.get(live_server.url + "/")
    heading = chromium_no_js.find_element(By.TAG_NAME, "h1")
    assert heading.text == "Report wrongdoing safely and anonymously"
    assert "Rosa Reviewer" in chromium_no_js.find_element(By.CSS_SELECTOR, ".reviewers").text
    # The stylesheet loaded (same origin, allowed by the CSP): the header is coloured.
    header_colour = chromium_no_js.find_element(By.CSS_SELECTOR, ".site-header").value_of_css_property(
        "background-color"
    )
    assert header_colour not in ("rgba(0, 0, 0, 0)", "transparent")


@pytest.mark.live
@pytest.mark.browser
def test_landing_fits_a_320px_screen(live_server, chromium, add_reviewer) -> None:  # type: ignore[no-untyped-def]
    add_reviewer(live_server.instance, "A Reviewer With A Rather Long Name", "Independent adviser")
    chromium.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 320, "height": 640, "deviceScaleFactor": 1, "mobile": True}
    )
    chromium.get(live_server.url + "/")
    widths = chromium.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[1] == 320
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide on a 320px screen"


@pytest.mark.browser
def test_javascript_really_is_off_in_the_no_js_browser(chromium_no_js, chromium) -> None:  # type: ignore[no-untyped-def]
    # Guards the fixture itself: a <noscript> element renders only when scripting is off.
    from selenium.webdriver.common.by import By

    page = "data:text/html,<noscript><p id=off>off</p></noscript>"
    chromium_no_js.get(page)
    assert chromium_no_js.find_elements(By.ID, "off")[0].is_displayed()
    chromium.get(page)
    assert not chromium.find_elements(By.ID, "off")
