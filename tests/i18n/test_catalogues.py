"""The Welsh, Polish, Punjabi and Urdu catalogues: complete against the strings the
code marks today, placeholders intact, the review warning in each header, and the
committed .mo files compiled from the .po files beside them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

REPO_ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO_ROOT / "translations"
LANGUAGES = ("cy", "pl", "pa", "ur")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[object, object]:
    # A fresh extraction (what `make messages` runs), not the committed .pot: a string
    # added to a template without a translation fails here.
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "_l"]
        + ["-o", str(pot), "portal", "config", "templates"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated(language: str, extracted: dict[object, object]) -> None:
    catalogue = _catalogue(language)
    missing = [
        msgid
        for msgid in extracted
        if catalogue.get(msgid) is None
        or not (catalogue[msgid].string if isinstance(msgid, str) else all(catalogue[msgid].string))
    ]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    catalogue = _catalogue(language)
    assert catalogue.num_plurals >= 2
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            allowed = set(PLACEHOLDER.findall(message.id[1]))
            assert len(message.string) == catalogue.num_plurals, message.id
            for form in message.string:
                assert set(PLACEHOLDER.findall(form)) <= allowed, (message.id, form)
        else:
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id
            # A stray % would make %-formatting raise when the page renders.
            assert message.string.count("%") == message.id.count("%"), message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_header_says_a_native_speaker_must_review_it(language: str) -> None:
    text = (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    header = text.split('msgid ""', 1)[0]
    assert "must be reviewed by a native speaker" in header
    assert "before real use" in header


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_matches_its_po(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    catalogue = _catalogue(language)

    def table(messages: object) -> dict[object, object]:
        return {
            tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id: tuple(m.string)
            if isinstance(m.string, (list, tuple))
            else m.string
            for m in messages  # type: ignore[attr-defined]
            if m.id
        }

    expected = table(catalogue)
    actual = table(compiled)
    assert actual == expected, "run: .venv/bin/pybabel compile -d translations"


def test_mo_compiles_cleanly() -> None:
    # pybabel refuses fuzzy catalogues and reports format errors; a clean run here
    # means the organisation's own recompile after an edit will work too.
    for language in LANGUAGES:
        out = io.BytesIO()
        write_mo(out, _catalogue(language))
        assert out.getvalue()
