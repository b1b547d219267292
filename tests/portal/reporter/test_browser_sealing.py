"""Sealing in the browser, end to end: real gunicorn, real headless Chromium, a
recording proxy in between, and the reviewer's real offline tool.

- JavaScript on: a report (marker text in every field, an attachment of random bytes
  with a marker name), the codename confirmed, a fresh login with the codename, a
  follow-up. Every byte the browser sent is searched for the markers, a 64-byte slice
  of the attachment and the codename: none may be there. The instance (files,
  database, log) is scanned too. The reviewer exports, decrypts with
  `python -m crypto decrypt`, replies with `python -m crypto reply`, uploads; the
  reporter's browser shows the reply verified, and a forged and a mis-bound reply as
  rejected.
- The scan can fail: the same scan over a no-JavaScript report finds its marker.
- WebAssembly disabled: the page says so and the server path seals the report.
- Fail closed: a reviewer list that does not verify against the page's organisation
  fingerprint → nothing is posted and the page says so.
- 100 MB: sealed on the device with a progress bar, opened by the reviewer's tool,
  answered, the reply verified in the browser.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_support import (
    OrgInstance,
    file_report_in_browser,
    prepare_org_instance,
    problem_text,
    run_crypto,
    wait_for,
)
from tests.support.chromium_support import make_chromium
from tests.support.recording_proxy import RecordingProxy
from tests.support.reporter_support import open_stored_submission
from tests.support.workspace_support import create_account, csrf_token, sign_in_first_time

from crypto.identity import generate_reviewer_keys
from crypto.reply import make_reply
from portal import create_app
from portal.store import cases as case_store
from portal.store import db
from portal.store.reviewers import find_reviewer

pytestmark = [pytest.mark.live, pytest.mark.browser]

TEXT_FIELDS = ("what", "when", "where", "who", "outcome")


@pytest.fixture
def org(instance_dir: Path) -> OrgInstance:
    return prepare_org_instance(instance_dir)


@pytest.fixture
def server(org: OrgInstance, live_server: Any) -> Any:
    """gunicorn on an instance that has the organisation key and its signed list
    (prepared before gunicorn starts: it reads candour.cfg once)."""
    return live_server


@pytest.fixture
def proxy(server: Any, tmp_path: Path) -> Iterator[RecordingProxy]:
    port = int(server.url.rsplit(":", 1)[1])
    with RecordingProxy(port, tmp_path / "recorded") as recording:
        yield recording


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _codename_words(driver: Any) -> list[str]:
    return [item.text for item in driver.find_elements(_by().CSS_SELECTOR, "ol.codename li")]


def _confirm_codename(driver: Any, codename: str) -> None:
    By = _by()
    box = driver.find_element(By.ID, "codename")
    box.send_keys(" ".join(codename.split()[:7]))
    driver.find_element(By.CSS_SELECTOR, "#codename-confirm button[type=submit]").click()
    wait_for(driver, lambda: problem_text(driver, "codename-problem"))
    assert "The codename needs 8 words; you typed 7." in problem_text(driver, "codename-problem")
    assert _codename_words(driver) == codename.split()  # still shown
    box.clear()
    box.send_keys(codename)
    driver.find_element(By.CSS_SELECTOR, "#codename-confirm button[type=submit]").click()
    wait_for(driver, lambda: driver.current_url.endswith("/case"))


def _wait_replies_on_device(driver: Any) -> Any:
    By = _by()
    wait_for(
        driver,
        lambda: (
            driver.find_element(By.ID, "replies-device").get_attribute("data-state") == "verified-on-device"
            or problem_text(driver, "replies-problem")
        ),
    )
    assert not problem_text(driver, "replies-problem"), problem_text(driver, "replies-problem")
    return driver.find_element(By.ID, "replies-device")


def _login_with_codename(driver: Any, base_url: str, typed: str) -> None:
    By = _by()
    driver.get(base_url + "/followup")
    wait_for(driver, lambda: driver.find_element(By.ID, "followup-login-form").get_attribute("data-sealing"))
    driver.find_element(By.ID, "codename").send_keys(typed)
    driver.find_element(By.CSS_SELECTOR, "#followup-login-form button[type=submit]").click()
    wait_for(driver, lambda: driver.current_url.endswith("/case"))


def _send_followup(driver: Any, message: str, attachment: Path | None) -> None:
    By = _by()
    form = driver.find_element(By.ID, "followup-form")
    wait_for(driver, lambda: form.get_attribute("data-sealing") == "device")
    driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, "message"), message)
    if attachment is not None:
        form.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(attachment))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(
        driver,
        lambda: "Your follow-up was sealed and sent" in driver.page_source or problem_text(driver, "followup-problem"),
    )
    assert not problem_text(driver, "followup-problem"), problem_text(driver, "followup-problem")


def _only_case(instance: Path) -> str:
    with closing(db.connect(instance)) as conn:
        (case_id,) = [row[0] for row in conn.execute("SELECT id FROM cases")]
    return str(case_id)


def _forbidden(codename: str, markers: dict[str, str], attachment: bytes) -> dict[str, bytes]:
    words = codename.split()
    needles = {f"marker {name}": value.encode() for name, value in markers.items()}
    middle = len(attachment) // 2
    needles["a 64-byte slice of the attachment"] = attachment[middle : middle + 64]
    needles["the codename"] = codename.encode()
    needles["the codename without spaces"] = codename.replace(" ", "").encode()
    for first, second in zip(words, words[1:], strict=False):
        for joiner in (" ", "+", "%20", "-", ""):
            needles[f"codename words {first}{joiner}{second}"] = f"{first}{joiner}{second}".encode()
    return needles


def _assert_none_received(proxy: RecordingProxy, needles: dict[str, bytes]) -> None:
    found = {what: proxy.find(needle) for what, needle in needles.items()}
    assert {what: where for what, where in found.items() if where} == {}


def _scan_instance(server: Any, needles: dict[str, bytes]) -> None:
    """The operator's view: every file under the instance, the database dumped with its
    key, gunicorn's log."""
    from tests.portal.reporter.test_reporter_live import _db_dump, _read

    for path in [p for p in server.instance.rglob("*") if p.is_file()]:
        data = _read(path)
        for what, needle in needles.items():
            assert needle not in data, f"{what} found in {path}"
    dump = _db_dump(server.instance)
    log = server.stderr().encode()
    for what, needle in needles.items():
        assert needle not in dump, f"{what} found in the database"
        assert needle not in log, f"{what} found in the gunicorn log"


def _reviewer_client(org: OrgInstance, name: str, username: str) -> Any:
    app = create_app(str(org.instance), overrides={"TESTING": True})
    signed = sign_in_first_time(
        app, username, create_account(org.instance, username, "reviewer", org.reviewers[name].public)
    )
    return signed.client


def _export(client: Any, path: Path) -> Path:
    response = client.post("/review/export", data={"csrf_token": csrf_token(client, "/review/"), "mode": "changed"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        for piece in response.response:
            out.write(piece)
    return path


def _decrypt(org: OrgInstance, out: Path, bundle: Path) -> Any:
    """The adviser's first decrypt on this machine: the export carries the organisation-
    signed list, so the kit asks for the organisation key's six words once (the ones the
    organisation gave out, never the server's) and pins that key in the casebook."""
    return run_crypto(
        "decrypt",
        "--key",
        org.key_files["adviser"],
        "--out",
        out,
        "--org-fingerprint",
        org.org.public.fingerprint,
        bundle,
    )


def _reply_and_upload(client: Any, org: OrgInstance, name: str, bundle: Path, case_id: str, text: str) -> None:
    from tests.portal.workspace.test_review_loop import upload

    message = bundle.parent / f"reply-{name}.txt"
    message.write_text(text + "\n", encoding="utf-8")
    replies = bundle.parent / f"replies-{name}.json"
    result = run_crypto(
        "reply",
        "--key",
        org.key_files[name],
        "--bundle",
        bundle,
        "--case",
        case_id,
        "--message-file",
        message,
        "-o",
        replies,
        "--status",
        "acknowledged",
        "--reason",
        "Received on the device path.",
    )
    assert result.returncode == 0, result.stderr
    status, page = upload(client, replies.read_bytes())
    assert status == 200 and "accepted: reply 1 on case" in page, page


def _reply_articles(driver: Any) -> list[tuple[str, str]]:
    By = _by()
    articles = driver.find_element(By.ID, "replies-device-list").find_elements(By.TAG_NAME, "article")
    return [(str(article.get_attribute("class")), str(article.text)) for article in articles]


# --- JavaScript on: nothing readable reaches the server ------------------------------------------


def test_browser_sealed_report_followup_and_reply(
    org: OrgInstance, server: Any, proxy: RecordingProxy, browser: Any, tmp_path: Path
) -> None:
    By = _by()
    tag = secrets.token_hex(5)
    markers = {name: f"Zebra-{name}-{tag}" for name in TEXT_FIELDS}
    markers["followup"] = f"Zebra-followup-{tag}"
    markers["file name"] = f"Zebra-name-{tag}"
    attachment = secrets.token_bytes(3 * 1024 * 1024) + f"Zebra-bytes-{tag}".encode()
    markers["attachment text"] = f"Zebra-bytes-{tag}"
    evidence = tmp_path / f"{markers['file name']}.bin"
    evidence.write_bytes(attachment)

    # 1. The report, sealed on the device; the optional handler is left out.
    fields = {"category": "bullying", **{name: f"{markers[name]} words" for name in TEXT_FIELDS}}
    samples: list[tuple[str, int]] = []
    file_report_in_browser(
        browser,
        proxy.url,
        fields,
        [evidence],
        untick=[org.reviewers["handler"].key_id.hex()],
        progress_samples=samples,
    )
    assert not problem_text(browser, "seal-problem"), problem_text(browser, "seal-problem")
    page = browser.page_source
    assert "sealed on your device before it was sent" in page
    assert ("seal-bar", 100) in samples and ("upload-bar", 100) in samples
    codename = " ".join(_codename_words(browser))
    assert len(codename.split()) == 8

    # 2. The confirmation step (a mistyped one first), then the case page via /followup/token.
    _confirm_codename(browser, codename)
    assert "It was sealed on your device before it was sent" in browser.page_source
    device = _wait_replies_on_device(browser)
    assert "No replies yet." in device.text
    case_id = _only_case(org.instance)
    with closing(db.connect(org.instance)) as conn:
        case = case_store.load_case_view(conn, case_id)
    assert case is not None and case.sealed_on == "browser"
    assert [r.display_name for r in case.reviewers] == ["Dana Adviser"]

    # 3. Leave (clears this tab's keys), come back with the codename typed loosely.
    browser.find_element(By.XPATH, "//button[contains(., 'Leave (log out)')]").click()
    wait_for(browser, lambda: browser.current_url == proxy.url + "/")
    assert browser.execute_script("return sessionStorage.length") == 0
    _login_with_codename(browser, proxy.url, codename.upper().replace(" ", " - "))
    _wait_replies_on_device(browser)

    # 4. A follow-up sealed on the device, with a file; its text holds a pasted table, whose
    # TABs the browser's writer turns into spaces exactly as Python's would (format.md §1.3).
    followup_message = f"{markers['followup']} I remembered more.\nDate\tWho\n3 May\tA. Manager"
    _send_followup(browser, followup_message, evidence)
    with closing(db.connect(org.instance)) as conn:
        submissions = case_store.list_submissions(conn, case_id)
    assert [(s.kind, s.sealed_on, s.part_count) for s in submissions] == [
        ("report", "browser", 2),
        ("followup", "browser", 2),
    ]

    # 5. What the server received: no marker, no attachment bytes, no codename. The
    # scan is not vacuous: the sealed routes and the token route were used.
    assert proxy.saw_request("POST", "/report/sealed")
    assert proxy.saw_request("POST", "/followup/token")
    assert proxy.saw_request("POST", "/case/followup/sealed")
    assert not proxy.saw_request("POST", "/report") and not proxy.saw_request("POST", "/followup")
    assert proxy.recorded_bytes_total() > 2 * len(attachment)
    needles = _forbidden(codename, markers, attachment)
    _assert_none_received(proxy, needles)
    _scan_instance(server, needles)

    # 6. The reviewer's offline tool opens both, and they are what was typed.
    client = _reviewer_client(org, "adviser", "dana")
    bundle = _export(client, tmp_path / "usb" / "bundle.zip")
    out = tmp_path / "cases"
    result = _decrypt(org, out, bundle)
    assert result.returncode == 0, result.stderr
    report_text = (out / case_id / "report.txt").read_text(encoding="utf-8")
    for name in TEXT_FIELDS:
        assert f"{markers[name]} words" in report_text
    (stored,) = (out / case_id / "attachments").iterdir()
    assert stored.name == evidence.name and stored.read_bytes() == attachment
    (followup_dir,) = (out / case_id / "followups").iterdir()
    message_text = (followup_dir / "message.txt").read_text(encoding="utf-8")
    assert followup_message.expandtabs(8) in message_text and "\t" not in message_text
    assert (followup_dir / "attachments" / evidence.name).read_bytes() == attachment
    assert "NOT VERIFIED" not in (out / case_id / "case.html").read_text(encoding="utf-8")

    # 7. A reply written offline and uploaded is opened and verified in the browser.
    _reply_and_upload(client, org, "adviser", bundle, case_id, f"Thank you ({tag}).")
    browser.get(proxy.url + "/case")
    _wait_replies_on_device(browser)
    articles = _reply_articles(browser)
    assert len(articles) == 1 and "reply-verified" in articles[0][0]
    assert "Dana Adviser" in articles[0][1] and f"Thank you ({tag})." in articles[0][1]
    assert "Acknowledged" in articles[0][1]

    # 8. A forged reply (signed by a key not on the organisation's list) and a mis-bound
    # one (made for another case), put straight into the database, show as rejected.
    stranger = generate_reviewer_keys("stranger")
    reply_key = case.reporter_reply_key
    forged = make_reply(stranger, case_id, reply_key, [stranger.public], 1, db.today(), "Forged: drop it.", None)
    other_case = secrets.token_hex(16)
    adviser = org.reviewers["adviser"]
    misbound = make_reply(adviser, other_case, reply_key, [adviser.public], 2, db.today(), "Mis-bound words.", None)
    with closing(db.connect(org.instance)) as conn:
        reviewer_id = find_reviewer(conn, adviser.key_id.hex()).id
        for seq, reply in ((7, forged), (8, misbound)):
            case_store.add_reply(
                conn,
                case_id=case_id,
                reviewer_id=reviewer_id,
                seq=seq,
                day=db.today(),
                statement=reply.statement,
                signature=reply.signature,
                for_reporter=reply.for_reporter,
            )
    browser.get(proxy.url + "/case")
    _wait_replies_on_device(browser)
    articles = _reply_articles(browser)
    assert [kind.split()[-1] for kind, _text in articles] == ["reply-verified", "reply-rejected", "reply-rejected"]
    rejected = " ".join(text for _kind, text in articles[1:])
    assert "do not trust it" in rejected and "not a known reviewer" in rejected and "not for case" in rejected
    assert "Forged" not in browser.page_source and "Mis-bound words" not in browser.page_source


def test_the_scan_finds_plaintext_when_a_page_sends_it(
    org: OrgInstance, server: Any, proxy: RecordingProxy, chromium_no_js: Any
) -> None:
    """The recording is not blind: the no-JavaScript form sends the text readable, and
    the same search finds it."""
    marker = f"Zebra-plain-{secrets.token_hex(5)}"
    By = _by()
    chromium_no_js.get(proxy.url + "/report")
    chromium_no_js.find_element(By.ID, "what").send_keys(f"{marker} said")
    chromium_no_js.find_element(By.CSS_SELECTOR, "form.report-form button[type=submit]").click()
    wait_for(chromium_no_js, lambda: "Your codename" in chromium_no_js.title)
    assert "sealed by the server as it arrived" in chromium_no_js.page_source
    assert proxy.find(marker.encode())
    assert proxy.saw_request("POST", "/report") and not proxy.saw_request("POST", "/report/sealed")


# --- WebAssembly off: the server path, said plainly ---------------------------------------------


def test_without_webassembly_the_server_seals_and_the_page_says_so(
    org: OrgInstance, server: Any, proxy: RecordingProxy, tmp_path: Path
) -> None:
    By = _by()
    profile = tmp_path / "chromium-nowasm"
    profile.mkdir()
    # V8's --noexpose_wasm no longer hides WebAssembly in Chromium 156; --jitless does
    # (no JIT, no WebAssembly: what Tor Browser's "Safer" setting amounts to). Checked below.
    driver = make_chromium(profile, extra_args=("--js-flags=--jitless",))
    try:
        driver.get(proxy.url + "/report")
        assert driver.execute_script("return typeof WebAssembly") == "undefined"
        wait_for(driver, lambda: driver.find_element(By.CSS_SELECTOR, "form.report-form").get_attribute("data-sealing"))
        assert driver.find_element(By.CSS_SELECTOR, "form.report-form").get_attribute("data-sealing") == "server"
        notice = driver.find_element(By.ID, "server-sealing-notice")
        assert notice.is_displayed() and "WebAssembly is turned off" in notice.text
        assert "the server will seal it in its memory" in notice.text
        assert driver.find_element(By.ID, "sealing-server-note").is_displayed()
        marker = f"Zebra-nowasm-{secrets.token_hex(5)}"
        driver.find_element(By.ID, "what").send_keys(marker)
        driver.find_element(By.CSS_SELECTOR, "form.report-form button[type=submit]").click()
        wait_for(driver, lambda: "Your codename" in driver.title)
        assert "sealed by the server as it arrived" in driver.page_source
        codename = " ".join(_codename_words(driver))
        driver.find_element(By.ID, "codename").send_keys(codename)
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait_for(driver, lambda: driver.current_url.endswith("/case"))
        assert "sealed by the server as it arrived" in driver.page_source
        # The follow-up login says what the server path means, too.
        driver.find_element(By.XPATH, "//button[contains(., 'Leave (log out)')]").click()
        wait_for(driver, lambda: driver.current_url == proxy.url + "/")
        driver.get(proxy.url + "/followup")
        wait_for(driver, lambda: driver.find_element(By.ID, "server-login-notice").is_displayed())
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    case_id = _only_case(org.instance)
    with closing(db.connect(org.instance)) as conn:
        case = case_store.load_case_view(conn, case_id)
    assert case is not None and case.sealed_on == "server"
    assert not proxy.saw_request("POST", "/report/sealed") and proxy.saw_request("POST", "/report")
    opened = open_stored_submission(org.instance, case_id, org.reviewers["adviser"])
    assert opened.fields["what"] == marker


# --- fail closed -----------------------------------------------------------------------------------------


@pytest.fixture
def wrong_org(instance_dir: Path) -> OrgInstance:
    # Six real words, but not the organisation key's fingerprint.
    return prepare_org_instance(instance_dir, fingerprint="abandon ability able about above absent")


def test_a_reviewer_list_that_does_not_verify_sends_nothing(
    wrong_org: OrgInstance, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    port = int(live_server.url.rsplit(":", 1)[1])
    with RecordingProxy(port, tmp_path / "recorded") as proxy:
        marker = f"Zebra-closed-{secrets.token_hex(5)}"
        evidence = tmp_path / "evidence.bin"
        evidence.write_bytes(secrets.token_bytes(200_000))
        file_report_in_browser(browser, proxy.url, {"what": marker}, [evidence])
        problem = problem_text(browser, "seal-problem")
        assert "could not be checked against the organisation's key" in problem and "nothing was sent" in problem
        By = _by()
        assert browser.find_element(By.ID, "seal-problem").get_attribute("role") == "alert"
        # What the reporter typed is still there, and nothing was posted anywhere.
        assert browser.find_element(By.ID, "what").get_attribute("value") == marker
        assert not browser.find_elements(By.CSS_SELECTOR, "ol.codename li")
        time.sleep(1)
        assert not proxy.saw_request("POST", "/report/sealed")
        assert not proxy.saw_request("POST", "/report")
        assert not proxy.find(marker.encode())
    with closing(db.connect(wrong_org.instance)) as conn:
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


# --- a form sent before the sealing module is ready ---------------------------------------------------------


@pytest.fixture
def early_browser(tmp_path: Path) -> Iterator[Any]:
    profile = tmp_path / "chromium-early"
    profile.mkdir()
    driver = make_chromium(profile, page_load_strategy="none")
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _send_report_before_the_module_is_ready(driver: Any, url: str, marker: str) -> None:
    By = _by()
    driver.get(url + "/report")
    wait_for(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "form.report-form button[type=submit]"))
    form = driver.find_element(By.CSS_SELECTOR, "form.report-form")
    assert form.get_attribute("data-sealing") is None, "the module was already ready: this test needs the early window"
    driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, "what"), marker)
    driver.find_element(By.CSS_SELECTOR, "form.report-form button[type=submit]").click()


def test_a_report_sent_before_the_module_loads_is_held_and_never_posted_readable(
    server: Any, early_browser: Any, tmp_path: Path
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with RecordingProxy(port, tmp_path / "recorded") as proxy:
        # The page module never arrives: without the guard the browser would post the form as it is.
        early_browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*report-page.js*"]})
        marker = f"Heron-early-{secrets.token_hex(5)}"
        _send_report_before_the_module_is_ready(early_browser, proxy.url, marker)
        By = _by()
        wait_for(early_browser, lambda: early_browser.find_elements(By.CSS_SELECTOR, "form.report-form .seal-wait"))
        note = early_browser.find_element(By.CSS_SELECTOR, "form.report-form .seal-wait")
        assert "nothing has been sent yet" in note.text and note.get_attribute("role") == "status"
        time.sleep(2)
        assert not proxy.saw_request("POST", "/report")
        assert not proxy.saw_request("POST", "/report/sealed")
        assert not proxy.find(marker.encode())
    with closing(db.connect(server.instance)) as conn:
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_a_codename_typed_before_the_module_loads_is_never_posted(
    server: Any, early_browser: Any, tmp_path: Path
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with RecordingProxy(port, tmp_path / "recorded") as proxy:
        early_browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*followup-page.js*"]})
        By = _by()
        early_browser.get(proxy.url + "/followup")
        wait_for(early_browser, lambda: early_browser.find_elements(By.CSS_SELECTOR, "#followup-login-form button"))
        words = "zebra " * 7 + "zoo"
        driver_field = early_browser.find_element(By.ID, "codename")
        early_browser.execute_script("arguments[0].value = arguments[1];", driver_field, words)
        early_browser.find_element(By.CSS_SELECTOR, "#followup-login-form button").click()
        wait_for(early_browser, lambda: early_browser.find_elements(By.CSS_SELECTOR, "#followup-login-form .seal-wait"))
        time.sleep(2)
        assert not proxy.saw_request("POST", "/followup")
        assert not proxy.find(b"zebra")


def test_a_report_sent_while_the_libraries_load_is_sealed_once_they_are_ready(
    server: Any, early_browser: Any, tmp_path: Path
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with RecordingProxy(port, tmp_path / "recorded") as proxy:
        # A slow link (about 1.3 MB of libsodium at 150 KB/s): the reporter sends before it has loaded.
        early_browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 20, "downloadThroughput": 150 * 1024, "uploadThroughput": 50 * 1024 * 1024},
        )
        marker = f"Egret-early-{secrets.token_hex(5)}"
        _send_report_before_the_module_is_ready(early_browser, proxy.url, marker)
        By = _by()
        wait_for(early_browser, lambda: early_browser.find_elements(By.CSS_SELECTOR, "ol.codename li"), timeout=120)
        assert proxy.saw_request("POST", "/report/sealed")
        assert not proxy.saw_request("POST", "/report")
        assert not proxy.find(marker.encode())
    with closing(db.connect(server.instance)) as conn:
        assert [tuple(row) for row in conn.execute("SELECT sealed_on FROM cases")] == [("browser",)]


# --- 100 MB ----------------------------------------------------------------------------------------------


def test_a_100_mb_attachment_sealed_on_the_device(
    org: OrgInstance,
    server: Any,
    proxy: RecordingProxy,
    browser: Any,
    tmp_path: Path,
    record_property: Callable[[str, Any], None],
) -> None:
    size = 100 * 1024 * 1024
    big = tmp_path / "recording.wav"
    digest = hashlib.sha256()
    with open(big, "wb") as out:
        for _ in range(size // (4 * 1024 * 1024)):
            block = secrets.token_bytes(4 * 1024 * 1024)
            digest.update(block)
            out.write(block)
    expected = digest.hexdigest()
    with open(big, "rb") as handle:
        handle.seek(size // 2)
        slice_64 = handle.read(64)

    started = time.monotonic()
    samples: list[tuple[str, int]] = []
    file_report_in_browser(browser, proxy.url, {"what": "A long recording."}, [big], progress_samples=samples)
    sealed_and_sent = time.monotonic() - started
    assert not problem_text(browser, "seal-problem"), problem_text(browser, "seal-problem")
    seal_values = [value for bar, value in samples if bar == "seal-bar"]
    upload_values = [value for bar, value in samples if bar == "upload-bar"]
    assert seal_values[-1] == 100 and any(0 < value < 100 for value in seal_values), samples
    assert upload_values[-1] == 100, samples
    assert seal_values == sorted(seal_values) and upload_values == sorted(upload_values)
    codename = " ".join(_codename_words(browser))
    _confirm_codename(browser, codename)
    case_id = _only_case(org.instance)
    assert not proxy.find(slice_64) and not proxy.find(codename.encode())

    started = time.monotonic()
    client = _reviewer_client(org, "adviser", "dana")
    bundle = _export(client, tmp_path / "usb" / "bundle.zip")
    out = tmp_path / "cases"
    result = _decrypt(org, out, bundle)
    assert result.returncode == 0, result.stderr
    decrypted = time.monotonic() - started
    opened = out / case_id / "attachments" / "recording.wav"
    digest = hashlib.sha256()
    with open(opened, "rb") as handle:
        while block := handle.read(8 * 1024 * 1024):
            digest.update(block)
    assert digest.hexdigest() == expected

    _reply_and_upload(client, org, "adviser", bundle, case_id, "We have your recording.")
    browser.get(proxy.url + "/case")
    _wait_replies_on_device(browser)
    (article,) = _reply_articles(browser)
    assert "reply-verified" in article[0] and "We have your recording." in article[1]
    timings = {
        "seal_and_upload_seconds": round(sealed_and_sent, 1),
        "export_and_decrypt_seconds": round(decrypted, 1),
        "recorded_mb": round(proxy.recorded_bytes_total() / 1e6, 1),
        "progress_samples": len(samples),
    }
    record_property("browser_100mb", json.dumps(timings))
    print("100 MB timings:", timings)  # noqa: T201 - shown with -s


def test_sealed_routes_refuse_what_is_not_sealed_to_the_chosen_reviewers(org: OrgInstance) -> None:
    """The server's structural checks, through Flask's client: a part sealed to the wrong
    reviewers, a bad part name and plain bytes are refused and leave nothing behind."""
    from tests.support.flood_support import stamp_fields
    from tests.support.reporter_support import blob_files, db_counts, multipart
    from tests.support.reporter_support import csrf_token as page_csrf

    from crypto.codename import derive_reporter_keys, generate_codename
    from crypto.envelope import new_submission_id, seal_bytes
    from crypto.identity import b64url

    app = create_app(str(org.instance), overrides={"TESTING": True})
    client = app.test_client()
    token = page_csrf(client.get("/report").get_data(as_text=True))
    keys = derive_reporter_keys(generate_codename(), bytes(16))
    adviser, handler = org.reviewers["adviser"].public, org.reviewers["handler"].public
    submission = new_submission_id()
    public = [
        ("csrf_token", token),
        ("login_token", b64url(keys.login_token)),
        ("reply_key", b64url(keys.reply_public_key)),
        ("sign_key", b64url(keys.sign_public_key)),
    ]

    def send(fields: list[Any]) -> tuple[int, dict[str, Any]]:
        # Every submission carries a fresh proof-of-work stamp right after the CSRF token.
        body, content_type = multipart([*fields[:1], *stamp_fields(client), *fields[1:]])
        response = client.post("/report/sealed", data=body, content_type=content_type)
        return response.status_code, json.loads(response.get_data(as_text=True))

    # Sealed to the adviser only, but the handler was chosen too.
    part0 = seal_bytes(b"x" * 100, [adviser], submission, 0)
    status, answer = send([*public, ("reviewer", handler.key_id.hex()), ("part0", ("part0.cnd", part0))])
    assert status == 400 and not answer["ok"] and "exactly the reviewers chosen" in answer["error"]
    # Plain bytes instead of an envelope.
    status, answer = send([*public, ("part0", ("part0.cnd", b"Zebra plain text " * 2000))])
    assert status == 400 and "not a complete, sealed submission" in answer["error"]
    assert "Zebra" not in json.dumps(answer)
    # A part in the wrong field, and a truncated envelope.
    status, answer = send([*public, ("part1", ("part1.cnd", part0))])
    assert status == 400 and not answer["ok"]
    status, answer = send([*public, ("part0", ("part0.cnd", part0[:-5]))])
    assert status == 400 and not answer["ok"]
    # A report without the CSRF token first.
    status, answer = send([*public[1:], ("part0", ("part0.cnd", part0))])
    assert status == 400 and "expired" in answer["error"]
    assert db_counts(org.instance)["cases"] == 0
    assert blob_files(org.instance) == []
    # The right one is stored, and the same submission id again is refused.
    status, answer = send([*public, ("part0", ("part0.cnd", part0))])
    assert status == 200 and answer == {"ok": True, "case": submission.hex(), "sealed_on": "browser"}
    status, answer = send([*public, ("part0", ("part0.cnd", part0))])
    assert status == 409 and "already received" in answer["error"]
    assert db_counts(org.instance)["cases"] == 1
    assert re.fullmatch(r"[0-9a-f]{32}", answer.get("case", submission.hex()))


def test_envelope_length_arithmetic_matches_the_sealer() -> None:
    """padded_length_of accepts exactly the payload lengths an honest sealer makes."""
    from crypto.envelope import header_size, sealed_size
    from crypto.padding import padded_size
    from portal.intake.browser_sealed import padded_length_of, smallest_plaintext_for

    sizes = [0, 1, 100, 16383, 16384, 65535, 65536, 65537, 10**6, 25 * 10**6, 100 * 1024 * 1024, 500 * 1024 * 1024]
    sizes += [secrets.randbelow(600 * 1024 * 1024) for _ in range(300)]
    for n in sizes:
        payload = sealed_size(n, 3) - header_size(3)
        assert padded_length_of(payload) == padded_size(n), n
        assert smallest_plaintext_for(padded_size(n)) <= n
        assert padded_size(smallest_plaintext_for(padded_size(n))) == padded_size(n)
        for wrong in (payload - 1, payload + 1, payload + 17):
            assert padded_length_of(wrong) is None, (n, wrong - payload)
    assert padded_length_of(0) is None and padded_length_of(17) is None
