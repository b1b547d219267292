"""Typed words kept, with JavaScript (issue #17 item 3), in a real headless Chromium on a
real gunicorn: the codename confirmation after a report sealed on the device and the
follow-up login on the device path name the wrong word, mark the field
aria-invalid="true" and link the message to it with aria-describedby; the typed text
stays in the field; a codename of 8 list words that opens no case says only that."""

from __future__ import annotations

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

from crypto.wordlist import words

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def org(instance_dir: Path) -> OrgInstance:
    return prepare_org_instance(instance_dir)


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def _submit_typed(driver: Any, form_id: str, typed: str) -> None:
    By = _by()
    field = driver.find_element(By.ID, "codename")
    field.clear()
    field.send_keys(typed)
    driver.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]").click()


def _refusal(driver: Any) -> str:
    """The field's message once shown, after checking the field is marked and linked to it."""
    By = _by()
    message = wait_for(driver, lambda: [e for e in driver.find_elements(By.ID, "codename-error") if e.is_displayed()])[
        0
    ]
    field = driver.find_element(By.ID, "codename")
    assert field.get_attribute("aria-invalid") == "true"
    assert "codename-error" in (field.get_attribute("aria-describedby") or "").split()
    assert "codename-hint" in (field.get_attribute("aria-describedby") or "").split()
    return str(message.text)


def test_the_browser_path_names_the_wrong_word_and_marks_the_field(
    org: OrgInstance, live_server: Any, browser: Any
) -> None:
    By = _by()
    fields = {"category": "bullying", "what": "The branch secretary shouted at me.", "when": "", "where": ""}
    file_report_in_browser(browser, live_server.url, fields, [])
    assert not problem_text(browser, "seal-problem"), problem_text(browser, "seal-problem")
    shown = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "ol.codename li")]
    assert len(shown) == 8
    field = browser.find_element(By.ID, "codename")
    assert field.get_attribute("aria-invalid") is None

    # The confirmation: a misspelt word, then a list word in the wrong place.
    misspelt = " ".join(shown[:4] + ["lanter"] + shown[5:])
    _submit_typed(browser, "codename-confirm", misspelt)
    message = _refusal(browser)
    assert "Word 5" in message and "lanter" in message and "not in the word list" in message
    assert shown[4] not in message
    assert message in problem_text(browser, "codename-problem")
    assert browser.find_element(By.ID, "codename").get_attribute("value") == misspelt
    other = next(word for word in words() if word not in shown)
    _submit_typed(browser, "codename-confirm", " ".join(shown[:2] + [other] + shown[3:]))
    message = _refusal(browser)
    assert "Word 3" in message and other in message and "differs from your codename" in message
    assert shown[2] not in message
    _submit_typed(browser, "codename-confirm", " ".join(shown))
    wait_for(browser, lambda: browser.current_url.endswith("/case"))

    # The follow-up login on the device path (after Leave).
    browser.find_element(By.XPATH, "//button[contains(., 'Leave (log out)')]").click()
    wait_for(browser, lambda: browser.current_url == live_server.url + "/")
    browser.get(live_server.url + "/followup")
    wait_for(browser, lambda: browser.find_element(By.ID, "followup-login-form").get_attribute("data-sealing"))
    assert browser.find_element(By.ID, "followup-login-form").get_attribute("data-sealing") == "device"
    typed = "abandon ability able about above absent absorb"
    _submit_typed(browser, "followup-login-form", typed)
    assert _refusal(browser) == "The codename needs 8 words; you typed 7."
    assert browser.find_element(By.ID, "codename").get_attribute("value") == typed
    _submit_typed(browser, "followup-login-form", " ".join(shown[:7] + ["zzqxplonk"]))
    message = _refusal(browser)
    assert "Word 8" in message and "zzqxplonk" in message and shown[7] not in message
    # Eight list words that open no case: only that (the server answered /followup/token).
    wrong = " ".join(shown[:7] + [other])
    _submit_typed(browser, "followup-login-form", wrong)
    assert _refusal(browser) == "No case matches that codename. Check each word and try again."
    assert browser.find_element(By.ID, "codename").get_attribute("value") == wrong
    _submit_typed(browser, "followup-login-form", " ".join(shown))
    wait_for(browser, lambda: browser.current_url.endswith("/case"))
