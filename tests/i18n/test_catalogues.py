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
    # added to a template without a translation fails here. It must run over "." as the
    # Makefile does: babel.cfg's patterns are relative to the folder extracted, so naming
    # portal/, config/ and templates/ instead matches nothing and would pass vacuously.
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "_l"]
        + ["-o", str(pot), "."],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


@pytest.fixture(scope="module")
def committed_pot() -> dict[object, object]:
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


def _untranslated(language: str, msgids: object) -> list[object]:
    """The msgids with no translation in the catalogue, or only a fuzzy one (a fuzzy
    entry is a guess by `pybabel update` from a similar string: it is not compiled)."""
    catalogue = _catalogue(language)
    missing = []
    for msgid in msgids:  # type: ignore[attr-defined]
        message = catalogue.get(msgid)
        if message is None or message.fuzzy:
            missing.append(msgid)
        elif not (message.string if isinstance(msgid, str) else all(message.string)):
            missing.append(msgid)
    return missing


def test_extraction_finds_the_strings_of_every_kind_of_file(extracted: dict[object, object]) -> None:
    # Guards the two tests below against an extraction that silently finds nothing:
    # Python, HTML templates and the mail templates (.txt) each contribute strings.
    locations = {path for message in extracted.values() for path, _line in message.locations}  # type: ignore[attr-defined]
    assert any(path.startswith("portal/") and path.endswith(".py") for path in locations)
    assert any(path.startswith("templates/") and path.endswith(".html") for path in locations)
    assert any(path.startswith("templates/notify/") and path.endswith(".txt") for path in locations)
    assert len(extracted) > 400


def test_committed_pot_is_the_current_extraction(
    extracted: dict[object, object], committed_pot: dict[object, object]
) -> None:
    # translations/messages.pot is what an organisation translates from: run `make messages`.
    assert sorted(map(str, set(extracted) ^ set(committed_pot))) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_in_the_pot_is_translated(language: str, committed_pot: dict[object, object]) -> None:
    assert _untranslated(language, committed_pot) == []


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated(language: str, extracted: dict[object, object]) -> None:
    assert _untranslated(language, extracted) == []


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
    # The comment lines joined: `pybabel update` rewraps the header at 76 columns.
    header = " ".join(line.lstrip("#").strip() for line in text.split('msgid ""', 1)[0].splitlines())
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
