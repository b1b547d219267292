"""Planning digests: which digest time is due, and what each account's digest says.

A digest time ("slot") is planned at most once, by the first `notify send` within
NOTIFY_DIGEST_WINDOW_MINUTES after it, in one transaction that also records the
reminders and escalations it carries and forgets the queued changes it counted.
Sending happens afterwards (portal/notify/delivery.py), so a crash between the two
leaves planned deliveries that the next run sends, and no slot is planned twice.

Deadlines follow crypto/deadlines.py, the one rule for the queue, the reporter's
page and the offline index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from crypto.deadlines import Deadline, DeadlineEvent, deadlines_from_due
from portal import audit
from portal.notify import messages
from portal.notify.messages import ACKNOWLEDGE, FEEDBACK, DigestItems, Escalation
from portal.notify.relay import new_message_id
from portal.notify.settings import NotifySettings
from portal.store import notifications as store
from portal.store.db import Connection

SLOT_FORMAT = "%Y-%m-%dT%H:%M"


def due_slot(now: datetime, settings: NotifySettings) -> str | None:
    """The digest time whose window `now` falls in ('YYYY-MM-DDTHH:MM', local to
    NOTIFY_TIMEZONE), or None between windows."""
    local = now.astimezone(settings.timezone)
    window = timedelta(minutes=settings.window_minutes)
    for day in (local.date(), local.date() - timedelta(days=1)):
        for at in sorted(settings.digest_times, reverse=True):
            slot = datetime.combine(day, at, tzinfo=settings.timezone)
            if slot <= local:
                return slot.strftime(SLOT_FORMAT) if local - slot <= window else None
    return None


def utc_day(now: datetime) -> date:
    # Deadlines are UTC days, like every day the store keeps.
    return now.astimezone(UTC).date()


@dataclass
class Plan:
    slot: str
    today: str
    digests: dict[int, tuple[store.Recipient, DigestItems]] = field(default_factory=dict)
    reminders: list[tuple[str, str, str, str]] = field(default_factory=list)
    escalations: list[tuple[str, str, str, int, tuple[str, ...]]] = field(default_factory=list)
    last_change: int = 0

    def items_for(self, recipient: store.Recipient) -> DigestItems:
        if recipient.account_id not in self.digests:
            self.digests[recipient.account_id] = (recipient, DigestItems())
        return self.digests[recipient.account_id][1]


def _by_reviewer(recipients: list[store.Recipient]) -> dict[int, list[store.Recipient]]:
    found: dict[int, list[store.Recipient]] = {}
    for recipient in recipients:
        if recipient.reviewer_id is not None and recipient.role == "reviewer":
            found.setdefault(recipient.reviewer_id, []).append(recipient)
    return found


def build_plan(conn: Connection, settings: NotifySettings, *, slot: str, now: datetime, closed_status: str) -> Plan:
    """What the digest for `slot` holds, read inside the caller's transaction."""
    today = utc_day(now)
    plan = Plan(slot=slot, today=today.isoformat())
    everyone = store.recipients(conn)
    reviewers = _by_reviewer(everyone)
    admins = [r for r in everyone if r.role == "admin"]

    changes = store.pending_changes(conn)
    plan.last_change = max((change.seq for change in changes), default=0)
    on_case = store.reviewers_on_cases(conn, sorted({change.case_id for change in changes}))
    for change in changes:
        for reviewer_id, _name, _key in on_case.get(change.case_id, []):
            for recipient in reviewers.get(reviewer_id, []):
                items = plan.items_for(recipient)
                if change.kind == "report":
                    items.new_cases += 1
                else:
                    items.new_followups += 1

    _plan_deadlines(conn, settings, plan, today, closed_status, reviewers, admins)
    return plan


def _plan_deadlines(
    conn: Connection,
    settings: NotifySettings,
    plan: Plan,
    today: date,
    closed_status: str,
    reviewers: Mapping[int, list[store.Recipient]],
    admins: list[store.Recipient],
) -> None:
    horizon = (today + timedelta(days=settings.remind_days_before)).isoformat()
    candidates = store.deadline_candidates(conn, horizon, closed_status)
    if not candidates:
        return
    on_case = store.reviewers_on_cases(conn, [c.case_id for c in candidates])
    reminded = store.reminders_made(conn)
    escalated = store.escalations_made(conn)
    escalate_after = max(1, settings.escalate_after_days)
    for case in candidates:
        for kind, deadline in _open_deadlines(case, today):
            days_left = (deadline.due - today).days
            due_day = deadline.due.isoformat()
            stage = None
            if 0 < days_left <= settings.remind_days_before:
                stage = "before"
            elif -escalate_after < days_left <= 0:
                stage = "due"  # on the day; or late, if no digest went out that day
            if stage is not None and (case.case_id, kind, stage, due_day) not in reminded:
                if stage == "due" or (case.case_id, kind, "due", due_day) not in reminded:
                    plan.reminders.append((case.case_id, kind, stage, due_day))
                    for reviewer_id, _name, _key in on_case.get(case.case_id, []):
                        for recipient in reviewers.get(reviewer_id, []):
                            plan.items_for(recipient).due[(kind, due_day)] += 1
            overdue_days = -days_left
            if overdue_days >= escalate_after and (case.case_id, kind, due_day) not in escalated:
                names = tuple(name for _id, name, _key in on_case.get(case.case_id, []))
                keys = tuple(key for _id, _name, key in on_case.get(case.case_id, []))
                plan.escalations.append((case.case_id, kind, due_day, overdue_days, keys))
                for admin in admins:
                    plan.items_for(admin).escalations[Escalation(kind, due_day, names)] += 1


def _open_deadlines(case: store.DeadlineCase, today: date) -> list[tuple[str, Deadline]]:
    """The case's unmet deadlines under the one rule (crypto/deadlines.py)."""
    events = [
        DeadlineEvent(day=date.fromisoformat(day), kind="reply" if kind == "reply" else "status", feedback=feedback,
                      final_with_reason=final)
        for day, kind, feedback, final in case.events
    ]  # fmt: skip
    never = date.max  # a deadline the case does not have (NULL): never due
    acknowledge_by = date.fromisoformat(case.acknowledge_by) if case.acknowledge_by else never
    feedback_by = date.fromisoformat(case.feedback_by) if case.feedback_by else never
    result = deadlines_from_due(acknowledge_by, feedback_by, events, today)
    return [
        (kind, deadline)
        for kind, deadline in ((ACKNOWLEDGE, result.acknowledge), (FEEDBACK, result.feedback))
        if not deadline.met and deadline.due != never
    ]


def plan_slot(conn: Connection, settings: NotifySettings, *, slot: str, now: datetime, closed_status: str) -> int:
    """Plan `slot` inside the caller's transaction: deliveries, reminders and
    escalations recorded, counted changes forgotten, escalations in the audit trail.
    Returns the number of deliveries planned (0 if the slot was planned before)."""
    if store.slot_planned(conn, slot):
        return 0
    plan = build_plan(conn, settings, slot=slot, now=now, closed_status=closed_status)
    store.record_run(conn, slot, plan.today)
    planned = 0
    for recipient, items in plan.digests.values():
        if items.count == 0:
            continue
        subject, body = messages.digest(items, today=plan.today, workspace_url=settings.workspace_url)
        store.add_delivery(
            conn,
            slot=slot,
            account_id=recipient.account_id,
            message_id=new_message_id(settings.relay.sender),
            subject=subject,
            body=body,
            items=items.count,
        )
        planned += 1
    keep_from = (now.astimezone(settings.timezone) - timedelta(days=2, minutes=settings.window_minutes)).strftime(
        SLOT_FORMAT
    )
    store.prune_runs(conn, keep_from)
    store.purge_expired_confirmations(conn, int(now.timestamp()))  # no stale addresses kept
    store.add_reminders(conn, plan.reminders)
    store.add_escalations(conn, [(case_id, kind, day) for case_id, kind, day, _days, _keys in plan.escalations])
    for case_id, kind, day, overdue_days, keys in plan.escalations:
        audit.append(
            conn,
            actor=audit.SYSTEM,
            action="case_escalated",
            case_id=case_id,
            details={"deadline": kind, "due": day, "overdue_days": overdue_days, "reviewers": list(keys)},
        )
    if plan.last_change:
        store.forget_changes_through(conn, plan.last_change)
    return planned
