"""The log redaction and the private formatter."""

from __future__ import annotations

import logging
import sys

import pytest

from portal.logsafety import REDACTED, AddressRedactingFilter, PrivateFormatter, redact_addresses


@pytest.mark.parametrize(
    "text",
    [
        "Invalid request from ip=203.0.113.9: bad",
        "client 10.1.2.3.",
        "peer ::1 went away",
        "peer [2001:db8::17]:443",
        "mapped ::ffff:198.51.100.4 here",
        "fe80::1%eth0 link-local",
    ],
)
def test_addresses_are_removed(text: str) -> None:
    cleaned = redact_addresses(text)
    assert REDACTED in cleaned
    for fragment in ("203.0.113", "10.1.2", "::1 ", "2001:db8", "198.51.100", "fe80"):
        assert fragment not in cleaned


def test_kept_strings_survive_and_ordinary_text_is_untouched() -> None:
    text = "Listening at: http://127.0.0.1:8000 (42), Python 3.11.7, line 12"
    assert redact_addresses(text, keep=["127.0.0.1:8000"]) == text
    assert "127.0.0.1" not in redact_addresses(text)


def test_filter_renders_arguments_before_redacting() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "from %s: %s", ("192.0.2.1", "oops"), None)
    AddressRedactingFilter().filter(record)
    assert record.getMessage() == f"from {REDACTED}: oops"


def test_formatter_keeps_days_only_and_withholds_exception_messages() -> None:
    submitted = "canary-words"
    try:
        int(submitted)  # the ValueError's message quotes the input
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    rendered = PrivateFormatter().format(record)
    assert "canary-words" not in rendered
    assert "builtins.ValueError" in rendered
    assert rendered[:10].count("-") == 2 and rendered[10] == " "  # YYYY-MM-DD then a space
