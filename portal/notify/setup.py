"""Wiring notifications into the app: the checked NOTIFY_* settings, the address pages,
and one `notify send` run (the command in portal/cli/notify.py and the tests call it)."""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import datetime

import click
from flask import Flask

from portal.notify.delivery import RunReport, send_due
from portal.notify.settings import NotifySettings, NotifySettingsError, load_settings
from portal.store import db
from portal.workflow import closed_status

EXTENSION = "candour_notify"
log = logging.getLogger(__name__)


def settings_of(app: Flask) -> NotifySettings | None:
    """The checked notification settings, None when notifications are off."""
    settings: NotifySettings | None = app.extensions.get(EXTENSION)
    return settings


def run_send(app: Flask, now: datetime) -> RunReport:
    """One `notify send` at `now` (an aware datetime), in `app`'s context."""
    settings = settings_of(app)
    if settings is None:
        raise click.ClickException("E-mail notifications are off (NOTIFY_ENABLED = False).")
    with closing(db.connect(app.instance_path)) as conn:
        return send_due(conn, app.instance_path, settings, now=now, closed_status=closed_status())


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
