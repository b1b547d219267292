"""The one deadline rule: used by the portal's queue, the reporter's case page and the offline index.

Every case has two deadlines, counted in days from the day it was created:

- **acknowledge** (default 7 days): met by the first reviewer reply or status change,
  signed or not;
- **feedback** (default 90 days): met only by a reply whose signed statement says
  `"feedback": true`, or by a status change to the final status with an outcome and a
  non-empty reason. An acknowledgement is not feedback.

A deadline is *overdue* on every day after its due day while it is not met; a deadline
met late is met (`met_on` after `due`), not overdue. The portal passes its configured
numbers of days; the offline kit uses the due days the export carries
(`deadlines_from_due`), computed by the portal with the same numbers.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ACKNOWLEDGE_DAYS = 7
FEEDBACK_DAYS = 90

EventKind = Literal["reply", "status"]


@dataclass(frozen=True)
class DeadlineEvent:
    """One thing a reviewer did on a case.

    `feedback`: a reply whose signed statement marks it as feedback. `final_with_reason`:
    a status change to the workflow's final status carrying an outcome and a non-empty
    reason. `label`, if given, is how `met_by` names the event ("reply 2 by Ana").
    """

    day: datetime.date
    kind: EventKind
    feedback: bool = False
    final_with_reason: bool = False
    label: str = ""


@dataclass(frozen=True)
class Deadline:
    due: datetime.date
    met_on: datetime.date | None
    met_by: str  # what met it, "" while unmet
    overdue_days: int  # 0 unless unmet and past due

    @property
    def met(self) -> bool:
        return self.met_on is not None

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    @property
    def met_late(self) -> bool:
        return self.met_on is not None and self.met_on > self.due


@dataclass(frozen=True)
class Deadlines:
    acknowledge: Deadline
    feedback: Deadline

    @property
    def overdue(self) -> bool:
        return self.acknowledge.overdue or self.feedback.overdue

    def next_due(self) -> Deadline | None:
        """The earliest deadline still unmet, or None when both are met."""
        unmet = [d for d in (self.acknowledge, self.feedback) if not d.met]
        return min(unmet, key=lambda d: d.due) if unmet else None


def meets_acknowledge(event: DeadlineEvent) -> bool:
    return event.kind in ("reply", "status")


def meets_feedback(event: DeadlineEvent) -> bool:
    if event.kind == "reply":
        return event.feedback
    return event.final_with_reason


def _describe(event: DeadlineEvent, *, for_feedback: bool) -> str:
    if event.label:
        return event.label
    if event.kind == "reply":
        return "a feedback reply" if for_feedback else "a reply"
    return "closing with an outcome and a reason" if for_feedback else "a status change"


def _one(due: datetime.date, events: list[DeadlineEvent], today: datetime.date, *, for_feedback: bool) -> Deadline:
    rule = meets_feedback if for_feedback else meets_acknowledge
    meeting = [e for e in events if rule(e)]
    if meeting:
        # The earliest day wins; on one day, the first event given.
        first = min(meeting, key=lambda e: e.day)
        return Deadline(due=due, met_on=first.day, met_by=_describe(first, for_feedback=for_feedback), overdue_days=0)
    overdue = (today - due).days if today > due else 0
    return Deadline(due=due, met_on=None, met_by="", overdue_days=overdue)


def deadlines_from_due(
    acknowledge_due: datetime.date,
    feedback_due: datetime.date,
    events: Iterable[DeadlineEvent],
    today: datetime.date,
) -> Deadlines:
    """The rule applied to due days already fixed (stored with the case, or carried in an export)."""
    listed = list(events)
    return Deadlines(
        acknowledge=_one(acknowledge_due, listed, today, for_feedback=False),
        feedback=_one(feedback_due, listed, today, for_feedback=True),
    )


def case_deadlines(
    created: datetime.date,
    events: Iterable[DeadlineEvent],
    today: datetime.date,
    *,
    acknowledge_days: int = ACKNOWLEDGE_DAYS,
    feedback_days: int = FEEDBACK_DAYS,
) -> Deadlines:
    """Both deadlines of a case created on `created`, given what reviewers did and today's date."""
    if acknowledge_days < 0 or feedback_days < 0:
        raise ValueError("deadline periods are whole days, zero or more")
    return deadlines_from_due(
        created + datetime.timedelta(days=acknowledge_days),
        created + datetime.timedelta(days=feedback_days),
        events,
        today,
    )
