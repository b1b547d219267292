"""The case queue: which cases an account may see, their deadlines, overdue first.

A reviewer sees only the cases sealed to their key (case_reviewers). An
administrator sees the metadata of every case (there is no content to see) so no
overdue case is buried. Deadlines follow the reporter's page
(`portal.store.cases.deadlines`), so both sides agree on what is overdue.

The listing is set-based: a fixed handful of SQL statements per page however many
cases there are (one statement per case cost 150–300 µs, tens of seconds at
100,000 cases). The ordering (overdue first, nearest open deadline, newest) is
computed in SQL from the same facts `deadlines` uses, so a page can be cut with
LIMIT/OFFSET; only the page's cases are then loaded whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from portal.reviewer.workflow import closed_status
from portal.store.cases import (
    CaseView,
    Deadline,
    deadlines,
    deadlines_from_facts,
    list_status_events,
    load_case_view,
    load_case_views,
)
from portal.store.db import Connection

PAGE_SIZE = 100
# What `QueueItem.next_deadline` answers when no deadline is open (sorts last).
NO_DEADLINE = "9999-12-31"


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


def case_visible_to(conn: Connection, case_id: str, reviewer_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM case_reviewers WHERE case_id = ? AND reviewer_id = ?", (case_id, reviewer_id)
    ).fetchone()
    return row is not None


def queue_item(conn: Connection, case_id: str, day: str) -> QueueItem | None:
    """One case (its own page): a few statements are fine for a single case."""
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


def requested_page() -> int:
    """`?page=N` of the current request; anything that is not a positive integer is page 1."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) <= 9 else 1


def _facts_sql(reviewer_id: int | None) -> tuple[str, dict[str, object]]:
    """A CTE `facts` with, per visible case, its deadline facts computed by aggregates.

    Mirrors `portal.store.cases.deadlines`: acknowledged = a reply or a status event
    by a reviewer; fed back = a reply or the closed status; a deadline is open when
    set and not met, overdue when open and its day has passed.
    """
    if reviewer_id is None:
        visible = "SELECT id AS case_id FROM cases"
    else:
        visible = "SELECT case_id FROM case_reviewers WHERE reviewer_id = :reviewer"
    sql = (
        f"WITH visible AS ({visible}),"  # noqa: S608 - fixed text, the values are bound
        " reply_counts AS (SELECT case_id, count(*) AS n FROM replies"
        "   WHERE case_id IN (SELECT case_id FROM visible) GROUP BY case_id),"
        " reviewer_events AS (SELECT DISTINCT case_id FROM status_events"
        "   WHERE reviewer_id IS NOT NULL AND case_id IN (SELECT case_id FROM visible)),"
        " base AS (SELECT c.id, c.created_day, c.change_counter, c.acknowledge_by, c.feedback_by,"
        "   coalesce(rc.n, 0) AS reply_count,"
        "   (coalesce(rc.n, 0) > 0 OR re.case_id IS NOT NULL) AS acknowledged,"
        "   (coalesce(rc.n, 0) > 0 OR c.status = :closed) AS fed_back"
        "   FROM visible v JOIN cases c ON c.id = v.case_id"
        "   LEFT JOIN reply_counts rc ON rc.case_id = c.id"
        "   LEFT JOIN reviewer_events re ON re.case_id = c.id),"
        " facts AS (SELECT id, created_day, change_counter, reply_count,"
        "   (acknowledge_by IS NOT NULL AND NOT acknowledged) AS ack_open,"
        "   (feedback_by IS NOT NULL AND NOT fed_back) AS fb_open,"
        "   acknowledge_by, feedback_by FROM base),"
        " ranked AS (SELECT id, created_day, change_counter, reply_count,"
        "   ((ack_open AND :today > acknowledge_by) OR (fb_open AND :today > feedback_by)) AS overdue,"
        "   min(CASE WHEN ack_open THEN acknowledge_by ELSE :none END,"
        "       CASE WHEN fb_open THEN feedback_by ELSE :none END) AS next_deadline"
        "   FROM facts)"
    )
    return sql, {"reviewer": reviewer_id, "closed": closed_status(), "none": NO_DEADLINE}


def list_queue_page(conn: Connection, day: str, reviewer_id: int | None, page: int = 1) -> QueuePage:
    """One page of the cases for a reviewer (`reviewer_id`) or, with None, every case.

    Overdue first, then by the nearest open deadline, then newest first. Six
    statements whatever the number of cases: totals, the page's ids, then the
    page's cases, reviewers, submission counts and reviewer events (bounded by PAGE_SIZE).
    """
    ranked, params = _facts_sql(reviewer_id)
    params["today"] = day
    totals_sql = f"{ranked} SELECT count(*), coalesce(sum(overdue), 0) FROM ranked"  # noqa: S608 - bound values
    total, overdue = conn.execute(totals_sql, params).fetchone()
    pages = max(1, -(-int(total) // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = conn.execute(
        f"{ranked} SELECT id, reply_count, change_counter FROM ranked"  # noqa: S608
        " ORDER BY overdue DESC, next_deadline, created_day DESC, id DESC LIMIT :limit OFFSET :offset",
        {**params, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
    ).fetchall()
    items = _load_items(conn, day, [(str(r[0]), int(r[1]), int(r[2])) for r in rows])
    return QueuePage(items=items, page=page, pages=pages, total=int(total), overdue=int(overdue))


def _load_items(conn: Connection, day: str, rows: list[tuple[str, int, int]]) -> list[QueueItem]:
    """Whole QueueItems for at most PAGE_SIZE cases, in the given order, with one
    statement per kind of row (not per case)."""
    if not rows:
        return []
    ids = [case_id for case_id, _, _ in rows]
    marks = ",".join("?" * len(ids))
    views = load_case_views(conn, ids)
    submissions = dict(
        conn.execute(
            f"SELECT case_id, count(*) FROM submissions WHERE case_id IN ({marks}) GROUP BY case_id",  # noqa: S608 - only placeholders
            ids,
        ).fetchall()
    )
    # Only whether a reviewer changed the status matters to the deadlines.
    reviewer_acted = {
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT case_id FROM status_events WHERE reviewer_id IS NOT NULL AND case_id IN ({marks})",  # noqa: S608 - only placeholders
            ids,
        )
    }
    closed = closed_status()
    items = []
    for case_id, reply_count, change_counter in rows:
        case = views[case_id]
        acknowledge, feedback = deadlines_from_facts(case, case_id in reviewer_acted, reply_count, day, closed)
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
