"""`flask --app wsgi retention purge [--dry-run]`."""

from __future__ import annotations

from contextlib import closing

import click
from flask import current_app
from flask.cli import AppGroup

from portal import retention
from portal.cli.common import open_db

retention_cli = AppGroup("retention", help="Destroy closed cases after RETENTION_DAYS.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list the cases that are due.")
def retention_purge(dry_run: bool) -> None:
    """Destroy closed cases older than RETENTION_DAYS: rows and blobs."""
    days = int(current_app.config["RETENTION_DAYS"])
    closed = str(current_app.config.get("CLOSED_STATUS", "closed"))
    with closing(open_db()) as conn:
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
