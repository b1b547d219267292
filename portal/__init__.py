"""The Candour portal: `create_app()` builds the Flask application."""

from __future__ import annotations

import logging
from contextlib import closing
from pathlib import Path
from types import TracebackType
from typing import Any

from flask import Flask, abort, request

from portal import cli, errors, i18n, quick_exit, security, static_files
from portal.auth import staff_sessions
from portal.instance import CONFIG_FILENAME, REPO_ROOT, check_settings, is_initialised, resolve_instance_path
from portal.logsafety import make_private_handler
from portal.notify import setup as notify_setup
from portal.store import db
from portal.store import queue as queue_store

DEFAULTS_FILE = REPO_ROOT / "config" / "defaults.py"

log = logging.getLogger(__name__)


class CandourFlask(Flask):
    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None],
    ) -> None:
        # Flask's default names the request path, which can carry a case id or
        # whatever was typed into the address bar. The endpoint is code, not data.
        self.logger.error("Unhandled exception in %s [%s]", request.endpoint, request.method, exc_info=exc_info)


def create_app(instance_path: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the portal for one instance folder.

    Settings, later ones winning: config/defaults.py, <instance>/candour.cfg, then
    `overrides` (for tests). The instance folder is `instance_path`, else
    $CANDOUR_INSTANCE, else <repository>/instance.

    An uninitialised instance still yields an app, so that `flask --app wsgi init`
    can run; every page then answers 503 until `init` has been run.
    """
    resolved = resolve_instance_path(instance_path)
    app = CandourFlask(
        __name__,
        instance_path=str(resolved),
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
        # /static/v/<hash of the static files>/…: cached for a year (portal/static_files.py).
        static_url_path=static_files.url_path(),
    )
    _configure_logging(app)
    app.config.from_pyfile(str(DEFAULTS_FILE))
    ready = is_initialised(resolved)
    if ready:
        app.config.from_pyfile(CONFIG_FILENAME)
    if overrides:
        app.config.update(overrides)
    check_settings(app.config)
    logging.getLogger().setLevel(app.config["LOG_LEVEL"])

    security.init_app(app)
    static_files.init_app(app)
    i18n.init_app(app)
    quick_exit.init_app(app)
    errors.init_app(app)
    db.init_app(app)
    cli.init_app(app)
    staff_sessions.init_app(app)
    notify_setup.init_app(app)  # refuses to start when NOTIFY_ENABLED and the relay settings are incomplete

    from portal.admin import bp as admin_bp
    from portal.reporter import bp as reporter_bp
    from portal.reviewer import bp as reviewer_bp

    app.register_blueprint(reporter_bp)
    app.register_blueprint(reviewer_bp)
    app.register_blueprint(admin_bp)

    if ready:
        with closing(db.connect(resolved)) as conn:
            db.migrate(conn)
            # The deadline state stored on each case (0013) counts closing as feedback
            # only for the final status this configuration names (as portal.workflow).
            with db.waiting_longer(conn):
                queue_store.use_final_status(conn, str(app.config.get("CLOSED_STATUS", "closed")))
    else:
        _refuse_requests_until_initialised(app, resolved)
    return app


def _refuse_requests_until_initialised(app: Flask, instance: Path) -> None:
    # Logged on the first refused request, not here: `flask --app wsgi init` builds
    # this same app and should not print an error while doing its job.
    warned = False

    @app.before_request
    def _not_ready() -> None:
        nonlocal warned
        if not warned:
            log.error(
                "No Candour instance in %s (no %s). Run `make init` or "
                "`.venv/bin/flask --app wsgi init`; until then every page answers 503.",
                instance,
                CONFIG_FILENAME,
            )
            warned = True
        abort(503)


def _configure_logging(app: Flask) -> None:
    # One private handler on the root logger (day-only times, addresses redacted,
    # exception messages withheld) instead of Flask's default handler, so library
    # loggers go through it too. Added once per process, however many apps exist.
    root = logging.getLogger()
    if not any(getattr(handler, "_candour", False) for handler in root.handlers):
        handler = make_private_handler()
        handler._candour = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    # The development server logs every request line with the client's address.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
