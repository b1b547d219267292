"""`flask --app wsgi init`: a fresh instance folder and a migrated database."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.instance import CONFIG_FILENAME, DB_KEY_FILENAME, InstanceExistsError, create_instance
from portal.store import db


def initialise_instance(instance_path: Path) -> None:
    """What `init` does: a fresh instance folder and a migrated database."""
    create_instance(instance_path)
    with closing(db.connect(instance_path)) as conn:
        db.migrate(conn)


@click.command("init", help="Create the instance folder: keys, settings and an empty database.")
@with_appcontext
def init_command() -> None:
    path = Path(current_app.instance_path)
    try:
        initialise_instance(path)
    except InstanceExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created a Candour instance in {path}.")
    click.echo(
        f"Back up {path / DB_KEY_FILENAME} and {path / CONFIG_FILENAME} somewhere safe and "
        "separate from the database backups: without db.key the database cannot be read, "
        "and without candour.cfg no reporter can log in with their codename."
    )
    click.echo("Next: add reviewers with `.venv/bin/flask --app wsgi reviewer add PUBFILE --name NAME --role ROLE`.")
