"""What the reporter's pages carry for the browser and show the reporter (issue #12,
server side): the organisation fingerprint and where it is published, the values the
browser checks the list against, no autofill, isolated reviewer names, and a storage
key per browser session."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from browser_support import OrgInstance, prepare_org_instance
from reporter_support import add_reviewer_with_keys, codename_from, csrf_token, multipart, report_fields, sealed_token

from crypto.codename import derive_reporter_keys
from crypto.identity import b64url
from portal import create_app
from portal.reporter.session import COOKIE_NAME

PUBLISHED = "https://union.example/candour-key"


@pytest.fixture
def org(instance_dir: Path) -> OrgInstance:
    return prepare_org_instance(instance_dir)


class _Fields(HTMLParser):
    """Every text input and textarea of a page: (name, autocomplete)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "textarea" or (tag == "input" and named.get("type", "text") == "text"):
            self.fields.append((str(named.get("name")), named.get("autocomplete")))


def _text_fields(html: str) -> list[tuple[str, str | None]]:
    parser = _Fields()
    parser.feed(html)
    return parser.fields


def _data(html: str, name: str) -> str | None:
    match = re.search(rf'<div id="candour-browser" hidden[^>]* data-{name}="([^"]*)"', html)
    return None if match is None else match.group(1)


def test_landing_and_report_pages_show_the_organisation_fingerprint(org: OrgInstance) -> None:
    app = create_app(str(org.instance), overrides={"TESTING": True, "ORG_FINGERPRINT_PUBLISHED_AT": PUBLISHED})
    client = app.test_client()
    for path in ("/", "/report"):
        html = client.get(path).get_data(as_text=True)
        assert org.org.public.fingerprint in html, path
        assert f'<a href="{PUBLISHED}" rel="noreferrer"><bdi>{PUBLISHED}</bdi></a>' in html, path
    plain = create_app(str(org.instance), overrides={"TESTING": True, "ORG_FINGERPRINT_PUBLISHED_AT": "the handbook"})
    assert "publishes them in: <bdi>the handbook</bdi>" in plain.test_client().get("/").get_data(as_text=True)


def test_without_an_organisation_key_the_pages_say_so(instance_dir: Path) -> None:
    add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    client = create_app(str(instance_dir), overrides={"TESTING": True}).test_client()
    for path in ("/", "/report"):
        html = client.get(path).get_data(as_text=True)
        assert "This portal has no organisation key" in html, path
    html = client.get("/report").get_data(as_text=True)
    assert _data(html, "org-fingerprint") == "" and _data(html, "min-list-serial") == "0"


def test_sealing_pages_carry_the_fingerprint_and_the_lowest_list_serial(org: OrgInstance) -> None:
    client = create_app(str(org.instance), overrides={"TESTING": True}).test_client()
    for path in ("/report", "/followup"):
        html = client.get(path).get_data(as_text=True)
        assert _data(html, "org-fingerprint") == org.org.public.fingerprint, path
        assert _data(html, "min-list-serial") == "1", path  # the loaded list's serial
        assert _data(html, "storage-key") is None, path


def test_no_report_followup_or_codename_field_is_left_to_autofill(org: OrgInstance) -> None:
    client = create_app(str(org.instance), overrides={"TESTING": True}).test_client()
    pages = {"report": client.get("/report").get_data(as_text=True)}
    pages["login"] = client.get("/followup").get_data(as_text=True)
    body, content_type = multipart(report_fields(csrf_token(pages["report"])))
    pages["codename"] = client.post("/report", data=body, content_type=content_type).get_data(as_text=True)
    confirm = client.post(
        "/report/confirm",
        data={
            "csrf_token": csrf_token(pages["codename"]),
            "sealed": sealed_token(pages["codename"]),
            "codename": codename_from(pages["codename"]),
        },
    )
    assert confirm.status_code == 303
    pages["case"] = client.get("/case").get_data(as_text=True)
    for page, html in pages.items():
        fields = _text_fields(html)
        assert fields, page
        assert all(autocomplete == "off" for _name, autocomplete in fields), (page, fields)
    assert {name for name, _ in _text_fields(pages["report"])} >= {"what", "when", "where", "who", "outcome"}
    assert ("message", "off") in _text_fields(pages["case"])
    assert ("codename", "off") in _text_fields(pages["login"]) and ("codename", "off") in _text_fields(
        pages["codename"]
    )


def test_reviewer_names_and_roles_are_isolated(org: OrgInstance) -> None:
    client = create_app(str(org.instance), overrides={"TESTING": True}).test_client()
    for path in ("/", "/report"):
        html = client.get(path).get_data(as_text=True)
        assert "<bdi>Dana Adviser</bdi>" in html and "<bdi>Independent adviser</bdi>" in html, path
        assert "<bdi>Sam Handler</bdi>" in html and "<bdi>Case handler</bdi>" in html, path


def _browser_login(client: Any, login_token: bytes) -> None:
    html = client.get("/followup").get_data(as_text=True)
    answer = client.post("/followup/token", data={"csrf_token": csrf_token(html), "login_token": b64url(login_token)})
    assert answer.status_code == 200 and answer.get_json()["ok"], answer.get_data(as_text=True)


def test_a_browser_session_gets_its_own_storage_key_forgotten_at_leave(org: OrgInstance) -> None:
    app = create_app(str(org.instance), overrides={"TESTING": True})
    client = app.test_client()
    # A no-JS report, then a browser login with its codename's login token.
    body, content_type = multipart(report_fields(csrf_token(client.get("/report").get_data(as_text=True))))
    codename = codename_from(client.post("/report", data=body, content_type=content_type).get_data(as_text=True))
    salt = bytes.fromhex(app.config["INSTANCE_SALT"])
    token = derive_reporter_keys(codename, salt).login_token
    _browser_login(client, token)
    first = client.get("/case").get_data(as_text=True)
    key = _data(first, "storage-key")
    assert key is not None and re.fullmatch(r"[A-Za-z0-9_-]{43}", key)
    # Stable for the visit, handed back on every case page.
    assert _data(client.get("/case").get_data(as_text=True), "storage-key") == key
    copied = client.get_cookie(COOKIE_NAME)
    assert copied is not None
    # Another login gets another key.
    other = app.test_client()
    _browser_login(other, token)
    assert _data(other.get("/case").get_data(as_text=True), "storage-key") not in (None, key)
    # Leave: the cookie's copy no longer hands the key back.
    assert client.post("/logout", data={"csrf_token": csrf_token(first)}).status_code == 303
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, copied.value)
    again = thief.get("/case")
    assert again.status_code == 303 and "storage-key" not in again.get_data(as_text=True)
    # A no-JS session never gets one: nothing of it is kept in the browser.
    server = app.test_client()
    html = server.get("/followup").get_data(as_text=True)
    assert server.post("/followup", data={"csrf_token": csrf_token(html), "codename": codename}).status_code == 303
    page = server.get("/case").get_data(as_text=True)
    assert _data(page, "org-fingerprint") == org.org.public.fingerprint and _data(page, "storage-key") is None
