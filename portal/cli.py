"""Administrator commands: `flask --app wsgi init`, `flask --app wsgi reviewer …`."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal import audit
from portal.instance import (
    CONFIG_FILENAME,
    DB_KEY_FILENAME,
    InstanceExistsError,
    create_instance,
    is_initialised,
)
from portal.reviewer_admin import LabelError, add_reviewer_audited, clean_label
from portal.store import db
from portal.store.reviewers import (
    ReviewerExistsError,
    ReviewerNotFoundError,
    deactivate_reviewer,
    list_reviewers,
)

reviewer_cli = AppGroup("reviewer", help="Add, list and remove the people who receive reports.")


def initialise_instance(instance_path: Path) -> None:
    """What `init` does: a fresh instance folder and a migrated database."""
    create_instance(instance_path)
    with closing(db.connect(instance_path)) as conn:
        db.migrate(conn)


def _instance() -> Path:
    path = Path(current_app.instance_path)
    if not is_initialised(path):
        raise click.ClickException(
            f"No Candour instance in {path}. Run `flask --app wsgi init` (or `make init`) first, "
            "or set CANDOUR_INSTANCE to the instance folder."
        )
    return path


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
    click.echo("Next: add reviewers with `flask --app wsgi reviewer add PUBFILE --name NAME --role ROLE`.")


@reviewer_cli.command("add")
@click.argument("pubfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Name shown to reporters.")
@click.option("--role", required=True, help='Role shown to reporters, e.g. "Independent adviser".')
@click.option(
    "--required",
    is_flag=True,
    help="Every report is sealed to this reviewer; reporters cannot leave them out.",
)
def reviewer_add(pubfile: Path, name: str, role: str, required: bool) -> None:
    """Add the reviewer whose public identity is in PUBFILE."""
    # Imported here so the portal's other commands work while crypto/ is absent or
    # broken; only this command needs it.
    from crypto.errors import IdentityError
    from crypto.identity import parse_public_identity

    try:
        display_name = clean_label(name, "name")
        role_label = clean_label(role, "role")
    except LabelError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        text = pubfile.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{pubfile} is not a text file; expected a public identity") from None
    try:
        identity = parse_public_identity(text)
    except IdentityError as exc:
        raise click.ClickException(f"{pubfile}: {exc}") from None
    with closing(db.connect(_instance())) as conn:
        try:
            reviewer = add_reviewer_audited(
                conn,
                _instance(),
                identity,
                display_name=display_name,
                role=role_label,
                required=required,
                actor=audit.SYSTEM,
                via="command line",
            )
        except ReviewerExistsError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Added {reviewer.display_name} ({reviewer.role}).")
    click.echo(f"  key id:      {reviewer.key_id}")
    click.echo(f"  fingerprint: {reviewer.fingerprint}")
    if reviewer.required:
        click.echo("  receives every report")
    click.echo("Check the fingerprint with the reviewer in person or by phone before they get reports.")


@reviewer_cli.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Include removed reviewers.")
def reviewer_list(include_removed: bool) -> None:
    """List reviewers: name, role, required, fingerprint, key id."""
    with closing(db.connect(_instance())) as conn:
        reviewers = list_reviewers(conn, active_only=not include_removed)
    if not reviewers:
        click.echo(
            "No reviewers yet. Add one with "
            "`flask --app wsgi reviewer add PUBFILE --name NAME --role ROLE [--required]`."
        )
        return
    for reviewer in reviewers:
        flags = []
        if reviewer.required:
            flags.append("required")
        if not reviewer.active:
            flags.append("removed")
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        click.echo(f"{reviewer.display_name} — {reviewer.role}{suffix}")
        click.echo(f"  fingerprint: {reviewer.fingerprint}")
        click.echo(f"  key id:      {reviewer.key_id}")


@reviewer_cli.command("remove")
@click.argument("key_id_or_fingerprint")
def reviewer_remove(key_id_or_fingerprint: str) -> None:
    """Stop offering a reviewer to reporters (key id or fingerprint).

    Cases already sealed to them stay readable by them; their past replies and
    actions stay in the record.
    """
    with closing(db.connect(_instance())) as conn:
        try:
            reviewer = deactivate_reviewer(conn, key_id_or_fingerprint)
        except ReviewerNotFoundError as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(
            conn,
            _instance(),
            actor=audit.SYSTEM,
            action="reviewer_removed",
            details={"key_id": reviewer.key_id, "name": reviewer.display_name, "via": "command line"},
        )
    click.echo(f"Removed {reviewer.display_name} ({reviewer.key_id}); new reports will not reach them.")


@reviewer_cli.command("load-list")
@click.argument("list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def reviewer_load_list(list_file: Path) -> None:
    """Load an organisation-signed reviewer list (reviewers.signed.json), as the admin
    page does: verified against ORG_PUBLIC_KEY, a newer serial only, applied at once.
    Reporters' browsers then seal to and verify replies against this list."""
    from portal.admin.views import MAX_LIST_UPLOAD_BYTES, ReviewerListRefused, load_signed_list

    data = list_file.read_bytes()[: MAX_LIST_UPLOAD_BYTES + 1]
    with closing(db.connect(_instance())) as conn:
        try:
            changes = load_signed_list(
                conn, data, current_app.config.get("ORG_PUBLIC_KEY"), audit.SYSTEM, str(_instance())
            )
        except ReviewerListRefused as exc:
            raise click.ClickException(f"the list was not loaded: {exc}") from None
    click.echo(
        f"Loaded the signed list: {len(changes['added'])} added, {len(changes['updated'])} updated, "
        f"{len(changes['removed'])} removed."
    )


def init_app(app: Flask) -> None:
    from portal import backup_cli

    app.cli.add_command(init_command)
    app.cli.add_command(reviewer_cli)
    backup_cli.init_app(app)
