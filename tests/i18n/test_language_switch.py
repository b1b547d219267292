"""Which language a page is in (cookie, then Accept-Language), the switch of plain
links, `lang`/`dir` on every page, the codename explained in each language, and
dates written out in the reader's language."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.i18n import LANGUAGE_COOKIE, format_day

REPORTER_PAGES = ("/", "/report", "/followup")
DIRECTION = {"en": "ltr", "cy": "ltr", "pl": "ltr", "pa": "ltr", "ur": "rtl"}
# The sentence that says the codename stays English, as each catalogue words it.
CODENAME_NOTE = {
    "en": "The codename is always in English",
    "cy": "Mae'r enw cod bob amser yn Saesneg",
    "pl": "Kryptonim jest zawsze po angielsku",
    "pa": "ਕੋਡਨੇਮ ਹਮੇਸ਼ਾ ਅੰਗਰੇਜ਼ੀ ਵਿੱਚ ਹੁੰਦਾ ਹੈ",
    "ur": "کوڈ نیم ہمیشہ انگریزی میں ہوتا ہے",
}


@pytest.fixture
def reviewer_ready_client(app: Flask, instance_dir: Path, add_reviewer: Any) -> FlaskClient:
    add_reviewer(instance_dir, "Asha", "Equality officer")
    return app.test_client()


def _html_tag(html: str) -> str:
    match = re.search(r"<html[^>]*>", html)
    assert match is not None
    return match.group(0)


@pytest.mark.parametrize("language", sorted(DIRECTION))
@pytest.mark.parametrize("path", REPORTER_PAGES)
def test_accept_language_sets_lang_and_dir(reviewer_ready_client: FlaskClient, path: str, language: str) -> None:
    response = reviewer_ready_client.get(path, headers={"Accept-Language": f"{language},en;q=0.5"})
    assert response.status_code == 200
    tag = _html_tag(response.get_data(as_text=True))
    assert f'lang="{language}"' in tag
    assert f'dir="{DIRECTION[language]}"' in tag


def test_error_pages_carry_lang_and_dir_and_are_translated(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": "ur"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'lang="ur" dir="rtl"' in _html_tag(html)
    assert "صفحہ نہیں ملا" in html  # "Page not found"
    assert "Page not found" not in html


def test_unknown_language_falls_back_to_english(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "de-DE,fr;q=0.8"}).get_data(as_text=True)
    assert 'lang="en" dir="ltr"' in _html_tag(html)


@pytest.mark.parametrize("language", ["cy", "pl", "pa", "ur"])
def test_switch_sets_a_cookie_holding_only_the_code(client: FlaskClient, language: str) -> None:
    response = client.get(f"/language/{language}?next=/report")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/report")
    assert response.headers["Cache-Control"] == "no-store"
    (cookie,) = response.headers.getlist("Set-Cookie")
    name_value = cookie.split(";", 1)[0]
    assert name_value == f"{LANGUAGE_COOKIE}={language}"
    # A browser-session cookie: nothing lasting on a shared device.
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()
    # The cookie beats the browser's Accept-Language from then on.
    html = client.get("/report", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'lang="{language}"' in _html_tag(html)


def test_switch_refuses_to_send_anyone_off_site(client: FlaskClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "report"):
        response = client.get(f"/language/cy?next={target}")
        assert response.status_code == 303
        assert response.headers["Location"] in ("/", "http://localhost/"), target


def test_switch_ignores_a_language_not_offered(client: FlaskClient) -> None:
    response = client.get("/language/de?next=/")
    assert response.status_code == 303
    assert response.headers.getlist("Set-Cookie") == []
    client.set_cookie(LANGUAGE_COOKIE, "xx")
    assert 'lang="en"' in _html_tag(client.get("/").get_data(as_text=True))


@pytest.mark.parametrize("path", REPORTER_PAGES)
def test_every_reporter_page_links_every_language(reviewer_ready_client: FlaskClient, path: str) -> None:
    html = reviewer_ready_client.get(path, headers={"Accept-Language": "pl"}).get_data(as_text=True)
    nav = html.split('<nav class="language-switch', 1)[1].split("</nav>", 1)[0]
    for code, name in (("en", "English"), ("cy", "Cymraeg"), ("pa", "ਪੰਜਾਬੀ"), ("ur", "اردو")):
        assert f'href="/language/{code}?next={path}"' in nav
        assert name in nav
    assert 'aria-current="true">Polski<' in nav
    assert "<script" not in nav


@pytest.mark.parametrize("language", sorted(CODENAME_NOTE))
def test_followup_page_says_the_codename_stays_english(client: FlaskClient, language: str) -> None:
    html = client.get("/followup", headers={"Accept-Language": language}).get_data(as_text=True)
    assert CODENAME_NOTE[language] in html


def test_dates_in_the_readers_language() -> None:
    day = datetime.date(2026, 12, 8)
    assert format_day(day, "en") == "8 December 2026"
    assert format_day(day, "cy") == "8 Rhagfyr 2026"
    assert format_day(day, "pl") == "8 grudnia 2026"
    assert "ਦਸੰਬਰ" in format_day(day, "pa")
    assert "دسمبر" in format_day(day, "ur")
    assert format_day("2026-12-08", "cy") == "8 Rhagfyr 2026"


def test_deadline_filter_puts_the_iso_date_beside_the_written_one(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "cy"}):
        rendered = app.jinja_env.from_string("{{ d|deadline }} / {{ d|day }}").render(d="2026-12-08")
    assert '<time datetime="2026-12-08">8 Rhagfyr 2026</time>' in rendered
    assert '<span class="iso-date" dir="ltr">(2026-12-08)</span>' in rendered
    assert rendered.endswith('/ <time datetime="2026-12-08">8 Rhagfyr 2026</time>')


def test_templates_follow_each_request_and_a_forced_language(app: Flask) -> None:
    # The template catalogue is looked up once per request (portal/i18n.py): each
    # request still gets its own language, and force_locale (the e-mails) still wins
    # inside a request and gives the request's language back when it ends.
    from flask import render_template_string
    from flask_babel import force_locale

    source = '{{ _("Page not found") }}'
    with app.test_request_context("/", headers={"Accept-Language": "ur"}):
        assert render_template_string(source) == "صفحہ نہیں ملا"
        with force_locale("en"):
            assert render_template_string(source) == "Page not found"
        assert render_template_string(source) == "صفحہ نہیں ملا"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(source) == "Page not found"


def test_the_kept_browser_strings_follow_the_language(reviewer_ready_client: FlaskClient) -> None:
    # The browser path's sentences are rendered once and kept (portal/reporter/
    # kept_fragments.py): each language still gets its own, whichever came first.
    def strings(language: str) -> str:
        html = reviewer_ready_client.get("/report", headers={"Accept-Language": language}).get_data(as_text=True)
        match = re.search(r'<template id="candour-strings">(.*?)</template>', html, flags=re.S)
        assert match is not None
        return match.group(1)

    for _ in range(2):
        assert "No replies yet." in strings("en")
        urdu = strings("ur")
        assert "ابھی کوئی جواب نہیں۔" in urdu and "No replies yet." not in urdu
        assert "Dim atebion eto." in strings("cy")
