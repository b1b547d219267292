"""Adding a reviewer never breaks reporting (issue 14 item 5).

An instance set up as `make run` sets one up (reviewers, an organisation key in
candour.cfg, the list it signed loaded), then a reviewer added the README's way with
`flask reviewer add`: that reviewer is not on the signed list, so reporters are not
offered them yet (a reporter's browser refuses to seal to anyone the organisation did
not sign), and a report sealed in real headless Chromium goes through to the listed
reviewers only. Without JavaScript the server path refuses the unlisted reviewer too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_support import OrgInstance, file_report_in_browser, prepare_org_instance, problem_text
from tests.support.live_support import free_port, make_run
from tests.support.paths import REPO_ROOT
from tests.support.reporter_support import csrf_token, multipart, report_fields

from crypto.identity import ReviewerKeys, generate_reviewer_keys
from portal import create_app
from portal.store import db


@pytest.fixture
def org(instance_dir: Path) -> OrgInstance:
    return prepare_org_instance(instance_dir)


@pytest.fixture
def late(org: OrgInstance, tmp_path: Path) -> ReviewerKeys:
    """A reviewer added after the signed list was loaded, through the real command."""
    keys = generate_reviewer_keys("Robin Late")
    pubfile = tmp_path / "late.pub"
    pubfile.write_text(keys.public.to_line() + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    added = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "reviewer", "add", str(pubfile)]
        + ["--name", "Robin Late", "--role", "Welfare officer"],
        cwd=REPO_ROOT,
        env={**env, "CANDOUR_INSTANCE": str(org.instance)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    assert "NOT YET OFFERED TO REPORTERS: Robin Late" in added.stdout, added.stdout
    return keys


def _case_reviewers(instance: Path) -> list[set[str]]:
    with closing(db.connect(instance)) as conn:
        rows = conn.execute(
            "SELECT c.id, r.key_id FROM cases c JOIN case_reviewers cr ON cr.case_id = c.id"
            " JOIN reviewers r ON r.id = cr.reviewer_id"
        ).fetchall()
    by_case: dict[str, set[str]] = {}
    for case_id, key_id in rows:
        by_case.setdefault(case_id, set()).add(key_id)
    return list(by_case.values())


def test_the_unlisted_reviewer_is_not_offered_and_the_server_path_refuses_them(
    org: OrgInstance, late: ReviewerKeys
) -> None:
    client = create_app(str(org.instance), overrides={"TESTING": True}).test_client()
    late_id = late.key_id.hex()
    for path in ("/", "/report"):
        html = client.get(path).get_data(as_text=True)
        assert "Dana Adviser" in html and "Robin Late" not in html and late_id not in html, path
    fields = report_fields(csrf_token(client.get("/report").get_data(as_text=True)), reviewers=[late_id])
    body, content_type = multipart(fields)
    refused = client.post("/report", data=body, content_type=content_type)
    assert refused.status_code == 400, refused.get_data(as_text=True)
    assert _case_reviewers(org.instance) == []


@pytest.mark.live
@pytest.mark.browser
def test_a_browser_sealed_report_goes_through_after_a_reviewer_is_added(
    org: OrgInstance, late: ReviewerKeys, live_server: Any, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    file_report_in_browser(browser, live_server.url, {"what": "The rota is rigged against me."}, [])
    assert not problem_text(browser, "seal-problem"), problem_text(browser, "seal-problem")
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.codename li")) == 8
    assert not browser.find_elements(By.ID, f"reviewer-{late.key_id.hex()}")
    listed = {keys.key_id.hex() for keys in org.reviewers.values()}
    (sealed_to,) = _case_reviewers(org.instance)
    assert org.reviewers["adviser"].key_id.hex() in sealed_to and sealed_to <= listed


@pytest.mark.live
@pytest.mark.browser
def test_after_make_run_a_reviewer_added_the_readme_way_leaves_browser_reports_working(
    tmp_path: Path, browser: Any
) -> None:
    """The issue's path to the letter: the real `make run` (its demo reviewer, demo
    organisation key and signed list), then `reviewer add`, then a report sealed in
    Chromium against that same server."""
    from selenium.webdriver.common.by import By

    port = free_port()
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    with make_run(instance, port, tmp_path / "make-run.log", env):
        keys = generate_reviewer_keys("Robin Late")
        pubfile = tmp_path / "late.pub"
        pubfile.write_text(keys.public.to_line() + "\n", encoding="utf-8")
        added = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "reviewer", "add", str(pubfile)]
            + ["--name", "Robin Late", "--role", "Welfare officer"],
            cwd=REPO_ROOT,
            env={**env, "CANDOUR_INSTANCE": str(instance)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert added.returncode == 0 and "NOT YET OFFERED TO REPORTERS: Robin Late" in added.stdout, added
        file_report_in_browser(browser, f"http://127.0.0.1:{port}", {"what": "The rota is rigged against me."}, [])
        assert not problem_text(browser, "seal-problem"), problem_text(browser, "seal-problem")
        assert len(browser.find_elements(By.CSS_SELECTOR, "ol.codename li")) == 8
        (sealed_to,) = _case_reviewers(instance)
        assert keys.key_id.hex() not in sealed_to and len(sealed_to) == 1  # the demo reviewer
