"""Friendly error pages. They never echo anything from the request (no path, no
form field, no exception message): an error page must not become a place where a
report's words show up again."""

from __future__ import annotations

import sys

import sqlcipher3
from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.i18n import lazy_gettext as _l
from portal.storage import is_storage_failure, log_storage_failure

# status → (title, explanation). Lazy: translated when the page is rendered.
ERROR_PAGES = {
    400: (
        _l("Something in that request was not right"),
        _l("The page could not understand what was sent. Go back, check the form and try again."),
    ),
    403: (
        _l("That was refused"),
        _l(
            "The portal refused this request. If you were filling in a form, it may have "
            "been open in an old tab: go back, reload the page and try again."
        ),
    ),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the address or start again from the home page."),
    ),
    405: (
        _l("That action is not possible here"),
        _l("This page does not accept that kind of request. Start again from the home page."),
    ),
    413: (
        _l("Too much to send at once"),
        _l(
            "What you tried to send is larger than this portal accepts. Remove or shrink "
            "some attachments and try again."
        ),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("The portal hit an error and could not complete your request. Please try again later."),
    ),
    503: (
        _l("The portal is not ready"),
        _l("This portal has not been set up yet. Please try again later."),
    ),
}


# A missing or stale CSRF token: almost always a form left open in an old tab or a
# browser session that ended. Sent as 400.
CSRF_PAGE = (
    _l("This form has expired"),
    _l(
        "The form was opened too long ago or in a browser session that has ended. "
        "Go back, reload the page and send it again. If you wrote a lot, copy it "
        "before reloading."
    ),
)


# The disk is full, read-only or failing: nothing can be stored until it is fixed.
STORAGE_PAGE = (
    _l("The portal cannot save anything right now"),
    _l("Its storage is full or unavailable. Nothing you send now could be kept. Please try again later."),
)


def render_error(status: int, page: tuple[str, str] | None = None) -> tuple[str, int]:
    title, explanation = page or ERROR_PAGES[status]
    return (
        render_template("errors/error.html", status=status, title=title, explanation=explanation),
        status,
    )


def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code if error.code in ERROR_PAGES else 500
    return render_error(status or 500)


def _csrf_error(_error: CSRFError) -> tuple[str, int]:
    return render_error(400, CSRF_PAGE)


def _unexpected_error(_error: InternalServerError) -> tuple[str, int]:
    return render_error(500)


def _storage_error(error: Exception) -> tuple[str, int]:
    # Any page can hit a full or read-only disk (even opening the database writes
    # its WAL index): a 503 that says so, not a 500 with a traceback.
    if is_storage_failure(error):
        log_storage_failure("a request was refused", error)
        return render_error(503, STORAGE_PAGE)
    current_app.log_exception(sys.exc_info())
    return render_error(500)


def init_app(app: Flask) -> None:
    for status in ERROR_PAGES:
        if status != 500:
            app.register_error_handler(status, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _unexpected_error)
    app.register_error_handler(OSError, _storage_error)
    app.register_error_handler(sqlcipher3.Error, _storage_error)
