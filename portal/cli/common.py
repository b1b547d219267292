"""What every command shares: the one way to reach the instance from a command."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from portal.instance import is_initialised
from portal.store import db

VIA = "command line"  # recorded in the audit entries commands write


def instance_folder() -> Path:
    """The app's instance folder; a clear error when it has not been initialised."""
    path = Path(current_app.instance_path)
    if not is_initialised(path):
        raise click.ClickException(
            f"No Candour instance in {path}. Run `.venv/bin/flask --app wsgi init` (or `make init`) first, "
            "or set CANDOUR_INSTANCE to the instance folder."
        )
    return path


def open_db() -> db.Connection:
    """A connection to the instance's database (close it with `contextlib.closing`)."""
    return db.connect(instance_folder())
