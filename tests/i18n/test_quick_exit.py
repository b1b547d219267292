"""The quick exit without a browser: on every reporter page, and /leave ends the visit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app


@pytest.mark.parametrize("path", ["/", "/report", "/followup", "/no-such-page"])
def test_every_reporter_page_has_the_leave_link(app: Flask, instance_dir: Path, add_reviewer: Any, path: str) -> None:
    add_reviewer(instance_dir, "Asha", "Equality officer")
    html = app.test_client().get(path, headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert '<a class="quick-exit" id="quick-exit" href="/leave"' in html
    assert "یہ سائٹ چھوڑیں" in html  # "Leave this site" in Urdu
    # The page says what it does not do, and what to do instead.
    assert "ہسٹری نہیں مٹاتا" in html and "پرائیویٹ ونڈو" in html
    assert "quick-exit.js" in html


def test_leave_ends_the_visit_and_goes_to_the_configured_page(instance_dir: Path) -> None:
    app = create_app(str(instance_dir), overrides={"TESTING": True, "QUICK_EXIT_URL": "https://weather.example/"})
    client = app.test_client()
    client.get("/language/cy?next=/")
    client.set_cookie("candour_case", "sealed-visit")
    response = client.get("/leave")
    assert response.status_code == 303
    assert response.headers["Location"] == "https://weather.example/"
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    cleared = {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}
    assert cleared == {"candour_lang", "candour_case"}
    assert all("Expires=Thu, 01 Jan 1970" in header for header in response.headers.getlist("Set-Cookie"))


def test_default_exit_is_a_search_engine(client: FlaskClient) -> None:
    response = client.get("/leave")
    assert response.headers["Location"] == "https://www.google.com/"


def test_no_quick_exit_in_the_workspace(client: FlaskClient) -> None:
    html = client.get("/review/login").get_data(as_text=True)
    assert "quick-exit" not in html
