"""`flask --app wsgi account create|reset-2fa|reset-password|list`.

The command line is the server's operator: its resets need no second admin's
approval (whoever runs it holds the server already).
"""

from __future__ import annotations

import time
from contextlib import closing

import click
from flask.cli import AppGroup

from portal import audit, auth
from portal.actions import accounts as actions
from portal.cli.common import VIA, instance_folder, open_db
from portal.store.accounts import Account
from portal.store.db import Connection
from portal.store.reviewers import ReviewerNotFoundError, find_reviewer

account_cli = AppGroup("account", help="Create and manage reviewer and administrator accounts.")


@account_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(auth.ROLES))
@click.option("--reviewer", "reviewer_key", help="Key id or fingerprint of the reviewer (role reviewer only).")
@click.option("--prompt-password", is_flag=True, help="Type the initial password instead of getting a one-time one.")
def account_create(username: str, role: str, reviewer_key: str | None, prompt_password: bool) -> None:
    """Create an account. Prints a one-time password unless --prompt-password."""
    password = None
    if prompt_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with closing(open_db()) as conn:
        reviewer_id = None
        if reviewer_key:
            try:
                reviewer_id = find_reviewer(conn, reviewer_key).id
            except ReviewerNotFoundError as exc:
                raise click.ClickException(str(exc)) from None
        try:
            account, initial = actions.create_account(
                conn,
                instance_folder(),
                username=username,
                role=role,
                reviewer_id=reviewer_id,
                password=password,
                actor=audit.SYSTEM,
                via=VIA,
            )
        except auth.AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Created the {role} account {account.username}.")
    if initial:
        click.echo(f"One-time password (shown once; it must be changed at the first sign-in): {initial}")
    click.echo("At the first sign-in they set up an authenticator app from a QR code.")


def _find(conn: Connection, username: str) -> Account:
    try:
        return auth.find_account(conn, username)
    except auth.AccountError as exc:
        raise click.ClickException(str(exc)) from None


@account_cli.command("reset-2fa")
@click.argument("username")
def account_reset_2fa(username: str) -> None:
    """Forget an account's authenticator; they set up a new one at their next sign-in."""
    with closing(open_db()) as conn:
        account = _find(conn, username)
        actions.reset_second_factor(conn, instance_folder(), account, actor=audit.SYSTEM, via=VIA)
    click.echo(f"Reset the second factor of {account.username} and ended their sessions.")


@account_cli.command("reset-password")
@click.argument("username")
def account_reset_password(username: str) -> None:
    """Give an account a new one-time password (and end its sessions)."""
    with closing(open_db()) as conn:
        account = _find(conn, username)
        password = actions.reset_password(conn, instance_folder(), account, actor=audit.SYSTEM, via=VIA)
    click.echo(f"One-time password for {account.username} (shown once): {password}")


@account_cli.command("list")
def account_list() -> None:
    """List accounts: username, role, reviewer, second factor, lock."""
    with closing(open_db()) as conn:
        accounts = auth.list_accounts(conn)
    if not accounts:
        click.echo(
            "No accounts yet. Create one with `.venv/bin/flask --app wsgi account create --username U --role admin`."
        )
        return
    now = time.time()
    for account in accounts:
        flags = ["authenticator set up" if account.totp_enrolled else "no authenticator yet"]
        if account.must_change_password:
            flags.append("one-time password")
        if account.locked_until > now:
            flags.append("password alone locked (wrong passwords; password and code still sign in)")
        if account.codes_locked_until > now:
            # Only someone who gave the right password can send wrong codes.
            flags.append("codes locked (wrong codes after the right password: reset the password?)")
        who = f" — {account.reviewer_name} ({account.reviewer_key_id})" if account.reviewer_key_id else ""
        click.echo(f"{account.username} [{account.role}]{who}: {', '.join(flags)}")
