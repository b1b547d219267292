"""Languages: which one a page is shown in, the language switch, and dates.

Every user-facing string goes through gettext; the catalogues live in translations/
(see babel.cfg, `make messages` and docs/operations.md "Adding or correcting a
language"). The compiled .mo files are committed next to their .po files, so an
install needs no build step; tests/i18n/test_catalogues.py fails when a .mo is older
than its .po.

The language is, in order: the `candour_lang` cookie (set by the language switch,
holding only a language code), the browser's Accept-Language, BABEL_DEFAULT_LOCALE.
Neither is stored or logged.
"""

from __future__ import annotations

import datetime
import functools
from urllib.parse import quote, urlsplit

from babel import Locale
from babel.dates import format_date
from babel.support import NullTranslations
from flask import Flask, current_app, g, redirect, request
from flask_babel import Babel, get_locale, get_translations, gettext, lazy_gettext, ngettext
from markupsafe import Markup
from werkzeug.wrappers.response import Response

from portal.instance import REPO_ROOT

TRANSLATIONS_DIR = REPO_ROOT / "translations"
LANGUAGE_COOKIE = "candour_lang"

__all__ = [
    "LANGUAGE_COOKIE",
    "format_day",
    "gettext",
    "init_app",
    "language_links",
    "lazy_gettext",
    "ngettext",
    "select_locale",
    "text_direction",
]

# Babel's plain "en" writes dates the US way ("December 8, 2026"); the portal's
# readers are in the UK.
_DATE_LOCALE = {"en": "en_GB"}


def offered_languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def select_locale() -> Locale:
    # Both the cookie and Accept-Language are read for this response only.
    offered = offered_languages()
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen not in offered:
        chosen = request.accept_languages.best_match(offered) or current_app.config["BABEL_DEFAULT_LOCALE"]
    # Flask-Babel parses what the selector returns on every request unless it is
    # already a Locale; a handful of languages are offered, so each is parsed once.
    return _locale(str(chosen))


@functools.cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def _request_translations() -> NullTranslations:
    """This request's catalogue, looked up once. It is kept on Flask-Babel's own
    per-request state (`g._flask_babel.babel_translations`), which `force_locale`
    clears on entry and restores on exit, so a forced language is still honoured."""
    state = g.get("_flask_babel")
    kept = getattr(state, "babel_translations", None) if state is not None else None
    if isinstance(kept, NullTranslations):
        return kept
    found: NullTranslations = get_translations()
    state = g.get("_flask_babel")
    if state is not None:
        state.babel_translations = found
    return found


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def text_direction(language: str | None = None) -> str:
    """The page's dir attribute: "rtl" for a right-to-left language (Urdu), else "ltr"."""
    locale = Locale.parse(language or current_language())
    return "rtl" if locale.text_direction == "rtl" else "ltr"


def language_name(language: str) -> str:
    """The language's name in itself ("Cymraeg", "اردو"), as a switch link shows it."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def language_links(back_to: str | None = None) -> list[dict[str, str | bool]]:
    """One entry per offered language for the switch: code, own name, direction, link
    back to this page (or to `back_to`, a path) in that language, and whether it is the
    page's language now."""
    here = request.script_root + (back_to if back_to is not None else request.path)
    current = current_language()
    return [
        {
            "code": code,
            "name": language_name(code),
            "dir": text_direction(code),
            "href": f"{request.script_root}/language/{code}?next={quote(here, safe='/')}",
            "current": code == current,
        }
        for code in offered_languages()
    ]


def _as_date(day: datetime.date | str) -> datetime.date:
    if isinstance(day, datetime.datetime):
        return day.date()
    if isinstance(day, datetime.date):
        return day
    return datetime.date.fromisoformat(day)


def format_day(day: datetime.date | str, language: str | None = None) -> str:
    """A day written out in the reader's language: "8 Rhagfyr 2026", "8 grudnia 2026"."""
    code = language or current_language()
    return format_date(_as_date(day), format="long", locale=_DATE_LOCALE.get(code, code))


def day_markup(day: datetime.date | str | None) -> Markup:
    if day is None or day == "":
        return Markup("")
    iso = _as_date(day).isoformat()
    return Markup('<time datetime="{0}">{1}</time>').format(iso, format_day(iso))


def deadline_markup(day: datetime.date | str | None) -> Markup:
    # Where a deadline matters the ISO date stands beside the written one, so a date
    # in an unfamiliar calendar wording can still be checked against a letter or law.
    if day is None or day == "":
        return Markup("")
    iso = _as_date(day).isoformat()
    return Markup('<time datetime="{0}">{1}</time> <span class="iso-date" dir="ltr">({0})</span>').format(
        iso, format_day(iso)
    )


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never a scheme, a host or "//host" (an open redirect
    # would let a link dressed as the portal's send a reporter anywhere).
    fallback = request.script_root + "/"
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return parts.path or fallback


def switch_language(code: str) -> Response:
    """GET /language/<code>?next=<path>: remember the choice and go back to the page."""
    response = redirect(_safe_next(request.args.get("next")), code=303)
    if code in offered_languages():
        # A session cookie (no expiry): it goes when the browser closes, so a shared
        # device keeps no lasting sign of a visit. It holds only the code.
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
            path=request.script_root + "/" if request.script_root else "/",
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )

    # Flask-Babel's template gettext looks up the request's locale and its catalogue
    # again for every string (tens per page: most of a page's rendering time); the
    # catalogue is found once per request and kept where Flask-Babel keeps its locale.
    # (install_gettext_callables is added to the environment by jinja2.ext.i18n.)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )

    # For <html lang="…" dir="…">.
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["text_direction"] = text_direction
    app.jinja_env.globals["language_links"] = language_links
    app.add_url_rule("/language/<code>", "language", switch_language, methods=["GET"])
    app.add_template_filter(day_markup, "day")
    app.add_template_filter(deadline_markup, "deadline")

    @app.template_filter("label")
    def translate_label(label: str) -> str:
        # Labels from config (categories, statuses, outcomes) are marked with N_()
        # there and translated here, at render time.
        return str(gettext(label))
