"""`flask --app wsgi reviewer add|list|remove|load-list`."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal import audit
from portal.actions import reviewers as actions
from portal.cli.common import VIA, instance_folder, open_db
from portal.store import db
from portal.store.reviewers import ReviewerExistsError, ReviewerNotFoundError, list_reviewers, unlisted_reviewers

reviewer_cli = AppGroup("reviewer", help="Add, list and remove the people who receive reports.")


def _org_key_configured() -> bool:
    return bool(current_app.config.get("ORG_PUBLIC_KEY"))


def _warn_unlisted(conn: db.Connection) -> None:
    """With an organisation key, say plainly who reporters are not offered and how to fix it."""
    if not _org_key_configured():
        return
    missing = unlisted_reviewers(conn)
    if not missing:
        return
    names = ", ".join(f"{r.display_name} ({r.key_id})" for r in missing)
    click.echo("")
    click.echo(
        f"NOT YET OFFERED TO REPORTERS: {names}. This portal has an organisation key, and reporters' browsers "
        "only seal reports to reviewers on the organisation-signed list. Sign a new list that names them on the "
        "offline machine holding org.key (each reviewer's .pub file, named here by key id), then load it:"
    )
    for step in actions.signed_list_steps(conn):
        click.echo("")
        click.echo(f"    {step}")


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
    from crypto.errors import IdentityError
    from crypto.identity import parse_public_identity

    try:
        display_name = actions.clean_label(name, "name")
        role_label = actions.clean_label(role, "role")
    except actions.LabelError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        text = pubfile.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{pubfile} is not a text file; expected a public identity") from None
    try:
        identity = parse_public_identity(text)
    except IdentityError as exc:
        raise click.ClickException(f"{pubfile}: {exc}") from None
    with closing(open_db()) as conn:
        try:
            reviewer = actions.add_reviewer(
                conn,
                instance_folder(),
                identity,
                display_name=display_name,
                role=role_label,
                required=required,
                actor=audit.SYSTEM,
                via=VIA,
            )
        except ReviewerExistsError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Added {reviewer.display_name} ({reviewer.role}).")
        click.echo(f"  key id:      {reviewer.key_id}")
        click.echo(f"  fingerprint: {reviewer.fingerprint}")
        if reviewer.required:
            click.echo("  receives every report")
        click.echo("Check the fingerprint with the reviewer in person or by phone before they get reports.")
        _warn_unlisted(conn)


@reviewer_cli.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Include removed reviewers.")
def reviewer_list(include_removed: bool) -> None:
    """List reviewers: name, role, required, fingerprint, key id."""
    with closing(open_db()) as conn:
        reviewers = list_reviewers(conn, active_only=not include_removed)
        if not reviewers:
            click.echo(
                "No reviewers yet. Add one with "
                "`.venv/bin/flask --app wsgi reviewer add PUBFILE --name NAME --role ROLE [--required]`."
            )
            return
        unlisted = {r.key_id for r in unlisted_reviewers(conn)} if _org_key_configured() else set()
        for reviewer in reviewers:
            flags = []
            if reviewer.required:
                flags.append("required")
            if not reviewer.active:
                flags.append("removed")
            if reviewer.key_id in unlisted:
                flags.append("not on the signed list: not offered to reporters")
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            click.echo(f"{reviewer.display_name} — {reviewer.role}{suffix}")
            click.echo(f"  fingerprint: {reviewer.fingerprint}")
            click.echo(f"  key id:      {reviewer.key_id}")
        _warn_unlisted(conn)


@reviewer_cli.command("remove")
@click.argument("key_id_or_fingerprint")
def reviewer_remove(key_id_or_fingerprint: str) -> None:
    """Stop offering a reviewer to reporters (key id or fingerprint).

    Cases already sealed to them stay readable by them; their past replies and
    actions stay in the record.
    """
    with closing(open_db()) as conn:
        try:
            reviewer = actions.remove_reviewer(
                conn, instance_folder(), key_id_or_fingerprint, actor=audit.SYSTEM, via=VIA
            )
        except ReviewerNotFoundError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Removed {reviewer.display_name} ({reviewer.key_id}); new reports will not reach them.")


@reviewer_cli.command("load-list")
@click.argument("list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def reviewer_load_list(list_file: Path) -> None:
    """Load an organisation-signed reviewer list (reviewers.signed.json), as the admin
    page does: verified against ORG_PUBLIC_KEY, a newer serial only, applied at once.
    Reporters' browsers then seal to and verify replies against this list."""
    data = list_file.read_bytes()[: actions.MAX_LIST_UPLOAD_BYTES + 1]
    with closing(open_db()) as conn:
        try:
            changes = actions.load_signed_list(
                conn, instance_folder(), data, current_app.config.get("ORG_PUBLIC_KEY"), actor=audit.SYSTEM, via=VIA
            )
        except actions.ReviewerListRefused as exc:
            raise click.ClickException(f"the list was not loaded: {exc}") from None
    click.echo(
        f"Loaded the signed list: {len(changes.added)} added, {len(changes.updated)} updated, "
        f"{len(changes.removed)} removed."
    )
