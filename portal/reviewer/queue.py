"""The case queue: which cases an account may see, their deadlines, overdue first.

A reviewer sees only the cases sealed to their key (case_reviewers). An
administrator sees the metadata of every case (there is no content to see) so no
overdue case is buried. Deadlines follow the reporter's page
(`portal.store.cases.deadlines`), so both sides agree on what is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.reviewer.workflow import closed_status
from portal.store.cases import CaseView, Deadline, deadlines, list_status_events, load_case_view
from portal.store.db import Connection


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
        return min(open_days, default="9999-12-31")


def case_visible_to(conn: Connection, case_id: str, reviewer_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM case_reviewers WHERE case_id = ? AND reviewer_id = ?", (case_id, reviewer_id)
    ).fetchone()
    return row is not None


def queue_item(conn: Connection, case_id: str, day: str) -> QueueItem | None:
    case = load_case_view(conn, case_id)
    if case is None:
        return None
    counts = conn.execute(
        "SELECT (SELECT count(*) FROM replies WHERE case_id = ?), (SELECT count(*) FROM submissions WHERE case_id = ?),"
        " (SELECT change_counter FROM cases WHERE id = ?)",
        (case_id, case_id, case_id),
    ).fetchone()
    events = list_status_events(conn, case_id)
    acknowledge, feedback = deadlines(case, events, counts[0], day, closed_status())
    return QueueItem(case, acknowledge, feedback, counts[0], counts[1], counts[2])


def list_queue(conn: Connection, day: str, reviewer_id: int | None) -> list[QueueItem]:
    """Cases for a reviewer (`reviewer_id`) or, with None, every case (administrators).

    Overdue first, then by the nearest open deadline, then newest first.
    """
    if reviewer_id is None:
        rows = conn.execute("SELECT id FROM cases").fetchall()
    else:
        rows = conn.execute("SELECT case_id FROM case_reviewers WHERE reviewer_id = ?", (reviewer_id,)).fetchall()
    items = [item for (case_id,) in rows if (item := queue_item(conn, case_id, day)) is not None]
    items.sort(key=lambda item: (item.case.created_day, item.case.id), reverse=True)
    items.sort(key=lambda item: (not item.overdue, item.next_deadline))
    return items
