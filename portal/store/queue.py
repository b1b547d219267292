"""The case queue's statements: who may see a case, per-case counts, and the
set-based ordering of a page of cases (a fixed handful of statements per page
however many cases there are).

The deadline facts are computed in SQL by the one deadline rule of
`crypto/deadlines.py`: *acknowledged* by any reply or a reviewer's status change;
*fed back* only by a reply whose signed statement marks it as feedback
(`replies.feedback`) or by a status change to the final status with an outcome and a
non-empty reason. The queue's Python side applies `crypto.deadlines` itself to the
rows of `deadline_event_rows`; tests/portal/workspace/test_review_queue.py checks that both agree.
"""

from __future__ import annotations

from portal.store.db import Connection


def case_visible_to(conn: Connection, case_id: str, reviewer_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM case_reviewers WHERE case_id = ? AND reviewer_id = ?", (case_id, reviewer_id)
    ).fetchone()
    return row is not None


def case_counts(conn: Connection, case_id: str) -> tuple[int, int, int]:
    """(replies, submissions, change counter) of one case."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM replies WHERE case_id = ?), (SELECT count(*) FROM submissions WHERE case_id = ?),"
        " (SELECT change_counter FROM cases WHERE id = ?)",
        (case_id, case_id, case_id),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2] or 0)


# A status event that meets the feedback deadline: the final status, an outcome, a reason.
_FINAL_WITH_REASON = "(status = :closed AND outcome IS NOT NULL AND length(trim(coalesce(reason, ''))) > 0)"


def _facts_sql(reviewer_id: int | None) -> str:
    """A CTE `ranked` with, per visible case, its deadline facts computed by aggregates:
    a deadline is open when set and not met, overdue when open and its day has passed."""
    if reviewer_id is None:
        visible = "SELECT id AS case_id FROM cases"
    else:
        visible = "SELECT case_id FROM case_reviewers WHERE reviewer_id = :reviewer"
    return (
        f"WITH visible AS ({visible}),"  # noqa: S608 - fixed text, the values are bound
        " reply_counts AS (SELECT case_id, count(*) AS n, max(feedback) AS feedback FROM replies"
        "   WHERE case_id IN (SELECT case_id FROM visible) GROUP BY case_id),"
        " reviewer_events AS (SELECT case_id, max(" + _FINAL_WITH_REASON + ") AS closing FROM status_events"
        "   WHERE reviewer_id IS NOT NULL AND case_id IN (SELECT case_id FROM visible) GROUP BY case_id),"
        " base AS (SELECT c.id, c.created_day, c.change_counter, c.acknowledge_by, c.feedback_by,"
        "   coalesce(rc.n, 0) AS reply_count,"
        "   (coalesce(rc.n, 0) > 0 OR re.case_id IS NOT NULL) AS acknowledged,"
        "   (coalesce(rc.feedback, 0) = 1 OR coalesce(re.closing, 0) = 1) AS fed_back"
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


def queue_totals(conn: Connection, *, reviewer_id: int | None, day: str, closed: str, none: str) -> tuple[int, int]:
    """(visible cases, overdue cases)."""
    sql = f"{_facts_sql(reviewer_id)} SELECT count(*), coalesce(sum(overdue), 0) FROM ranked"  # noqa: S608
    params = {"reviewer": reviewer_id, "closed": closed, "none": none, "today": day}
    total, overdue = conn.execute(sql, params).fetchone()
    return int(total), int(overdue)


def queue_page_rows(
    conn: Connection, *, reviewer_id: int | None, day: str, closed: str, none: str, limit: int, offset: int
) -> list[tuple[str, int, int]]:
    """(case id, reply count, change counter) of one page: overdue first, then by the
    nearest open deadline, then newest first."""
    sql = (
        f"{_facts_sql(reviewer_id)} SELECT id, reply_count, change_counter FROM ranked"  # noqa: S608
        " ORDER BY overdue DESC, next_deadline, created_day DESC, id DESC LIMIT :limit OFFSET :offset"
    )
    params = {"reviewer": reviewer_id, "closed": closed, "none": none, "today": day, "limit": limit, "offset": offset}
    return [(str(r[0]), int(r[1]), int(r[2])) for r in conn.execute(sql, params).fetchall()]


def submission_counts(conn: Connection, case_ids: list[str]) -> dict[str, int]:
    marks = ",".join("?" * len(case_ids))
    rows = conn.execute(
        f"SELECT case_id, count(*) FROM submissions WHERE case_id IN ({marks}) GROUP BY case_id",  # noqa: S608
        case_ids,
    ).fetchall()
    return {str(row[0]): int(row[1]) for row in rows}


# (kind 'reply' or 'status', day, a feedback reply, the final status with an outcome and a reason)
DeadlineFact = tuple[str, str, bool, bool]


def deadline_event_rows(conn: Connection, case_ids: list[str], closed: str) -> dict[str, list[DeadlineFact]]:
    """Per case, what reviewers did, oldest first: (kind 'reply' or 'status', day,
    feedback reply, final status with an outcome and a reason)."""
    marks = ",".join("?" * len(case_ids))
    events: dict[str, list[DeadlineFact]] = {case_id: [] for case_id in case_ids}
    for row in conn.execute(
        f"SELECT case_id, 'reply', day, feedback, 0 FROM replies WHERE case_id IN ({marks})"  # noqa: S608
        " UNION ALL SELECT case_id, 'status', day, 0,"
        " (status = ? AND outcome IS NOT NULL AND length(trim(coalesce(reason, ''))) > 0)"
        f" FROM status_events WHERE reviewer_id IS NOT NULL AND case_id IN ({marks})"
        " ORDER BY 3",
        [*case_ids, closed, *case_ids],
    ):
        events[str(row[0])].append((str(row[1]), str(row[2]), bool(row[3]), bool(row[4])))
    return events
