"""Every `flask --app wsgi …` command, one module per group; `init_app` registers them.

- instance: `init`
- reviewers: `reviewer add|list|remove|load-list`
- accounts: `account create|reset-2fa|reset-password|list`
- backup: `backup`, `restore`
- audit: `audit verify`
- retention: `retention purge`
- notify: `notify send|status`

Commands reach the instance only through `portal.cli.common` and change anything
audited only through `portal.actions`. Nothing outside this package holds CLI code.
"""

from __future__ import annotations

from flask import Flask

from portal.cli.accounts import account_cli
from portal.cli.audit import audit_cli
from portal.cli.backup import backup_command, restore_command
from portal.cli.instance import init_command, initialise_instance
from portal.cli.notify import notify_cli
from portal.cli.retention import retention_cli
from portal.cli.reviewers import reviewer_cli

__all__ = ["init_app", "initialise_instance"]


def init_app(app: Flask) -> None:
    for command in (
        init_command,
        reviewer_cli,
        account_cli,
        backup_command,
        restore_command,
        audit_cli,
        retention_cli,
        notify_cli,
    ):
        app.cli.add_command(command)
