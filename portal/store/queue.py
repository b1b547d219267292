"""The case queue's statements: who may see a case, per-case counts, and a page of
cases in queue order (a fixed handful of statements per page however many cases
there are).

Each case row keeps its deadline state (migration 0013): `acknowledged`, `fed_back`
and `next_deadline`, the earliest deadline still open ('9999-12-31' when none is),
kept by triggers with the one deadline rule of `crypto/deadlines.py`:
*acknowledged* by any reply or a reviewer's status change; *fed back* only by a
reply whose signed statement marks it as feedback (`replies.feedback`) or by a
status change to the final status with an outcome and a non-empty reason. A case is
overdue exactly when its `next_deadline` is before today, so "overdue first, then
the nearest open deadline, then newest" is the index order of `cases_queue_order`.
The queue's Python side applies `crypto.deadlines` itself to the rows of
`deadline_event_rows`; tests/portal/workspace/test_review_queue.py checks that both agree.
"""

from __future__ import annotations

from portal.store.db import Connection, transaction
from portal.store.instance_meta import get_meta, set_meta


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


# What `cases.next_deadline` holds when no deadline of the case is open (0013).
NO_OPEN_DEADLINE = "9999-12-31"
# The instance_meta row naming the final status the stored deadline state follows.
FINAL_STATUS_META = "deadline_final_status"


def use_final_status(conn: Connection, final: str) -> None:
    """Make the stored deadline state follow the configured final status. Nothing is
    written when it already does; otherwise 0013's trigger recomputes every case, in
    the same transaction as the new name."""
    if get_meta(conn, FINAL_STATUS_META) == final:
        return
    with transaction(conn):
        if get_meta(conn, FINAL_STATUS_META) != final:
            set_meta(conn, FINAL_STATUS_META, final)


# The rest of "final status with an outcome and a non-empty reason", as in 0013's view
# case_deadline_facts (non-empty after trimming ASCII white space, as str.strip() would).
_FINAL_WITH_REASON = (
    "coalesce(outcome, '') <> '' AND length(trim(coalesce(reason, ''), char(32, 9, 10, 11, 12, 13))) > 0"
)


def queue_totals(conn: Connection, *, reviewer_id: int | None, day: str) -> tuple[int, int]:
    """(visible cases, overdue cases). Overdue is a range of a queue-order index
    (next_deadline < today): the cases' for an administrator, the reviewer's own
    copy in case_reviewers for a reviewer."""
    if reviewer_id is None:
        sql = "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM cases WHERE next_deadline < :today)"
    else:
        sql = (
            "SELECT (SELECT count(*) FROM case_reviewers WHERE reviewer_id = :reviewer),"
            " (SELECT count(*) FROM case_reviewers WHERE reviewer_id = :reviewer AND next_deadline < :today)"
        )
    total, overdue = conn.execute(sql, {"reviewer": reviewer_id, "today": day}).fetchone()
    return int(total), int(overdue)


def queue_page_rows(
    conn: Connection, *, reviewer_id: int | None, limit: int, offset: int
) -> list[tuple[str, int, int]]:
    """(case id, reply count, change counter) of one page: overdue first, then by the
    nearest open deadline, then newest first. The page is read in the order of an
    index (cases_queue_order, or case_reviewers_queue_order for one reviewer); the
    counts are looked up only for the rows the page returns."""
    if reviewer_id is None:
        sql = (
            "SELECT c.id, (SELECT count(*) FROM replies r WHERE r.case_id = c.id), c.change_counter FROM cases c"
            " ORDER BY c.next_deadline, c.created_day DESC, c.id DESC LIMIT :limit OFFSET :offset"
        )
    else:
        sql = (
            "SELECT cr.case_id, (SELECT count(*) FROM replies r WHERE r.case_id = cr.case_id),"
            " (SELECT c.change_counter FROM cases c WHERE c.id = cr.case_id) FROM case_reviewers cr"
            " WHERE cr.reviewer_id = :reviewer"
            " ORDER BY cr.next_deadline, cr.created_day DESC, cr.case_id DESC LIMIT :limit OFFSET :offset"
        )
    params = {"reviewer": reviewer_id, "limit": limit, "offset": offset}
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
        f" (status = ? AND {_FINAL_WITH_REASON})"
        f" FROM status_events WHERE reviewer_id IS NOT NULL AND case_id IN ({marks})"
        " ORDER BY 3",
        [*case_ids, closed, *case_ids],
    ):
        events[str(row[0])].append((str(row[1]), str(row[2]), bool(row[3]), bool(row[4])))
    return events
