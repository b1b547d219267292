"""What the reporter's browser believes, and what it leaves behind (issue 12), in real
headless Chromium against a real gunicorn, every request recorded by a proxy.

- The case page shows a reply as verified only when its author is on the organisation's
  signed list AND one of the reviewers the report was sealed to: a listed colleague the
  reporter left out, whose reply the server slipped into the database, is rejected with
  the reason. Reviewer names are rendered isolated (<bdi>); every module the page ran was
  preloaded with its integrity hash.
- Downgrade: the instance has an organisation key (the page carries its fingerprint) but
  the server answers an unsigned list: the replies are hidden, the reason shown, and a
  follow-up is not sent.
- Rollback: the server answers an older signed list than the page's minimum serial:
  nothing is sent.
- Names that spoof: an organisation-signed list whose name carries a right-to-left
  override is refused, and nothing is sent.
- Nothing kept: a persistent Chromium profile, the tab closed without Leave; the profile's
  files hold neither the keys nor the login token (raw, base64url, hex; UTF-8 and UTF-16),
  and no token-shaped string in them opens the case (the real token does).
- Leave before the page's module has run still takes the keys out of the tab.
- A later visit (the codename typed again in a fresh profile) still knows the recipients:
  from the statement the reporter signed when sealing (docs/format.md §7.1), so the
  left-out colleague's reply stays rejected while the recipients' verify; a statement the
  server altered shows no reply as verified and says why.
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import re
import secrets
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_support import (
    OrgInstance,
    file_report_in_browser,
    prepare_org_instance,
    problem_text,
    wait_for,
)
from tests.support.chromium_support import make_chromium
from tests.support.recording_proxy import RecordingProxy

from crypto.codename import derive_reporter_keys
from crypto.identity import b64url
from crypto.org import ListedReviewer, sign_reviewer_list
from crypto.reply import make_reply
from portal import create_app
from portal.actions.reviewers import load_signed_list
from portal.store import cases as case_store
from portal.store import db
from portal.store.reviewers import find_reviewer

pytestmark = [pytest.mark.live, pytest.mark.browser]

SIGNED_LIST_META = "org_reviewer_list"
OLDER = "older than the one this page was made with"
KEYS_ITEM = "candour-reporter-keys"


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


@pytest.fixture
def org(instance_dir: Path) -> OrgInstance:
    return prepare_org_instance(instance_dir)


@pytest.fixture
def proxy(org: OrgInstance, live_server: Any, tmp_path: Path) -> Iterator[RecordingProxy]:
    port = int(live_server.url.rsplit(":", 1)[1])
    with RecordingProxy(port, tmp_path / "recorded") as recording:
        yield recording


def _report_and_open_case(driver: Any, org: OrgInstance, base_url: str, what: str) -> str:
    """A report sealed on the device to the adviser only (the handler left out), the
    codename confirmed; returns the codename, with the case page open."""
    By = _by()
    file_report_in_browser(driver, base_url, {"what": what}, [], untick=[org.reviewers["handler"].key_id.hex()])
    assert not problem_text(driver, "seal-problem"), problem_text(driver, "seal-problem")
    codename = " ".join(item.text for item in driver.find_elements(By.CSS_SELECTOR, "ol.codename li"))
    driver.find_element(By.ID, "codename").send_keys(codename)
    driver.find_element(By.CSS_SELECTOR, "#codename-confirm button[type=submit]").click()
    wait_for(driver, lambda: driver.current_url.endswith("/case"))
    _wait_device_replies(driver)
    return codename


def _wait_device_replies(driver: Any) -> Any:
    By = _by()
    wait_for(
        driver,
        lambda: (
            driver.find_element(By.ID, "replies-device").get_attribute("data-state") == "verified-on-device"
            or problem_text(driver, "replies-problem")
        ),
    )
    return driver.find_element(By.ID, "replies-device")


def _only_case(instance: Path) -> str:
    with closing(db.connect(instance)) as conn:
        (case_id,) = [row[0] for row in conn.execute("SELECT id FROM cases")]
    return str(case_id)


def _store_reply(org: OrgInstance, name: str, case_id: str, seq: int, text: str, *, feedback: bool = False) -> None:
    """Put a reply signed by a listed reviewer straight into the database (as a server in
    the wrong hands could), bypassing the upload's recipient check."""
    keys = org.reviewers[name]
    with closing(db.connect(org.instance)) as conn:
        case = case_store.load_case_view(conn, case_id)
        assert case is not None
        reply = make_reply(
            keys, case_id, case.reporter_reply_key, [keys.public], seq, db.today(), text, None, feedback=feedback
        )
        case_store.add_reply(
            conn,
            case_id=case_id,
            reviewer_id=find_reviewer(conn, keys.key_id.hex()).id,
            seq=seq,
            day=db.today(),
            statement=reply.statement,
            signature=reply.signature,
            for_reporter=reply.for_reporter,
        )


def _articles(driver: Any) -> list[Any]:
    return list(driver.find_element(_by().ID, "replies-device-list").find_elements(_by().TAG_NAME, "article"))


# --- replies: signed list AND the case's recipients --------------------------------------------


def test_case_page_verifies_only_recipients_on_the_signed_list_and_refuses_a_downgrade(
    org: OrgInstance, proxy: RecordingProxy, browser: Any
) -> None:
    By = _by()
    tag = secrets.token_hex(4)
    _report_and_open_case(browser, org, proxy.url, f"Kestrel report {tag}")
    case_id = _only_case(org.instance)
    # The server lists the adviser's second reply (marked as feedback) before the first.
    _store_reply(org, "adviser", case_id, 2, f"Adviser's feedback {tag}.", feedback=True)
    _store_reply(org, "adviser", case_id, 1, f"Adviser answers {tag}.")
    # The handler is on the signed list but the reporter left them out.
    _store_reply(org, "handler", case_id, 1, f"Handler closes it {tag}.")

    browser.get(proxy.url + "/case")
    device = _wait_device_replies(browser)
    assert not problem_text(browser, "replies-problem")
    # The recipients the reporter signed when sealing (docs/format.md §7.1), checked here.
    assert device.get_attribute("data-recipients") == "signed"
    assert "as you signed them" in device.text
    articles = _articles(browser)
    kinds = [str(article.get_attribute("class")).split()[-1] for article in articles]
    assert kinds == ["reply-verified", "reply-verified", "reply-rejected"], [a.text for a in articles]
    assert [a.get_attribute("data-seq") for a in articles[:2]] == ["1", "2"]
    assert f"Adviser answers {tag}." in articles[0].text and f"Adviser's feedback {tag}." in articles[1].text
    assert "Feedback on your report" in articles[1].text and "Feedback on your report" not in articles[0].text
    assert "not one of the reviewers your report was sealed to" in articles[2].text
    assert "shown here by reviewer and by number" in device.text
    assert f"Handler closes it {tag}." not in browser.page_source
    # The reviewer's name is isolated from the words around it.
    (name,) = articles[0].find_elements(By.CSS_SELECTOR, '[data-slot="reviewer"] bdi')
    assert name.text.startswith("Dana Adviser")
    assert articles[0].find_element(By.CSS_SELECTOR, '[data-slot="text"]').get_attribute("dir") == "auto"
    # The status history says who checked it.
    assert "checked by the server, not on this device" in browser.find_element(By.ID, "timeline-checked-by").text

    # The server drops the newest reply: the page remembers it was shown during this visit.
    with closing(db.connect(org.instance)) as conn, conn:
        conn.execute("DELETE FROM replies WHERE case_id = ? AND seq = 2", (case_id,))
    browser.get(proxy.url + "/case")
    device = _wait_device_replies(browser)
    kinds = [str(article.get_attribute("class")).split()[-1] for article in _articles(browser)]
    assert kinds == ["reply-verified", "reply-missing", "reply-rejected"], device.text
    assert "shown earlier during this visit" in device.text

    # Every script the page ran was its module or preloaded with an integrity hash.
    fetched = set(
        browser.execute_script(
            "return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"
            ".filter((p) => p.endsWith('.js'));"
        )
    )
    checked = {
        urllib.parse.urlparse(str(element.get_attribute("href") or element.get_attribute("src"))).path
        for element in browser.find_elements(By.CSS_SELECTOR, "link[rel=modulepreload][integrity], script[integrity]")
    }
    assert fetched and fetched <= checked, fetched - checked
    assert any(path.endswith("/js/crypto/reply.js") and path.startswith("/static/") for path in fetched)

    # Downgrade: the organisation key stays in the config (the page carries its
    # fingerprint), but the server now answers its own unsigned list.
    with closing(db.connect(org.instance)) as conn, conn:
        conn.execute("DELETE FROM instance_meta WHERE name = ?", (SIGNED_LIST_META,))
    assert json.loads(urllib.request.urlopen(proxy.url + "/reviewer-list.json").read())  # noqa: S310 - loopback["signed"] is False
    browser.get(proxy.url + "/case")
    _wait_device_replies(browser)
    problem = problem_text(browser, "replies-problem")
    assert "could not be checked against the organisation's key" in problem and "nothing was sent" in problem
    assert browser.find_element(By.ID, "replies-device").get_attribute("hidden") is not None
    assert f"Adviser answers {tag}." not in browser.find_element(By.TAG_NAME, "body").text
    form = browser.find_element(By.ID, "followup-form")
    browser.execute_script("arguments[0].value = arguments[1];", browser.find_element(By.ID, "message"), f"More {tag}")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda: problem_text(browser, "followup-problem"))
    assert "could not be checked" in problem_text(browser, "followup-problem")
    time.sleep(1)
    assert not proxy.saw_request("POST", "/case/followup/sealed")
    assert not proxy.saw_request("POST", "/case/followup")
    assert not proxy.find(f"More {tag}".encode())


def _login_with_codename(driver: Any, base_url: str, codename: str) -> None:
    By = _by()
    driver.get(base_url + "/followup")
    wait_for(driver, lambda: driver.find_element(By.ID, "followup-login-form").get_attribute("data-sealing"))
    driver.find_element(By.ID, "codename").send_keys(codename)
    driver.find_element(By.CSS_SELECTOR, "#followup-login-form button[type=submit]").click()
    wait_for(driver, lambda: driver.current_url.endswith("/case"))


def _wait_recipients_checked(driver: Any) -> Any:
    By = _by()
    wait_for(
        driver,
        lambda: (
            driver.find_element(By.ID, "replies-device").get_attribute("data-state")
            in {"verified-on-device", "recipients-tampered"}
            or problem_text(driver, "replies-problem")
        ),
    )
    assert not problem_text(driver, "replies-problem"), problem_text(driver, "replies-problem")
    return driver.find_element(By.ID, "replies-device")


def test_a_later_visit_checks_the_recipients_the_reporter_signed(
    org: OrgInstance, proxy: RecordingProxy, browser: Any, tmp_path: Path
) -> None:
    tag = secrets.token_hex(4)
    codename = _report_and_open_case(browser, org, proxy.url, f"Osprey report {tag}")
    case_id = _only_case(org.instance)
    _store_reply(org, "adviser", case_id, 1, f"Adviser answers {tag}.")
    _store_reply(org, "handler", case_id, 1, f"Handler closes it {tag}.")

    # A second visit: a fresh profile, the codename typed again. The device sealed nothing
    # in this visit; the server lists both reviewers as the case's (it could list anyone).
    profile = tmp_path / "chromium-second-visit"
    profile.mkdir()
    later = make_chromium(profile)
    try:
        _login_with_codename(later, proxy.url, codename)
        device = _wait_recipients_checked(later)
        assert device.get_attribute("data-state") == "verified-on-device"
        assert device.get_attribute("data-recipients") == "signed"
        assert "as you signed them" in device.text
        articles = _articles(later)
        kinds = [str(article.get_attribute("class")).split()[-1] for article in articles]
        assert kinds == ["reply-verified", "reply-rejected"], [a.text for a in articles]
        assert f"Adviser answers {tag}." in articles[0].text
        assert "not one of the reviewers your report was sealed to" in articles[1].text
        assert f"Handler closes it {tag}." not in later.page_source

        # The server swaps the statement for one naming the handler too (the reporter's
        # signature kept): nothing shows as verified, and the page says why.
        with closing(db.connect(org.instance)) as conn, conn:
            (statement,) = conn.execute("SELECT sealed_to_statement FROM cases WHERE id = ?", (case_id,)).fetchone()
            ids = json.loads(bytes(statement))["recipients"]
            forged = json.dumps(
                {
                    "format": "candour-recipients",
                    "version": 1,
                    "case": case_id,
                    "recipients": sorted([*ids, org.reviewers["handler"].key_id.hex()]),
                },
                separators=(",", ":"),
            ).encode()
            conn.execute("UPDATE cases SET sealed_to_statement = ? WHERE id = ?", (forged, case_id))
        later.get(proxy.url + "/case")
        device = _wait_recipients_checked(later)
        assert device.get_attribute("data-state") == "recipients-tampered"
        assert device.get_attribute("data-recipients") == "tampered"
        assert "came back altered or not signed by you" in device.text
        kinds = [str(article.get_attribute("class")).split()[-1] for article in _articles(later)]
        # Nothing verified; the adviser's reply shown earlier in this visit is marked missing.
        assert "reply-verified" not in kinds and kinds.count("reply-rejected") == 2, device.text
        assert f"Adviser answers {tag}." not in later.page_source
        assert f"Handler closes it {tag}." not in later.page_source
        # Nor is a follow-up sealed on that page: the handler the server added would get it.
        by = _by()
        form = later.find_element(by.ID, "followup-form")
        later.execute_script("arguments[0].value = arguments[1];", later.find_element(by.ID, "message"), f"Later {tag}")
        form.find_element(by.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(later, lambda: problem_text(later, "followup-problem"))
        assert "Your follow-up was NOT sent" in problem_text(later, "followup-problem")
        time.sleep(1)
        assert not proxy.find(f"Later {tag}".encode())
    finally:
        later.quit()
        shutil.rmtree(profile, ignore_errors=True)


# --- the report page: rollback and spoofing names ------------------------------------------------


def _replace_stored_list(instance: Path, data: bytes) -> None:
    with closing(db.connect(instance)) as conn, conn:
        conn.execute("UPDATE instance_meta SET value = ? WHERE name = ?", (data.decode("utf-8"), SIGNED_LIST_META))


def _listed(org: OrgInstance, adviser_name: str = "Dana Adviser") -> list[ListedReviewer]:
    return [
        ListedReviewer(org.reviewers["adviser"].public, adviser_name, "Independent adviser", True),
        ListedReviewer(org.reviewers["handler"].public, "Sam Handler", "Case handler", False),
    ]


def _assert_report_not_sent(driver: Any, proxy: RecordingProxy, instance: Path, marker: str, expected: str) -> None:
    file_report_in_browser(driver, proxy.url, {"what": marker}, [])
    problem = problem_text(driver, "seal-problem")
    assert expected in problem and "nothing was sent" in problem, problem
    time.sleep(1)
    assert not proxy.saw_request("POST", "/report/sealed") and not proxy.saw_request("POST", "/report")
    assert not proxy.find(marker.encode())
    with closing(db.connect(instance)) as conn:
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_an_older_signed_list_than_the_page_allows_sends_nothing(
    org: OrgInstance, live_server: Any, tmp_path: Path
) -> None:
    # Serial 2 is loaded (the page's minimum); the server then answers serial 1 again.
    older = sign_reviewer_list(org.org, _listed(org), 1, db.today())
    newer = sign_reviewer_list(org.org, _listed(org), 2, db.today())
    app = create_app(str(org.instance))
    with app.app_context(), closing(db.connect(org.instance)) as conn:
        load_signed_list(conn, org.instance, newer, org.org.public.to_line(), actor="test")
    _replace_stored_list(org.instance, older)
    profile = tmp_path / "chromium-rollback"
    driver = make_chromium(profile)
    port = int(live_server.url.rsplit(":", 1)[1])
    try:
        with RecordingProxy(port, tmp_path / "recorded") as proxy:
            _assert_report_not_sent(
                driver,
                proxy,
                org.instance,
                f"Plover-{secrets.token_hex(4)}",
                OLDER,
            )
        # The minimum is the portal's own: the highest serial it ever loaded, not the
        # serial of the list it now stores.
        values = driver.find_element(_by().ID, "candour-browser")
        assert values.get_attribute("data-min-list-serial") == "2"
    finally:
        driver.quit()


def _hand_signed_list(org: OrgInstance, display_name: str) -> bytes:
    # Built by hand (not sign_reviewer_list, which may itself refuse the name): the
    # organisation's own key signed it, so only the name rule can refuse it.
    body = json.dumps(
        {
            "organisation": "Test Union",
            "serial": 1,
            "issued": db.today(),
            "reviewers": [
                {
                    "identity": org.reviewers["adviser"].public.to_line(),
                    "display_name": display_name,
                    "role": "Independent adviser",
                    "required": True,
                }
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    signature = org.org.signing_key.sign(b"candour/v1 reviewer list\0" + body).signature
    document = {
        "format": "candour-reviewer-list",
        "version": 1,
        "org": org.org.public.to_line(),
        "body": b64url(body),
        "signature": b64url(signature),
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def test_a_signed_list_with_a_bidi_override_in_a_name_sends_nothing(
    org: OrgInstance, live_server: Any, tmp_path: Path
) -> None:
    _replace_stored_list(org.instance, _hand_signed_list(org, "Dana \u202eresivdA"))
    profile = tmp_path / "chromium-bidi"
    driver = make_chromium(profile)
    port = int(live_server.url.rsplit(":", 1)[1])
    try:
        with RecordingProxy(port, tmp_path / "recorded") as proxy:
            _assert_report_not_sent(
                driver, proxy, org.instance, f"Avocet-{secrets.token_hex(4)}", "could not be checked"
            )
    finally:
        driver.quit()


# --- nothing left in the browser's profile -------------------------------------------------------


def _encodings(raw: bytes) -> dict[str, bytes]:
    found = {"raw": raw, "hex": raw.hex().encode(), "b64u": b64url(raw).encode()}
    found["b64"] = base64.b64encode(raw).rstrip(b"=")
    for name in ("hex", "b64u", "b64"):
        found[f"{name} utf-16"] = found[name].decode().encode("utf-16-le")
    return found


def _login_with_token(base_url: str, token: str) -> bool:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base_url + "/followup").read().decode("utf-8")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on /followup"
    body = urllib.parse.urlencode({"csrf_token": match.group(1), "login_token": token}).encode()
    try:
        request = urllib.request.Request(base_url + "/followup/token", data=body)  # noqa: S310 - loopback
        answer = opener.open(request).read()
    except urllib.error.HTTPError as error:
        answer = error.read()
    return bool(json.loads(answer).get("ok"))


def test_a_closed_tab_leaves_no_key_or_token_in_the_profile(org: OrgInstance, live_server: Any, tmp_path: Path) -> None:
    profile = tmp_path / "chromium-persistent"
    profile.mkdir()
    driver = make_chromium(profile)
    try:
        codename = _report_and_open_case(driver, org, live_server.url, "Curlew report")
        stored = driver.execute_script(f"return sessionStorage.getItem('{KEYS_ITEM}')")
        assert stored, "the keys are kept for the visit (wrapped: see the scan below)"
        # The reporter closes the tab (not the browser's last window) without Leave.
        case_tab = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(live_server.url + "/")
        other_tab = driver.current_window_handle
        driver.switch_to.window(case_tab)
        driver.close()
        driver.switch_to.window(other_tab)
        time.sleep(2)
    finally:
        driver.quit()
    time.sleep(1)

    salt = bytes.fromhex(str(create_app(str(org.instance)).config["INSTANCE_SALT"]))
    keys = derive_reporter_keys(codename, salt)
    needles: dict[str, bytes] = {"the codename": codename.encode(), "the codename utf-16": codename.encode("utf-16-le")}
    for what, value in (
        ("the login token", keys.login_token),
        ("the reply secret key", keys.reply_secret_key),
        ("the signing seed", keys.signing_seed),
    ):
        needles.update({f"{what} ({form})": data for form, data in _encodings(value).items()})
    files = [path for path in profile.rglob("*") if path.is_file()]
    assert any("Session Storage" in str(path) for path in files), "the profile kept no session storage at all"
    found = {what: str(path) for path in files for what, needle in needles.items() if needle in path.read_bytes()}
    assert found == {}

    # Every token-shaped string the profile's storage holds, tried against the portal.
    candidates: set[str] = set()
    for path in files:
        if "Storage" not in str(path):
            continue
        data = path.read_bytes()
        for text in (data.decode("latin-1"), data.decode("utf-16-le", errors="ignore")):
            candidates.update(re.findall(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])", text))
    assert len(candidates) < 500
    assert not [token for token in candidates if _login_with_token(live_server.url, token)]
    assert _login_with_token(live_server.url, b64url(keys.login_token)), "the replay itself must be able to succeed"


# --- Leave before the page's module has run ---------------------------------------------------------


def test_leave_before_the_case_module_runs_takes_the_keys_out_of_the_tab(
    org: OrgInstance, live_server: Any, tmp_path: Path
) -> None:
    By = _by()
    profile = tmp_path / "chromium-leave"
    profile.mkdir()
    driver = make_chromium(profile)
    try:
        _report_and_open_case(driver, org, live_server.url, "Dunlin report")
        assert driver.execute_script(f"return sessionStorage.getItem('{KEYS_ITEM}')")
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*case-page.js*"]})
        driver.get(live_server.url + "/case")
        wait_for(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "#logout-form button"))
        assert driver.find_element(By.ID, "followup-form").get_attribute("data-sealing") is None, "the module ran"
        driver.find_element(By.CSS_SELECTOR, "#logout-form button").click()
        wait_for(driver, lambda: driver.current_url.rstrip("/") == live_server.url)
        assert driver.execute_script(f"return sessionStorage.getItem('{KEYS_ITEM}')") is None
        driver.get(live_server.url + "/case")
        assert not driver.current_url.endswith("/case") or "Your case" not in driver.title
    finally:
        driver.quit()


# --- a follow-up sent before the case page's module is ready -----------------------------------------


def test_a_follow_up_sent_while_the_page_loads_is_sealed_not_told_the_keys_are_missing(
    org: OrgInstance, live_server: Any, tmp_path: Path
) -> None:
    By = _by()
    profile = tmp_path / "chromium-early-followup"
    profile.mkdir()
    driver = make_chromium(profile, page_load_strategy="none")
    port = int(live_server.url.rsplit(":", 1)[1])
    try:
        with RecordingProxy(port, tmp_path / "recorded") as proxy:
            _report_and_open_case(driver, org, proxy.url, "Godwit report")
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            # A slow link: the libraries (about 1.3 MB) take seconds to arrive.
            driver.execute_cdp_cmd(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": 20,
                    "downloadThroughput": 200 * 1024,
                    "uploadThroughput": 50 * 1024 * 1024,
                },
            )
            driver.get(proxy.url + "/case")
            wait_for(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "#followup-form button[type=submit]"))
            form = driver.find_element(By.ID, "followup-form")
            assert form.get_attribute("data-sealing") is None, (
                "the module was already running: this test needs the early window"
            )
            driver.execute_script(
                "arguments[0].value = arguments[1];", driver.find_element(By.ID, "message"), "Early words"
            )
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_for(
                driver,
                lambda: (
                    "Your follow-up was sealed and sent" in driver.page_source
                    or problem_text(driver, "followup-problem")
                ),
            )
            assert not problem_text(driver, "followup-problem"), problem_text(driver, "followup-problem")
            assert proxy.saw_request("POST", "/case/followup/sealed")
            assert not proxy.find(b"Early words")
    finally:
        driver.quit()
