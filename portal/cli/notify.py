"""`flask --app wsgi notify send|status`: the e-mail digests (portal/notify/)."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.cli.common import instance_folder
from portal.notify.delivery import RunReport, send_due
from portal.notify.settings import NotifySettings
from portal.notify.setup import settings_of
from portal.store import db
from portal.store import notifications as store
from portal.workflow import closed_status

notify_cli = AppGroup("notify", help="Send the e-mail digests that are due, or show what is waiting.")


def _require_settings() -> NotifySettings:
    settings = settings_of(current_app)
    if settings is None:
        raise click.ClickException(
            "E-mail notifications are off (NOTIFY_ENABLED = False). Set the NOTIFY_* relay settings in "
            "candour.cfg first: docs/operations.md, section E-mail notifications."
        )
    return settings


def run_send(app: Flask, now: datetime) -> RunReport:
    """One `notify send` at `now` (an aware datetime), in `app`'s context."""
    settings = settings_of(app)
    if settings is None:
        raise click.ClickException("E-mail notifications are off (NOTIFY_ENABLED = False).")
    with closing(db.connect(app.instance_path)) as conn:
        return send_due(conn, app.instance_path, settings, now=now, closed_status=closed_status())


@notify_cli.command("send")
def send_command() -> None:
    """Plan the digest that is due now, if any, and send every message not yet sent.

    Safe to run as often as you like (a timer runs it every 15 minutes): a digest time
    is planned once, and a message already sent is not sent again.
    """
    _require_settings()
    instance_folder()
    report = run_send(current_app, datetime.now(UTC))
    if report.busy:
        click.echo("Another `notify send` is running; this one did nothing.")
        return
    # Quiet when there was nothing to do, so cron mails nothing every quarter of an hour.
    if report.slot is not None:
        click.echo(f"Planned the digest of {report.slot}: {report.planned} message(s).")
    if report.sent:
        click.echo(f"Sent {report.sent} message(s).")
    if report.resumed:
        click.echo(f"{report.resumed} of them had been interrupted by an earlier run and were sent again.")
    for username in report.dropped:
        click.echo(f"Dropped a digest for {username}: the account has no confirmed address any more.")
    for username, error in report.failed:
        click.echo(f"Not sent to {username}: {error}. It will be retried at the next run.", err=True)
    if report.waiting:
        click.echo(f"{report.waiting} more message(s) wait for the relay; retried at the next run.", err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)


@notify_cli.command("status")
def status_command() -> None:
    """What is configured and what is waiting to be sent."""
    settings = settings_of(current_app)
    if settings is None:
        click.echo("E-mail notifications are off (NOTIFY_ENABLED = False).")
    else:
        times = ", ".join(t.strftime("%H:%M") for t in settings.digest_times)
        relay = settings.relay
        click.echo(f"Relay {relay.host}:{relay.port} ({relay.security}); digests at {times} ({settings.timezone.key}).")
    with closing(db.connect(instance_folder())) as conn:
        status = store.status(conn)
    click.echo(f"Last digest time planned: {status.last_slot or 'none yet'}.")
    click.echo(
        f"Confirmed addresses: {status.confirmed_addresses}; confirmations pending: {status.pending_confirmations}."
    )
    click.echo(f"Submissions waiting for the next digest: {status.queued_changes}.")
    click.echo(
        f"Messages not yet sent: {status.open_deliveries} ({status.failing_deliveries} refused or failed so far)."
    )
