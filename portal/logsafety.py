"""Logging that cannot betray a reporter.

No request lines, no bodies, no client addresses, no time finer than a day. The
application's own log and gunicorn's error log both go through here:
- `ClientTextFilter` (gunicorn's log) replaces messages that carry what a client
  sent with fixed sentences;
- `AddressRedactingFilter` replaces anything shaped like an IPv4 or IPv6 address;
- `PrivateFormatter` stamps records with the day only and formats exceptions as a
  traceback of code locations plus the exception's type, never its message (messages
  such as "invalid literal for int(): '<what the reporter typed>'" echo input).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[address removed]"
LOG_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"
GUNICORN_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
DAY_ONLY = "%Y-%m-%d"

_IPV4 = r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)"
# Loose on purpose: anything with two or more colons between hex groups, which also
# swallows clock times like 12:34:56 (also not wanted in a log line).
_IPV6 = (
    r"(?<![\w:.])\[?(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?:%\w+)?\]?(?![\w:])"
)
_ADDRESS = re.compile(f"{_IPV4}|{_IPV6}")


def redact_addresses(text: str, keep: Iterable[str] = ()) -> str:
    """`text` with every IP-address-shaped token replaced. `keep` lists exact
    strings to leave alone, such as the server's own bind address."""
    kept = {f"\x00{index}\x00": value for index, value in enumerate(keep) if value}
    for placeholder, value in kept.items():
        text = text.replace(value, placeholder)
    text = _ADDRESS.sub(REDACTED, text)
    for placeholder, value in kept.items():
        text = text.replace(placeholder, value)
    return text


class AddressRedactingFilter(logging.Filter):
    def __init__(self, keep: Iterable[str] = ()) -> None:
        super().__init__()
        self.keep = tuple(keep)

    def filter(self, record: logging.LogRecord) -> bool:
        # Render the message once, redact it, and drop the args so no handler can
        # re-render the original.
        record.msg = redact_addresses(record.getMessage(), self.keep)
        record.args = None
        return True


class PrivateFormatter(logging.Formatter):
    def __init__(self, fmt: str = LOG_FORMAT, datefmt: str = DAY_ONLY) -> None:
        super().__init__(fmt, datefmt)

    def formatException(
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None],
    ) -> str:
        exc_type, _exc, tb = ei
        if exc_type is None:
            return ""
        frames = "".join(traceback.format_tb(tb))
        return (
            f"Traceback (most recent call last):\n{frames}"
            f"{exc_type.__module__}.{exc_type.__qualname__} (message withheld: it may "
            "contain what someone submitted)"
        )

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the formatted traceback on the record; never reuse one that
        # another formatter produced with the message in it.
        record.exc_text = None
        return super().format(record)


def make_private_handler(stream: Any = None, keep: Iterable[str] = ()) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(PrivateFormatter())
    handler.addFilter(AddressRedactingFilter(keep))
    return handler


# gunicorn's messages that carry what a client sent (the request line, a header,
# the method, the path, a protocol error's text), by the start of their template,
# and the fixed sentence logged instead. Matched before any argument is rendered.
CLIENT_TEXT_MESSAGES = (
    ("Invalid request from", "Refused a malformed request (400); what it held is not logged."),
    ("Error handling request", "A request failed; its method and path are not logged."),
    ("Ignored premature client disconnection", "A client disconnected early."),
    ("Closing connection.", "Closed a connection."),
    ("Socket error processing request", "A socket error ended a request."),
    ("Error processing SSL request", "A TLS error ended a request."),
    ("HTTP/2", "An HTTP/2 connection or stream failed; its details are not logged."),
)
WITHHELD_OBJECT = "An error was logged; its message is withheld (it may contain what someone submitted)."


class ClientTextFilter(logging.Filter):
    """Replace every gunicorn message that could carry client text with a fixed
    sentence (the traceback, if any, stays: `PrivateFormatter` withholds its message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        template = record.msg
        if not isinstance(template, str):
            # `log.exception(exc)`: the exception's own text, which may echo input.
            record.msg, record.args = WITHHELD_OBJECT, None
            return True
        for start, sentence in CLIENT_TEXT_MESSAGES:
            if template.startswith(start):
                record.msg, record.args = sentence, None
                break
        return True


class PrivateGunicornLogger(GunicornLogger):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's logger with no access log at all, day-only timestamps, fixed
    sentences instead of messages that carry client text (gunicorn logs "Invalid
    request from ip=…: Invalid HTTP request line: '…'" for malformed requests) and
    redacted addresses on the error log. Set as `logger_class` in
    config/gunicorn.conf.py.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        bind = [str(address) for address in (cfg.bind or [])]
        for handler in self.error_log.handlers:
            handler.setFormatter(PrivateFormatter(GUNICORN_FORMAT))
            # First: it must see the template before the next filter renders it.
            handler.addFilter(ClientTextFilter())
            handler.addFilter(AddressRedactingFilter(keep=bind))
        for handler in list(self.access_log.handlers):
            self.access_log.removeHandler(handler)

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None
