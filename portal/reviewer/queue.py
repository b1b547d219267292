"""The case queue: which cases an account may see, their deadlines, overdue first.

A reviewer sees only the cases sealed to their key (case_reviewers). An
administrator sees the metadata of every case (there is no content to see) so no
overdue case is buried. Deadlines follow the one rule of `crypto/deadlines.py`
(acknowledged by any reply or status change; feedback only by a feedback reply or
closing with an outcome and a reason), as the reporter's page and the offline index do.

The listing is set-based: a fixed handful of SQL statements per page however many
cases there are (one statement per case cost 150–300 µs, tens of seconds at
100,000 cases). Each case row keeps its deadline state by the same rule (kept by
triggers, migration 0013), so the ordering (overdue first, nearest open deadline,
newest) is an index's order: a page is read with LIMIT/OFFSET from the index
(`portal.store.queue`), and only the page's cases are then loaded whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import request

from crypto.deadlines import DeadlineEvent, deadlines_from_due
from portal.store import queue as queue_rows
from portal.store.cases import (
    CaseView,
    Deadline,
    load_case_view,
    load_case_views,
)
from portal.store.db import Connection
from portal.workflow import closed_status

PAGE_SIZE = 100
# What `QueueItem.next_deadline` answers when no deadline is open (sorts last), as
# the stored `cases.next_deadline` does.
NO_DEADLINE = queue_rows.NO_OPEN_DEADLINE


@dataclass(frozen=True)
class QueueItem:
    case: CaseView
    acknowledge: Deadline | None
    feedback: Deadline | None
    reply_count: int
    submission_count: int
    change_counter: int

    @property
    def overdue(self) -> bool:
        return any(d is not None and d.overdue for d in (self.acknowledge, self.feedback))

    @property
    def next_deadline(self) -> str:
        open_days = [d.day for d in (self.acknowledge, self.feedback) if d is not None and not d.met]
        return min(open_days, default=NO_DEADLINE)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue plus the totals over every visible case."""

    items: list[QueueItem]
    page: int  # 1-based, clamped to [1, pages]
    pages: int  # at least 1, so an empty queue still has page 1
    total: int
    overdue: int


def queue_deadlines(
    case: CaseView, events: list[queue_rows.DeadlineFact], day: str
) -> tuple[Deadline | None, Deadline | None]:
    """(acknowledge, feedback) by `crypto.deadlines`, from the case's stored due days
    (NULL on a case created closed: no deadline to show) and what reviewers did."""
    listed = [
        DeadlineEvent(date.fromisoformat(event_day), "reply" if kind == "reply" else "status", feedback, final)
        for kind, event_day, feedback, final in events
    ]
    today = date.fromisoformat(day)

    def one(due: str | None, for_feedback: bool) -> Deadline | None:
        if due is None:
            return None
        rule = deadlines_from_due(date.fromisoformat(due), date.fromisoformat(due), listed, today)
        met = rule.feedback if for_feedback else rule.acknowledge
        return Deadline(day=due, met=met.met, overdue=met.overdue)

    return one(case.acknowledge_by, False), one(case.feedback_by, True)


def case_visible_to(conn: Connection, case_id: str, reviewer_id: int) -> bool:
    return queue_rows.case_visible_to(conn, case_id, reviewer_id)


def queue_item(conn: Connection, case_id: str, day: str) -> QueueItem | None:
    """One case (its own page): a few statements are fine for a single case."""
    case = load_case_view(conn, case_id)
    if case is None:
        return None
    counts = queue_rows.case_counts(conn, case_id)
    events = queue_rows.deadline_event_rows(conn, [case_id], closed_status())[case_id]
    acknowledge, feedback = queue_deadlines(case, events, day)
    return QueueItem(case, acknowledge, feedback, counts[0], counts[1], counts[2])


def requested_page() -> int:
    """`?page=N` of the current request; anything that is not a positive integer is page 1."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) <= 9 else 1


def list_queue_page(conn: Connection, day: str, reviewer_id: int | None, page: int = 1) -> QueuePage:
    """One page of the cases for a reviewer (`reviewer_id`) or, with None, every case.

    Overdue first, then by the nearest open deadline, then newest first. Six
    statements whatever the number of cases: totals, the page's ids, then the
    page's cases, reviewers, submission counts and reviewer events (bounded by PAGE_SIZE).
    """
    total, overdue = queue_rows.queue_totals(conn, reviewer_id=reviewer_id, day=day)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = queue_rows.queue_page_rows(conn, reviewer_id=reviewer_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    items = _load_items(conn, day, rows)
    return QueuePage(items=items, page=page, pages=pages, total=total, overdue=overdue)


def _load_items(conn: Connection, day: str, rows: list[tuple[str, int, int]]) -> list[QueueItem]:
    """Whole QueueItems for at most PAGE_SIZE cases, in the given order, with one
    statement per kind of row (not per case)."""
    if not rows:
        return []
    ids = [case_id for case_id, _, _ in rows]
    views = load_case_views(conn, ids)
    submissions = queue_rows.submission_counts(conn, ids)
    events = queue_rows.deadline_event_rows(conn, ids, closed_status())
    items = []
    for case_id, reply_count, change_counter in rows:
        case = views[case_id]
        acknowledge, feedback = queue_deadlines(case, events[case_id], day)
        items.append(
            QueueItem(case, acknowledge, feedback, reply_count, int(submissions.get(case_id, 0)), change_counter)
        )
    return items


def list_queue(conn: Connection, day: str, reviewer_id: int | None) -> list[QueueItem]:
    """Every visible case in queue order (all pages); for scripts and benchmarks."""
    first = list_queue_page(conn, day, reviewer_id, 1)
    items = list(first.items)
    for number in range(2, first.pages + 1):
        items.extend(list_queue_page(conn, day, reviewer_id, number).items)
    return items
