"""Wiring notifications into the app: the checked NOTIFY_* settings, and the address pages
(the `notify` commands are in portal/cli/notify.py)."""

from __future__ import annotations

import logging

from flask import Flask

from portal.notify.settings import NotifySettings, NotifySettingsError, load_settings

EXTENSION = "candour_notify"
log = logging.getLogger(__name__)


def settings_of(app: Flask) -> NotifySettings | None:
    """The checked notification settings, None when notifications are off."""
    settings: NotifySettings | None = app.extensions.get(EXTENSION)
    return settings


def init_app(app: Flask) -> None:
    """Check the NOTIFY_* settings (refusing to start when they are incomplete) and add
    the e-mail address pages."""
    try:
        app.extensions[EXTENSION] = load_settings(app.config)
    except NotifySettingsError as exc:
        # The private log handler withholds exception messages; this one names only
        # settings, so say it in the log before refusing to start.
        log.error("The portal cannot start: %s", exc)
        raise
    from portal.notify.views import bp

    app.register_blueprint(bp)
