"""Flask-Babel set-up: every user-facing string goes through gettext so the portal
can be translated. Catalogues live in translations/ (see babel.cfg and
`make messages`)."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale, gettext, lazy_gettext, ngettext

from portal.instance import REPO_ROOT

TRANSLATIONS_DIR = REPO_ROOT / "translations"

__all__ = ["gettext", "lazy_gettext", "ngettext", "init_app", "select_locale"]


def select_locale() -> str | None:
    # Accept-Language is read for this response only and never stored or logged.
    offered: list[str] = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(offered)


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )

    # For <html lang="…">.
    app.jinja_env.globals["get_locale"] = get_locale

    @app.template_filter("label")
    def translate_label(label: str) -> str:
        # Labels from config (categories, statuses, outcomes) are marked with N_()
        # there and translated here, at render time.
        return str(gettext(label))
