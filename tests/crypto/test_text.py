"""crypto.text: the one rule for control and format characters (CONTRACT: shared rules)."""

import unicodedata

import pytest

from crypto.errors import FormatError, TextError
from crypto.text import (
    check_label,
    check_multiline,
    clean_text,
    is_forbidden_char,
    visible_name,
)

# Every character the shared rule names explicitly.
NAMED_FORBIDDEN = [
    "\x00",
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9f",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\ud800",
]


@pytest.mark.parametrize("ch", NAMED_FORBIDDEN)
def test_named_characters_are_forbidden(ch: str) -> None:
    assert is_forbidden_char(ch)


@pytest.mark.parametrize("ch", ["a", " ", "é", "\u00a0", "\u3000", "漢", "🙂", "-", "'"])
def test_ordinary_characters_are_allowed(ch: str) -> None:
    assert not is_forbidden_char(ch)


def test_rule_is_exactly_the_five_categories() -> None:
    categories = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    for code in range(0x110000):
        ch = chr(code)
        assert is_forbidden_char(ch) == (unicodedata.category(ch) in categories), hex(code)


def test_text_error_is_a_format_error_and_a_value_error() -> None:
    with pytest.raises(FormatError):
        check_label("a\u202eb", field="name", max_chars=10)
    with pytest.raises(ValueError):
        check_label("a\u202eb", field="name", max_chars=10)


def test_label_accepts_and_returns_text_unchanged() -> None:
    assert check_label("Ana Pérez", field="name", max_chars=100) == "Ana Pérez"
    assert check_label("Ana\u00a0Pérez", field="name", max_chars=100) == "Ana\u00a0Pérez"


@pytest.mark.parametrize("ch", NAMED_FORBIDDEN)
def test_label_refuses_every_forbidden_character(ch: str) -> None:
    with pytest.raises(TextError, match="reviewer's name contains a control"):
        check_label(f"Ana{ch}Smith", field="reviewer's name", max_chars=100)


@pytest.mark.parametrize("text", [" Ana", "Ana ", "\u00a0Ana", "Ana\u3000", "\u2003Ana"])
def test_label_refuses_surrounding_white_space(text: str) -> None:
    with pytest.raises(TextError, match="white space"):
        check_label(text, field="name", max_chars=100)


def test_label_refuses_empty_unless_allowed() -> None:
    with pytest.raises(TextError, match="is empty"):
        check_label("", field="name", max_chars=10)
    assert check_label("", field="name", max_chars=10, allow_empty=True) == ""


def test_label_refuses_too_long_and_non_text() -> None:
    assert check_label("x" * 10, field="name", max_chars=10) == "x" * 10
    with pytest.raises(TextError, match="longer than 10"):
        check_label("x" * 11, field="name", max_chars=10)
    with pytest.raises(TextError, match="must be text"):
        check_label(b"ana", field="name", max_chars=10)  # type: ignore[arg-type]


def test_label_message_names_the_character_and_position() -> None:
    with pytest.raises(TextError, match=r"U\+202E RIGHT-TO-LEFT OVERRIDE, at character 4"):
        check_label("Ana\u202e", field="name", max_chars=10)


def test_multiline_keeps_line_feeds_and_reads_crlf_as_lf() -> None:
    assert check_multiline("one\ntwo\n", field="report", max_chars=100) == "one\ntwo\n"
    assert check_multiline("one\r\ntwo", field="report", max_chars=100) == "one\ntwo"
    assert check_multiline("", field="report", max_chars=100) == ""


@pytest.mark.parametrize("ch", [c for c in NAMED_FORBIDDEN if c != "\n"])
def test_multiline_refuses_every_other_forbidden_character(ch: str) -> None:
    with pytest.raises(TextError, match="only line breaks"):
        check_multiline(f"one\n{ch}two", field="reply", max_chars=100)


def test_multiline_counts_after_crlf() -> None:
    assert check_multiline("a\r\nb", field="reply", max_chars=3) == "a\nb"
    with pytest.raises(TextError, match="longer than 2"):
        check_multiline("a\r\nb", field="reply", max_chars=2)


def test_clean_text_escapes_instead_of_interpreting() -> None:
    assert clean_text("a\x1b[31mb\r\nc\td\u202e") == "a\\x1b[31mb\nc\td\\u202e"
    assert visible_name("a\nb\tc\x85") == "a\\nb\\tc\\x85"
    assert clean_text("plain") == "plain"
