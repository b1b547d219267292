"""`notify send`: plan the digest that is due, then hand every unsent message to the relay.

Each delivery is recorded before and after it is handed over:
- 'pending' → 'sending' is committed before the SMTP transaction starts;
- once the relay accepted it, the row is deleted and the audit entry written, in one
  transaction (the trail keeps the day and the item count, never the text);
- a refusal or an unreachable relay puts it back to 'pending' with the reason, and
  the next run tries again (the run reports it, so nothing is silently lost).
A crash leaves at most the one message being handed over in 'sending'. The next run
sends it again with the same Message-ID (so a relay or mail client that already has
it can drop the copy): a message is never lost, and repeated only if the crash came
in the instant between the relay accepting it and the commit.
"""

from __future__ import annotations

import fcntl
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from portal import audit
from portal.notify import digest
from portal.notify.relay import Relay, RelayError, build_message
from portal.notify.settings import NotifySettings
from portal.store import notifications as store
from portal.store.db import Connection, transaction

LOCK_FILENAME = "notify.lock"


@dataclass
class RunReport:
    slot: str | None  # the digest time planned by this run, if any
    planned: int = 0
    sent: int = 0
    resumed: int = 0  # interrupted by an earlier crash and sent again now
    dropped: list[str] = field(default_factory=list)  # usernames whose address was removed
    failed: list[tuple[str, str]] = field(default_factory=list)  # (username, what the relay said)
    waiting: int = 0  # not attempted because the relay was unreachable
    busy: bool = False  # another run held the lock: this one did nothing

    @property
    def ok(self) -> bool:
        return not self.failed and not self.waiting


def send_due(
    conn: Connection, instance_path: str, settings: NotifySettings, *, now: datetime, closed_status: str
) -> RunReport:
    """Plan the due digest (if its window is open and it was not planned yet), then send
    every open delivery, oldest first. A run that finds another one under way does
    nothing (`busy`): two runs sending the same pending message would repeat it."""
    with open(Path(instance_path) / LOCK_FILENAME, "a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return RunReport(slot=None, busy=True)
        return _send_due_locked(conn, instance_path, settings, now=now, closed_status=closed_status)


def _send_due_locked(
    conn: Connection, instance_path: str, settings: NotifySettings, *, now: datetime, closed_status: str
) -> RunReport:
    slot = digest.due_slot(now, settings)
    report = RunReport(slot=None)
    if slot is not None:
        with audit.audited_transaction(conn, instance_path):
            if not store.slot_planned(conn, slot):
                report.slot = slot
                report.planned = digest.plan_slot(conn, settings, slot=slot, now=now, closed_status=closed_status)
    deliver(conn, instance_path, settings, now=now, report=report)
    return report


def deliver(
    conn: Connection, instance_path: str, settings: NotifySettings, *, now: datetime, report: RunReport
) -> None:
    open_ones = store.open_deliveries(conn)
    with Relay(settings.relay) as relay:
        for position, delivery in enumerate(open_ones):
            if delivery.address is None:
                with transaction(conn):
                    store.finish_delivery(conn, delivery.id)
                report.dropped.append(delivery.username)
                continue
            if delivery.state == "sending":
                report.resumed += 1
            with transaction(conn):
                store.mark_sending(conn, delivery.id)
            message = build_message(
                sender=settings.relay.sender,
                to=delivery.address,
                subject=delivery.subject,
                body=delivery.body,
                message_id=delivery.message_id,
                now=now,
            )
            try:
                relay.send(message)
            except RelayError as exc:
                with transaction(conn):
                    store.mark_failed(conn, delivery.id, str(exc))
                report.failed.append((delivery.username, str(exc)))
                if exc.connection:
                    report.waiting = len(open_ones) - position - 1
                    return
                continue
            with audit.audited_transaction(conn, instance_path):
                store.finish_delivery(conn, delivery.id)
                audit.append(
                    conn,
                    actor=audit.SYSTEM,
                    action="digest_sent",
                    details={"account": delivery.username, "items": delivery.items},
                )
            report.sent += 1
