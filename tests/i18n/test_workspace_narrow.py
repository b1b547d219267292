"""The workspace's tables at 390 px (a phone): no page scrolls sideways, in English
and in the longest-worded languages. The pages are rendered by the app (a signed-in
reviewer and administrator with real cases), then laid out by headless Chromium with
the portal's own stylesheet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.reporter_support import add_reviewer_with_keys
from tests.support.workspace_support import create_account, file_case, sign_in_first_time

from portal import create_app

pytestmark = pytest.mark.browser
CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "candour.css").read_text(encoding="utf-8")


def _standalone(html: str) -> str:
    # The stylesheet inline and no scripts: the page as laid out, from a file.
    html = re.sub(r'<link rel="stylesheet"[^>]*>', f"<style>{CSS}</style>", html)
    return re.sub(r"<script\b[^>]*></script>", "", html)


@pytest.fixture
def pages(instance_dir: Path) -> dict[str, str]:
    ana = add_reviewer_with_keys(instance_dir, "Ana Handler", "Case handler")
    app = create_app(str(instance_dir), overrides={"TESTING": True})
    reviewer = sign_in_first_time(app, "ana", create_account(instance_dir, "ana", "reviewer", ana.public)).client
    admin = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client
    for day in ("2020-01-01", "2026-11-20", None):
        file_case(instance_dir, app, [ana.public], day=day)
    found = {}
    for language in ("en", "cy", "pa"):
        headers = {"Accept-Language": language}
        found[f"{language} queue"] = reviewer.get("/review/", headers=headers).get_data(as_text=True)
        found[f"{language} admin"] = admin.get("/admin/", headers=headers).get_data(as_text=True)
        found[f"{language} audit"] = admin.get("/admin/audit", headers=headers).get_data(as_text=True)
        found[f"{language} reviewers"] = admin.get("/admin/reviewers", headers=headers).get_data(as_text=True)
        found[f"{language} accounts"] = admin.get("/admin/accounts", headers=headers).get_data(as_text=True)
    for name, html in found.items():
        assert "<table" in html, name
    return found


def test_workspace_tables_fit_a_phone(pages: dict[str, str], chromium_no_js: Any, tmp_path: Path) -> None:
    driver = chromium_no_js
    driver.set_window_size(390, 844)
    wide = {}
    for name, html in pages.items():
        path = tmp_path / (name.replace(" ", "-") + ".html")
        path.write_text(_standalone(html), encoding="utf-8")
        driver.get(path.as_uri())
        width = driver.execute_script("return document.documentElement.clientWidth")
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        if scroll > width:
            wide[name] = scroll
        # Nor does anything spill out of its cell over the next one.
        spilled = driver.execute_script(
            "return [...document.querySelectorAll('th, td')].filter(c => c.scrollWidth > c.clientWidth + 1)"
            ".map(c => c.textContent.trim().slice(0, 40))"
        )
        if spilled:
            wide[name + " cells"] = spilled
        driver.save_screenshot(str(tmp_path / (name.replace(" ", "-") + ".png")))
    assert wide == {}, f"wider than {width} px: {wide}"
