"""Helpers for the browser-path tests: an instance with an organisation key and a
signed reviewer list (loaded through the admin code path), driving Chromium through
the report, codename, follow-up login and case pages, and opening what was stored
with the reviewer's own offline tool."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.paths import REPO_ROOT
from tests.support.reporter_support import add_reviewer_with_keys

from crypto.casebook import create_casebook
from crypto.identity import OrgKeys, ReviewerKeys, generate_org_keys, save_private_key
from crypto.org import ListedReviewer, sign_reviewer_list
from portal import create_app
from portal.actions.reviewers import load_signed_list
from portal.store import db

PASSPHRASE = "correct horse battery staple"


@dataclass
class OrgInstance:
    instance: Path
    reviewers: dict[str, ReviewerKeys]
    org: OrgKeys
    key_files: dict[str, Path]


def prepare_org_instance(instance: Path, *, fingerprint: str | None = None, signed: bool = True) -> OrgInstance:
    """Two reviewers (the adviser required), an organisation key whose public line goes
    into candour.cfg, and the list it signed loaded as an administrator would. Call
    before gunicorn starts: it reads candour.cfg once."""
    reviewers = {
        "adviser": add_reviewer_with_keys(instance, "Dana Adviser", "Independent adviser", required=True),
        "handler": add_reviewer_with_keys(instance, "Sam Handler", "Case handler"),
    }
    key_files = {}
    for name, keys in reviewers.items():
        path = instance.parent / "offline" / f"{name}.key"
        path.parent.mkdir(exist_ok=True)
        save_private_key(keys, path, PASSPHRASE, profile="interactive")
        create_casebook(path, keys)  # what `python -m crypto keygen` makes beside the key
        key_files[name] = path
    org = generate_org_keys("Test Union")
    if not signed:
        return OrgInstance(instance, reviewers, org, key_files)
    listed = [
        ListedReviewer(reviewers["adviser"].public, "Dana Adviser", "Independent adviser", True),
        ListedReviewer(reviewers["handler"].public, "Sam Handler", "Case handler", False),
    ]
    data = sign_reviewer_list(org, listed, 1, db.today())
    lines = [f"ORG_PUBLIC_KEY = {org.public.to_line()!r}"]
    if fingerprint is not None:
        lines.append(f"ORG_FINGERPRINT = {fingerprint!r}")
    with open(instance / "candour.cfg", "a", encoding="utf-8") as cfg:
        cfg.write("\n" + "\n".join(lines) + "\n")
    app = create_app(str(instance))
    with app.app_context(), closing(db.connect(instance)) as conn:
        load_signed_list(conn, instance, data, org.public.to_line(), actor="test")
    return OrgInstance(instance, reviewers, org, key_files)


def run_crypto(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The reviewer's offline tool as a real subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    env["CANDOUR_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [sys.executable, "-m", "crypto", *map(str, args)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_for(driver: Any, condition: Any, timeout: float = 120, poll: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - a page mid-navigation raises anything
            last = exc
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s (last error: {last!r})\n{driver.page_source[:4000]}")


def problem_text(driver: Any, box_id: str) -> str:
    from selenium.webdriver.common.by import By

    boxes = driver.find_elements(By.ID, box_id)
    if not boxes or boxes[0].get_attribute("hidden") is not None:
        return ""
    return str(boxes[0].text)


def file_report_in_browser(
    driver: Any,
    base_url: str,
    fields: dict[str, str],
    files: list[Path],
    *,
    untick: list[str] = (),  # type: ignore[assignment]
    progress_samples: list[tuple[str, int]] | None = None,
    timeout: float = 300,
) -> None:
    """Fill and send the report form. Returns once the codename page or an error shows;
    samples the two progress bars meanwhile when `progress_samples` is given."""
    from selenium.webdriver.common.by import By

    driver.get(base_url + "/report")
    wait_for(driver, lambda: driver.find_element(By.CSS_SELECTOR, "form.report-form").get_attribute("data-sealing"))
    for name, value in fields.items():
        element = driver.find_element(By.ID, name)
        if element.tag_name == "select":
            from selenium.webdriver.support.ui import Select

            Select(element).select_by_value(value)
        else:
            driver.execute_script("arguments[0].value = arguments[1];", element, value)
    for key_id in untick:
        driver.find_element(By.ID, f"reviewer-{key_id}").click()
    if files:
        driver.find_element(By.ID, "attachments").send_keys("\n".join(str(path) for path in files))
    driver.find_element(By.CSS_SELECTOR, "form.report-form button[type=submit]").click()

    def finished() -> bool:
        if progress_samples is not None:
            for bar in ("seal-bar", "upload-bar"):
                found = driver.find_elements(By.ID, bar)
                if found:
                    value = found[0].get_attribute("value")
                    if value is not None and (not progress_samples or progress_samples[-1] != (bar, int(value))):
                        progress_samples.append((bar, int(float(value))))
        return bool(driver.find_elements(By.CSS_SELECTOR, "ol.codename li")) or bool(
            problem_text(driver, "seal-problem")
        )

    wait_for(driver, finished, timeout=timeout, poll=0.1)
