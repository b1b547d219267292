"""`flask --app wsgi audit verify`."""

from __future__ import annotations

from contextlib import closing

import click
from flask import current_app
from flask.cli import AppGroup

from portal import audit
from portal.cli.common import open_db

audit_cli = AppGroup("audit", help="Check the audit trail.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and check it reaches the anchored head (instance/audit-head).

    Exits with status 1 and names the first entry that was edited, reordered or
    deleted, or the truncated tail.
    """
    with closing(open_db()) as conn:
        try:
            count, problem = audit.verify_chain(conn, current_app.instance_path)
        except audit.AuditError as exc:
            raise click.ClickException(str(exc)) from None
    if problem is not None:
        where = f" (at entry {problem.seq})" if problem.seq is not None else ""
        raise click.ClickException(f"the audit trail is NOT intact{where}: {problem.message}")
    click.echo(f"The audit trail is intact: {count} entries, chained and anchored.")
