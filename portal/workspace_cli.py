"""`flask --app wsgi audit verify` and `flask --app wsgi retention purge`."""

from __future__ import annotations

from contextlib import closing

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal import audit, retention
from portal.store import db

audit_cli = AppGroup("audit", help="Check the audit trail.")
retention_cli = AppGroup("retention", help="Destroy closed cases after RETENTION_DAYS.")


def _connect() -> db.Connection:
    from portal.cli import _instance

    return db.connect(_instance())


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and check it reaches the anchored head (instance/audit-head).

    Exits with status 1 and names the first entry that was edited, reordered or
    deleted, or the truncated tail.
    """
    with closing(_connect()) as conn:
        try:
            count, problem = audit.verify_chain(conn, current_app.instance_path)
        except audit.AuditError as exc:
            raise click.ClickException(str(exc)) from None
    if problem is not None:
        where = f" (at entry {problem.seq})" if problem.seq is not None else ""
        raise click.ClickException(f"the audit trail is NOT intact{where}: {problem.message}")
    click.echo(f"The audit trail is intact: {count} entries, chained and anchored.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list the cases that are due.")
def retention_purge(dry_run: bool) -> None:
    """Destroy closed cases older than RETENTION_DAYS: rows and blobs."""
    days = int(current_app.config["RETENTION_DAYS"])
    closed = str(current_app.config.get("CLOSED_STATUS", "closed"))
    with closing(_connect()) as conn:
        result = retention.purge(
            conn, current_app.instance_path, retention_days=days, closed_status=closed, dry_run=dry_run
        )
    if not result.case_ids:
        click.echo(f"No case has been closed for more than {days} days; nothing to destroy.")
        return
    verb = "Would destroy" if dry_run else "Destroyed"
    click.echo(f"{verb} {len(result.case_ids)} case(s) and {result.blob_count} blob file(s):")
    for case_id in result.case_ids:
        click.echo(f"  {case_id}")


def init_app(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    app.cli.add_command(retention_cli)
