"""Typed words kept (issue #17 item 3), without JavaScript: every refusal on the codename
confirmation (/report/confirm) and the follow-up login (/followup) puts back what was
typed and says which word is wrong, by position and as typed, never the right word; a
codename of 8 list words that opens no case is told only that no case matches."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.reporter_support import (
    add_reviewer_with_keys,
    codename_from,
    csrf_token,
    multipart,
    report_fields,
    sealed_token,
)
from tests.support.workspace_support import file_case

from crypto.codename import codename_problems
from crypto.identity import ReviewerKeys
from crypto.wordlist import words
from portal import create_app
from portal.argon2_budget import argon2_slot
from portal.reporter.session import COOKIE_NAME

ISOLATED = "\u2068{}\u2069"  # the typed word inside Unicode isolates (portal/reporter/codename_words.py)


@pytest.fixture
def reviewers(instance_dir: Path) -> dict[str, ReviewerKeys]:
    return {"handler": add_reviewer_with_keys(instance_dir, "Sam Handler", "Case handler")}


def _field_value(page: str) -> str:
    match = re.search(r'<textarea id="codename"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, page
    return html_module.unescape(match.group(1))


def _field_error(page: str) -> str:
    match = re.search(r'<p class="error-message" id="codename-error">(.*?)</p>', page, re.S)
    assert match, "no visible error under the field"
    return html_module.unescape(match.group(1))


def _marked_invalid(page: str) -> bool:
    return bool(
        re.search(
            r'<textarea id="codename"[^>]*aria-describedby="codename-hint codename-error"[^>]*aria-invalid="true"', page
        )
    )


def _new_report(client: FlaskClient, reviewer: ReviewerKeys) -> str:
    page = client.get("/report").get_data(as_text=True)
    body, content_type = multipart(report_fields(csrf_token(page), reviewers=[reviewer.key_id.hex()]))
    response = client.post("/report", data=body, content_type=content_type)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _confirm(client: FlaskClient, page: str, typed: str) -> Any:
    return client.post(
        "/report/confirm", data={"csrf_token": csrf_token(page), "sealed": sealed_token(page), "codename": typed}
    )


def _another_word(not_these: list[str]) -> str:
    return next(word for word in words() if word not in not_these)


def test_problems_name_positions_and_typed_words_only() -> None:
    expected = "abandon ability able about above absent absorb abstract"
    assert [p.kind for p in codename_problems("")] == ["empty"]
    assert [(p.kind, p.count) for p in codename_problems("abandon ability")] == [("count", 2)]
    unknown = codename_problems("Abandon-LANTER able about above absent absorb zzz")
    assert [(p.kind, p.position, p.word) for p in unknown] == [("unknown", 2, "lanter"), ("unknown", 8, "zzz")]
    differs = codename_problems("abandon ability able about absurd absent absorb abstract", expected=expected)
    assert [(p.kind, p.position, p.word) for p in differs] == [("differs", 5, "absurd")]
    assert codename_problems(expected.upper(), expected=expected) == []
    assert codename_problems(expected) == []  # 8 list words: whether a case matches is the server's question


def test_confirm_refusals_keep_the_typed_words_and_name_the_wrong_one(
    client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    page = _new_report(client, reviewers["handler"])
    codename = codename_from(page)
    shown = codename.split()
    other = _another_word(shown)
    fifth_misspelt = " ".join(shown[:4] + ["lanter"] + shown[5:])
    third_differs = " ".join(shown[:2] + [other] + shown[3:])
    cases = {
        " ".join(shown[:7]): "The codename needs 8 words; you typed 7.",
        fifth_misspelt.upper(): f"Word 5, “{ISOLATED.format('lanter')}”, is not in the word list. Check its spelling.",
        third_differs: f"Word 3, “{ISOLATED.format(other)}”, differs from your codename shown above.",
        "": "Enter your codename: the 8 words you were given when you made your report.",
    }
    for typed, sentence in cases.items():
        response = _confirm(client, page, typed)
        again = response.get_data(as_text=True)
        assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
        assert _field_value(again) == typed
        assert _field_error(again) == sentence
        assert (
            _marked_invalid(again) and f'<a href="#codename">{html_module.escape(sentence, quote=False)}</a>' in again
        )
        assert codename_from(again) == codename  # still shown, to copy from
        assert COOKIE_NAME not in response.headers.get("Set-Cookie", "")
    # The sentence about a differing word never holds the right word.
    error = _field_error(_confirm(client, page, third_differs).get_data(as_text=True))
    assert shown[2] not in error.split("“")[1]
    # Every differing word is named, in order.
    swapped = " ".join(reversed(shown))
    error = _field_error(_confirm(client, page, swapped).get_data(as_text=True))
    assert [int(n) for n in re.findall(r"Word (\d+),", error)] == [
        i for i, (a, b) in enumerate(zip(reversed(shown), shown, strict=True), start=1) if a != b
    ]
    done = _confirm(client, page, "-".join(shown).upper())
    assert done.status_code == 303


def test_followup_refusals_keep_the_typed_words_and_name_the_wrong_one(
    client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    cases = {
        "abandon ability able": ["The codename needs 8 words; you typed 3."],
        "abandon lanter able about above absent absorb zzqxplonk": [
            f"Word 2, “{ISOLATED.format('lanter')}”, is not in the word list. Check its spelling.",
            f"Word 8, “{ISOLATED.format('zzqxplonk')}”, is not in the word list. Check its spelling.",
        ],
        "abandon ability able about above absent absorb abstract extra lanter": [
            "The codename needs 8 words; you typed 10.",
            f"Word 10, “{ISOLATED.format('lanter')}”, is not in the word list. Check its spelling.",
        ],
        # Eight list words, no case: nothing says which word (nobody knows; the portal keeps no codename).
        "abandon ability able about above absent absorb abstract": [
            "No case matches that codename. Check each word and try again."
        ],
        "   ": ["Enter your codename: the 8 words you were given when you made your report."],
    }
    for typed, sentences in cases.items():
        response = client.post("/followup", data={"csrf_token": token, "codename": typed})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
        assert _field_value(page) == typed
        assert _field_error(page) == " ".join(sentences)
        assert _marked_invalid(page)
        for sentence in sentences:
            assert f'<li><a href="#codename">{html_module.escape(sentence, quote=False)}</a></li>' in page
        assert COOKIE_NAME not in response.headers.get("Set-Cookie", "")


def test_a_typed_word_is_shown_escaped_and_cut(client: FlaskClient, reviewers: dict[str, ReviewerKeys]) -> None:
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    typed = "<b>bold</b> ability able about above absent absorb over\u202eride" + "x" * 100
    response = client.post("/followup", data={"csrf_token": token, "codename": typed})
    page = response.get_data(as_text=True)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert _field_value(page) == typed
    error = _field_error(page)
    assert "\u202e" not in error and "over\\u202eride" in error
    shown = "over\\u202eride" + "x" * 100
    assert ISOLATED.format(shown[:40] + "…") in error  # the first 40 characters of what is shown


def test_a_busy_portal_keeps_the_typed_codename(instance_dir: Path, reviewers: dict[str, ReviewerKeys]) -> None:
    app: Flask = create_app(
        str(instance_dir), overrides={"TESTING": True, "ARGON2_CONCURRENCY": 1, "ARGON2_WAIT_SECONDS": 0.1}
    )
    # Only a case made before codename version 2 needs Argon2 at login (docs/format.md §6):
    # with one on the instance, a codename that opens no version 2 case waits for a slot.
    file_case(instance_dir, app, [keys.public for keys in reviewers.values()], codename_version=1)
    client = app.test_client()
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    typed = "abandon ability able about above absent absorb abstract"
    with argon2_slot(1):
        response = client.post("/followup", data={"csrf_token": token, "codename": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert _field_value(page) == typed
    assert _field_error(page) == "The portal is busy. Please try again in a minute."


@pytest.mark.parametrize("language", ["cy", "pl", "pa", "ur"])
def test_the_refusal_is_in_the_readers_language(
    client: FlaskClient, reviewers: dict[str, ReviewerKeys], language: str
) -> None:
    client.set_cookie("candour_lang", language)
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    typed = "abandon ability able about lanter absent absorb abstract"
    page = client.post("/followup", data={"csrf_token": token, "codename": typed}).get_data(as_text=True)
    error = _field_error(page)
    assert f'lang="{language}"' in page
    assert ISOLATED.format("lanter") in error and "5" in error
    assert "is not in the word list" not in error
    assert _field_value(page) == typed
