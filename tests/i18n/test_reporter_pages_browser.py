"""The reporter pages in every language in a real headless Chromium, JavaScript on
and off: axe-core finds no WCAG 2.2 AA violation, Urdu lays out right to left at
390 px without anything overflowing, the language switch and the quick exit work
without JavaScript, and with it the quick exit replaces the history entry and
answers Escape. Also the workspace's tables at 390 px and the chosen-files list."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_support import file_report_in_browser, problem_text, wait_for
from tests.support.scrub_photos import AUTHOR, photo_jpeg

pytestmark = [pytest.mark.browser, pytest.mark.live]

HERE = Path(__file__).resolve().parent
AXE = (HERE / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
LANGUAGES = ("en", "cy", "pl", "pa", "ur")
PAGES = ("/", "/report", "/followup", "/no-such-page")
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NEUTRAL_TITLE = "An ordinary page"


class _Neutral(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = f"<!doctype html><title>{NEUTRAL_TITLE}</title><p>Weather".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def neutral_site() -> Iterator[str]:
    """A stand-in for the organisation's neutral page, on loopback."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Neutral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/weather"
    server.shutdown()


@pytest.fixture
def instance_dir(instance_dir: Path, neutral_site: str) -> Path:
    with (instance_dir / "candour.cfg").open("a", encoding="utf-8") as cfg:
        cfg.write(f"\nQUICK_EXIT_URL = {neutral_site!r}\n")
    return instance_dir


@pytest.fixture
def portal(live_server: Any, add_reviewer: Any) -> Any:
    add_reviewer(live_server.instance, "Asha Adviser", "Equality officer", required=True)
    add_reviewer(live_server.instance, "Sam Handler", "Case handler")
    return live_server


def _by(name: str) -> Any:
    from selenium.webdriver.common.by import By

    return getattr(By, name)


def _choose_language(driver: Any, base: str, language: str) -> None:
    driver.get(f"{base}/language/{language}?next=/")
    wait_for(driver, lambda: driver.find_element(_by("TAG_NAME"), "html").get_attribute("lang") == language)


def _axe_violations(driver: Any) -> list[dict[str, Any]]:
    driver.execute_script(AXE)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)})))))"
        ".catch(e => done(JSON.stringify([{id: 'axe-error', nodes: [String(e)]}])));",
        WCAG_22_AA,
    )
    violations: list[dict[str, Any]] = json.loads(result)
    return violations


def _wait_loaded(driver: Any) -> None:
    wait_for(driver, lambda: driver.execute_script("return document.readyState") == "complete")


def _file_report_without_js(driver: Any, base: str) -> None:
    """The no-JavaScript path through the real form: report, codename page, case page."""
    driver.get(base + "/report")
    driver.find_element(_by("ID"), "what").send_keys("The branch secretary shouted at me in the meeting.")
    driver.find_element(_by("CSS_SELECTOR"), "form.report-form button[type=submit]").click()
    wait_for(driver, lambda: driver.find_elements(_by("CSS_SELECTOR"), "ol.codename li"), timeout=120)


def _codename(driver: Any) -> str:
    return " ".join(li.text for li in driver.find_elements(_by("CSS_SELECTOR"), "ol.codename li"))


def _confirm(driver: Any, words: str) -> None:
    field = driver.find_element(_by("ID"), "codename")
    field.clear()  # a refused confirmation puts back what was typed
    field.send_keys(words)
    driver.find_element(_by("CSS_SELECTOR"), "form button[type=submit]").click()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_axe_finds_no_violation_on_any_reporter_page_in_any_language(
    portal: Any, tmp_path: Path, javascript: bool
) -> None:
    from tests.support.chromium_support import make_chromium

    profile = tmp_path / "profile"
    profile.mkdir()
    # axe itself needs JavaScript, so "off" is JavaScript on with every script of the
    # page blocked from loading: the page's own code never runs, as with it switched
    # off (the pages use no <noscript>), while WebDriver can still run axe.
    driver = make_chromium(profile, javascript=True)
    if not javascript:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*.js", "*.mjs"]})
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        for language in LANGUAGES:
            _choose_language(driver, portal.url, language)
            for page in PAGES:
                driver.get(portal.url + page)
                _wait_loaded(driver)
                assert driver.find_element(_by("TAG_NAME"), "html").get_attribute("lang") == language
                violations = _axe_violations(driver)
                if violations:
                    found[f"{language} {page}"] = violations
            if not javascript:
                # The pages only a sent form reaches: the codename page (a wrong
                # confirmation too) and the case page with its dates.
                _file_report_without_js(driver, portal.url)
                words = _codename(driver)
                found.update({f"{language} codename": v for v in [_axe_violations(driver)] if v})
                _confirm(driver, "wrong words")
                wait_for(driver, lambda: driver.find_elements(_by("CSS_SELECTOR"), "#codename-error:not([hidden])"))
                found.update({f"{language} codename mismatch": v for v in [_axe_violations(driver)] if v})
                _confirm(driver, words)
                wait_for(driver, lambda: driver.find_elements(_by("ID"), "deadlines-heading"), timeout=120)
                found.update({f"{language} case": v for v in [_axe_violations(driver)] if v})
                driver.delete_all_cookies()
        # axe really looks: a page stripped of its language is a violation.
        driver.execute_script("document.documentElement.removeAttribute('lang')")
        assert "html-has-lang" in {violation["id"] for violation in _axe_violations(driver)}
    finally:
        driver.quit()
    assert found == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_nothing_overflows_at_390_px(portal: Any, chromium_no_js: Any, language: str) -> None:
    driver = chromium_no_js
    driver.set_window_size(390, 844)
    _choose_language(driver, portal.url, language)
    for page in PAGES:
        driver.get(portal.url + page)
        _wait_loaded(driver)
        overflow = driver.execute_script(
            "const width = document.documentElement.clientWidth;"
            "const out = [];"
            "const page = document.documentElement.scrollWidth;"
            "if (page > width) out.push('page ' + page);"
            "for (const el of document.body.querySelectorAll('*')) {"
            "  if (el.closest('.trap, .skip-link, [hidden], template')) continue;"
            "  const r = el.getBoundingClientRect();"
            "  if (r.width === 0 && r.height === 0) continue;"
            "  if (r.left < -1 || r.right > width + 1)"
            "    out.push(el.tagName + '.' + el.className + ' ' + r.left + '..' + r.right);"
            "}"
            "return out;"
        )
        assert overflow == [], f"{language} {page}: {overflow[:5]}"


def test_urdu_is_right_to_left_with_accents_on_the_start_side(portal: Any, chromium_no_js: Any, tmp_path: Path) -> None:
    driver = chromium_no_js
    driver.set_window_size(390, 844)
    _choose_language(driver, portal.url, "ur")
    driver.get(portal.url + "/followup")
    assert driver.find_element(_by("TAG_NAME"), "html").get_attribute("dir") == "rtl"
    assert driver.execute_script("return getComputedStyle(document.body).direction") == "rtl"
    # The header: site name at the start (right), "Leave this site" at the end (left).
    name = driver.find_element(_by("CSS_SELECTOR"), ".site-name").rect
    leave = driver.find_element(_by("CSS_SELECTOR"), ".quick-exit").rect
    assert leave["x"] < name["x"]
    # A refused codename: the error bar on the field sits on the right.
    driver.find_element(_by("ID"), "codename").send_keys("not a codename at all")
    driver.find_element(_by("CSS_SELECTOR"), "#followup-login-form button[type=submit]").click()
    wait_for(driver, lambda: driver.find_elements(_by("CSS_SELECTOR"), ".field-error"))
    field = driver.find_element(_by("CSS_SELECTOR"), ".field-error")
    right = driver.execute_script("return getComputedStyle(arguments[0]).borderRightWidth", field)
    left = driver.execute_script("return getComputedStyle(arguments[0]).borderLeftWidth", field)
    assert (right, left) == ("4px", "0px")
    # The codename box stays left to right: English words in their order.
    textarea = driver.find_element(_by("ID"), "codename")
    assert driver.execute_script("return getComputedStyle(arguments[0]).direction", textarea) == "ltr"
    screenshot = tmp_path / "urdu-followup-390.png"
    driver.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    # The same page in English has its accent on the left.
    _choose_language(driver, portal.url, "en")
    driver.get(portal.url + "/followup")
    driver.find_element(_by("ID"), "codename").send_keys("not a codename at all")
    driver.find_element(_by("CSS_SELECTOR"), "#followup-login-form button[type=submit]").click()
    field = wait_for(driver, lambda: driver.find_elements(_by("CSS_SELECTOR"), ".field-error"))[0]
    assert driver.execute_script("return getComputedStyle(arguments[0]).borderLeftWidth", field) == "4px"


def test_language_switch_without_javascript(portal: Any, chromium_no_js: Any) -> None:
    driver = chromium_no_js
    driver.get(portal.url + "/report")
    driver.find_element(_by("CSS_SELECTOR"), '.language-switch a[hreflang="cy"]').click()
    wait_for(driver, lambda: driver.find_element(_by("TAG_NAME"), "html").get_attribute("lang") == "cy")
    assert driver.current_url == portal.url + "/report"
    assert driver.find_element(_by("TAG_NAME"), "h1").text == "Gwneud adroddiad"
    # Remembered for the next page, and only the code is in the cookie.
    driver.get(portal.url + "/")
    assert driver.find_element(_by("TAG_NAME"), "html").get_attribute("lang") == "cy"
    cookie = driver.get_cookie("candour_lang")
    assert cookie["value"] == "cy" and "expiry" not in cookie
    driver.find_element(_by("CSS_SELECTOR"), '.language-switch a[hreflang="ur"]').click()
    wait_for(driver, lambda: driver.find_element(_by("TAG_NAME"), "html").get_attribute("dir") == "rtl")


def test_quick_exit_without_javascript(portal: Any, chromium_no_js: Any, neutral_site: str) -> None:
    driver = chromium_no_js
    for page in ("/", "/report", "/followup"):
        _choose_language(driver, portal.url, "pl")
        driver.get(portal.url + page)
        assert driver.get_cookie("candour_lang") is not None
        link = driver.find_element(_by("CSS_SELECTOR"), "a.quick-exit")
        assert link.is_displayed() and link.text == "Opuść tę stronę"
        link.click()
        wait_for(driver, lambda: driver.title == NEUTRAL_TITLE)
        assert driver.current_url == neutral_site
        # The visit ended on the way out: back on the portal, nothing is remembered.
        driver.get(portal.url + "/")
        assert driver.get_cookie("candour_lang") is None
        assert driver.find_element(_by("TAG_NAME"), "html").get_attribute("lang") == "en"


def test_quick_exit_with_javascript_replaces_the_page_and_answers_escape(
    portal: Any, chromium: Any, neutral_site: str
) -> None:
    from selenium.webdriver.common.keys import Keys

    driver = chromium
    driver.get(portal.url + "/")
    driver.get(portal.url + "/report")
    _wait_loaded(driver)
    driver.execute_script("sessionStorage.setItem('candour-test', 'codename keys')")
    depth = driver.execute_script("return history.length")
    driver.find_element(_by("CSS_SELECTOR"), "a.quick-exit").click()
    wait_for(driver, lambda: driver.title == NEUTRAL_TITLE)
    assert driver.execute_script("return history.length") == depth  # replaced, not added
    driver.back()
    wait_for(driver, lambda: driver.current_url.rstrip("/") == portal.url)  # the report page is gone
    assert driver.execute_script("return sessionStorage.getItem('candour-test')") is None

    # Escape, even while typing in the report.
    driver.get(portal.url + "/report")
    _wait_loaded(driver)
    wait_for(driver, lambda: driver.execute_script("return !!document.querySelector('a[data-quick-exit]')"))
    driver.find_element(_by("ID"), "what").send_keys("half a sentence", Keys.ESCAPE)
    wait_for(driver, lambda: driver.title == NEUTRAL_TITLE)
    assert driver.current_url == neutral_site


def test_chosen_photos_are_listed_and_cleaned_on_the_device(portal: Any, chromium: Any, tmp_path: Path) -> None:
    driver = chromium
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(photo_jpeg())
    note = tmp_path / "notes.pdf"
    note.write_bytes(b"%PDF-1.7\n" + bytes(100))
    driver.get(portal.url + "/report")
    _wait_loaded(driver)
    module = re.search(r'src="(/static/v/[0-9a-f]+/)js/quick-exit.js"', driver.page_source)
    assert module is not None
    base = module.group(1)
    # Until report-page.js imports it, load the list module the way it will be loaded.
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"import('{base}js/scrub-files.js').then(m => {{ window.__scrub = m; done(true); }});"
    )
    driver.find_element(_by("ID"), "attachments").send_keys(f"{photo}\n{note}")
    wait_for(driver, lambda: driver.find_elements(_by("ID"), "scrub-keep-0"))
    panel = driver.find_element(_by("ID"), "scrub-files")
    assert panel.is_displayed()
    assert "Location and camera details removed." in driver.find_element(_by("ID"), "scrub-note-0").text
    assert "author's name" in driver.find_element(_by("ID"), "scrub-note-1").text
    script = (
        "const done = arguments[arguments.length - 1];"
        "window.__scrub.filesToSeal(document.getElementById('attachments'))"
        ".then(files => Promise.all(files.map(f => f.arrayBuffer())))"
        ".then(buffers => done(buffers.map(b => btoa(String.fromCharCode(...new Uint8Array(b))))));"
    )
    import base64

    cleaned = [base64.b64decode(b) for b in driver.execute_async_script(script)]
    assert AUTHOR.encode() not in cleaned[0] and cleaned[0].startswith(b"\xff\xd8")
    assert cleaned[1] == note.read_bytes()
    driver.find_element(_by("CSS_SELECTOR"), 'label[for="scrub-keep-0"]').click()
    assert "hidden details included" in driver.find_element(_by("ID"), "scrub-note-0").text
    kept = [base64.b64decode(b) for b in driver.execute_async_script(script)]
    assert kept[0] == photo.read_bytes()

    # A chosen file can be taken off the list again.
    driver.find_element(_by("ID"), "scrub-remove-1").click()
    wait_for(driver, lambda: len(driver.find_elements(_by("CSS_SELECTOR"), "#scrub-files-list li")) == 1)
    assert driver.execute_script("return document.getElementById('attachments').files.length") == 1
    assert driver.find_element(_by("ID"), "scrub-name-0").text == "holiday.jpg"


def test_no_language_link_while_a_new_codename_is_shown(portal: Any, chromium: Any) -> None:
    driver = chromium
    _choose_language(driver, portal.url, "cy")
    driver.get(portal.url + "/report")
    assert driver.find_element(_by("CSS_SELECTOR"), ".language-switch").is_displayed()
    file_report_in_browser(driver, portal.url, {"what": "Sealed on the device, in Welsh."}, [])
    assert problem_text(driver, "seal-problem") == ""
    assert len(driver.find_elements(_by("CSS_SELECTOR"), "ol.codename li")) == 8
    switches = driver.find_elements(_by("CSS_SELECTOR"), ".language-switch")
    assert switches and not switches[0].is_displayed()
    assert driver.find_element(_by("CSS_SELECTOR"), "a.quick-exit").is_displayed()
