"""`flask --app wsgi backup DEST [--include-keys]` and `flask --app wsgi restore SRC INSTANCE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.backup import BackupError, make_backup, restore_backup
from portal.cli.common import instance_folder
from portal.store.db import DatabaseKeyError

_FOLDER = click.Path(file_okay=False, path_type=Path)
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("backup", help="Copy the running instance consistently into the new folder DEST.")
@click.argument("dest", type=_FOLDER)
@click.option(
    "--include-keys",
    is_flag=True,
    help="Also copy candour.cfg and db.key. Without them the backup is unreadable ciphertext; with them, "
    "whoever holds it can open the database.",
)
@with_appcontext
def backup_command(dest: Path, include_keys: bool) -> None:
    try:
        result = make_backup(instance_folder(), dest.resolve(), include_keys=include_keys)
    except (BackupError, DatabaseKeyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {result.cases} case(s) and {result.blobs} blob(s) to {result.path}.")
    if result.keys_included:
        click.echo("It INCLUDES candour.cfg and db.key: keep it as secret as the server itself.")
    else:
        click.echo("It does not include candour.cfg or db.key: keep those separately; restore needs them.")
    if result.audit_problem:
        click.echo(f"WARNING: the audit trail does not verify: {result.audit_problem}", err=True)


@click.command("restore", help="Make the new instance folder INSTANCE from the backup in SRC.")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("instance", type=_FOLDER)
@click.option("--config", type=_FILE, help="candour.cfg kept apart from the backup.")
@click.option("--db-key", type=_FILE, help="db.key kept apart from the backup.")
def restore_command(src: Path, instance: Path, config: Path | None, db_key: Path | None) -> None:
    try:
        result = restore_backup(src.resolve(), instance.resolve(), config=config, db_key=db_key)
    except (BackupError, DatabaseKeyError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {result.cases} case(s) and {result.blobs} blob(s) into {result.path}.")
    if result.audit_problem:
        click.echo(f"WARNING: the restored audit trail does not verify: {result.audit_problem}", err=True)
    click.echo(f"Start the portal on it with CANDOUR_INSTANCE={result.path}.")
