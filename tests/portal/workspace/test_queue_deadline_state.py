"""The deadline state each case row keeps (migration 0013) and the queue order it serves.

Everything is checked against `crypto.deadlines`, worked out here in Python from the
rows the test wrote: the stored `acknowledged`, `fed_back` and `next_deadline` of
cases with every kind of event, the order of every page (the order the queue's
former statement gave: overdue first, then the nearest open deadline, then newest,
then the highest id), paging, what an administrator and a reviewer see, the back-fill
of a database made before 0013, and the index that serves the page.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from crypto.deadlines import DeadlineEvent, case_deadlines
from portal import create_app
from portal.reviewer.queue import PAGE_SIZE, list_queue_page
from portal.store import db
from portal.store.queue import FINAL_STATUS_META, NO_OPEN_DEADLINE, queue_page_rows
from portal.store.replies import insert_reply
from portal.store.status_events import record_status

TODAY = date(2026, 6, 1)  # fixed, so no expectation moves with the calendar
REVIEWERS = (1, 2)


@dataclass(frozen=True)
class Event:
    """A reply or a status change, `offset` days after the case was created."""

    offset: int
    kind: str  # 'reply' or 'status'
    feedback: bool = False
    status: str = ""
    outcome: str | None = None
    reason: str | None = None
    by_reviewer: bool = True  # False: recorded by the server (reviewer_id NULL)


def reply(offset: int, feedback: bool = False) -> Event:
    return Event(offset, "reply", feedback=feedback)


def status(offset: int, name: str, outcome: str | None, reason: str | None, by_reviewer: bool = True) -> Event:
    return Event(offset, "status", status=name, outcome=outcome, reason=reason, by_reviewer=by_reviewer)


# Every kind of history a case can have, as far as the deadline rule cares.
KINDS: dict[str, list[Event]] = {
    "no event": [],
    "a server-recorded closing": [status(1, "closed", "upheld", "recorded", by_reviewer=False)],
    "a reply": [reply(3)],
    "a reply, late": [reply(20)],
    "a status change": [status(2, "acknowledged", None, "seen")],
    "a feedback reply": [reply(5, feedback=True)],
    "a feedback reply, late": [reply(100, feedback=True)],
    "closed with an outcome and a reason": [status(30, "closed", "upheld", "Done.")],
    "closed with an outcome and a reason, late": [status(120, "closed", "not_upheld", "Done.")],
    "closed with a blank reason": [status(30, "closed", "upheld", " \t\n ")],
    "closed without a reason": [status(30, "closed", "upheld", None)],
    "closed without an outcome": [status(30, "closed", None, "Done.")],
    "closed with an empty outcome": [status(30, "closed", "", "Done.")],
    "an outcome on another status": [status(30, "in_progress", "upheld", "Done.")],
    "acknowledged, then fed back": [status(1, "acknowledged", None, "seen"), reply(40, feedback=True)],
    "a reply, then closed": [reply(2), status(50, "closed", "referred", "Referred.")],
}


def final_with_reason(event: Event, final: str) -> bool:
    return event.status == final and bool(event.outcome) and bool((event.reason or "").strip())


@dataclass(frozen=True)
class Expected:
    case_id: str
    created_day: str
    acknowledged: bool
    fed_back: bool
    next_deadline: str
    overdue: bool


def expected(case_id: str, created: date, events: list[Event], with_deadlines: bool, final: str = "closed") -> Expected:
    """What crypto.deadlines says of a case (a case stored without deadlines has none open)."""
    listed = [
        DeadlineEvent(created + timedelta(days=e.offset), "reply" if e.kind == "reply" else "status", e.feedback,
                      final_with_reason(e, final))
        for e in events
        if e.by_reviewer
    ]  # fmt: skip
    rule = case_deadlines(created, listed, TODAY)
    due = rule.next_due()
    open_day = due.due.isoformat() if due is not None and with_deadlines else NO_OPEN_DEADLINE
    return Expected(
        case_id,
        created.isoformat(),
        rule.acknowledge.met,
        rule.feedback.met,
        open_day,
        rule.overdue and with_deadlines,
    )


def add_reviewers(conn: db.Connection) -> None:
    for number in REVIEWERS:
        conn.execute(
            "INSERT INTO reviewers (id, key_id, identity, fingerprint, display_name, role, added_day)"
            " VALUES (?, ?, 'identity', 'fingerprint', ?, 'Case handler', '2026-01-01')",
            (number, f"{number:016x}", f"Reviewer {number}"),
        )


def insert_case(
    conn: db.Connection, created: date, events: list[Event], recipients: tuple[int, ...], with_deadlines: bool = True
) -> str:
    """The rows a case leaves (without blobs: the queue never reads them), written directly."""
    case_id = os.urandom(16).hex()
    ack = (created + timedelta(days=7)).isoformat() if with_deadlines else None
    feedback = (created + timedelta(days=90)).isoformat() if with_deadlines else None
    conn.execute(
        "INSERT INTO cases (id, created_day, status, sealed_on, login_hash, reporter_reply_key, reporter_sign_key,"
        " acknowledge_by, feedback_by) VALUES (?, ?, 'new', 'server', ?, ?, ?, ?, ?)",
        (case_id, created.isoformat(), os.urandom(32), os.urandom(32), os.urandom(32), ack, feedback),
    )
    conn.executemany(
        "INSERT INTO case_reviewers (case_id, reviewer_id) VALUES (?, ?)", [(case_id, r) for r in recipients]
    )
    conn.execute("INSERT INTO status_events (case_id, day, status) VALUES (?, ?, 'new')", (case_id, created))
    for seq, event in enumerate(events, start=1):
        day = (created + timedelta(days=event.offset)).isoformat()
        if event.kind == "reply":
            conn.execute(
                "INSERT INTO replies (case_id, reviewer_id, seq, day, statement, signature, for_reporter, feedback)"
                " VALUES (?, ?, ?, ?, x'7b7d', zeroblob(64), x'00', ?)",
                (case_id, recipients[0], seq, day, int(event.feedback)),
            )
        else:
            conn.execute(
                "INSERT INTO status_events (case_id, day, status, outcome, reason, reviewer_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (case_id, day, event.status, event.outcome, event.reason, recipients[0] if event.by_reviewer else None),
            )
    return case_id


def stored(conn: db.Connection, case_id: str) -> tuple[bool, bool, str]:
    row = conn.execute("SELECT acknowledged, fed_back, next_deadline FROM cases WHERE id = ?", (case_id,)).fetchone()
    return bool(row[0]), bool(row[1]), str(row[2])


def copies_disagree(conn: db.Connection) -> int:
    """Recipients whose copy of the case's queue keys (case_reviewers) is not the case's."""
    row = conn.execute(
        "SELECT count(*) FROM case_reviewers cr JOIN cases c ON c.id = cr.case_id"
        " WHERE cr.next_deadline IS NOT c.next_deadline OR cr.created_day IS NOT c.created_day"
    ).fetchone()
    return int(row[0])


def every_kind(conn: db.Connection) -> Iterator[Expected]:
    """Each kind of history on cases created long ago, recently and today, and once without deadlines."""
    for events in KINDS.values():
        for created, with_deadlines in (
            (TODAY - timedelta(days=200), True),
            (TODAY - timedelta(days=30), True),
            (TODAY - timedelta(days=3), True),
            (TODAY, True),
            (TODAY - timedelta(days=200), False),
        ):
            case_id = insert_case(conn, created, events, REVIEWERS, with_deadlines)
            yield expected(case_id, created, events, with_deadlines)


def test_the_stored_state_is_what_crypto_deadlines_says_for_every_kind_of_event(instance_dir: Path) -> None:
    with closing(db.connect(instance_dir)) as conn, db.transaction(conn):
        add_reviewers(conn)
        cases = list(every_kind(conn))
        for case in cases:
            assert stored(conn, case.case_id) == (case.acknowledged, case.fed_back, case.next_deadline), case
        assert copies_disagree(conn) == 0
    # The kinds really differ: some met, some open, some overdue (the test can fail).
    assert {(c.acknowledged, c.fed_back) for c in cases} == {(False, False), (True, False), (True, True)}
    assert any(c.overdue for c in cases) and not all(c.overdue for c in cases)


def test_the_store_functions_the_app_writes_with_keep_the_state(instance_dir: Path) -> None:
    created = TODAY - timedelta(days=100)
    with closing(db.connect(instance_dir)) as conn:
        add_reviewers(conn)
        case_id = insert_case(conn, created, [], (1,))
        assert stored(conn, case_id) == (False, False, (created + timedelta(days=7)).isoformat())
        insert_reply(conn, case_id=case_id, reviewer_id=1, seq=1, day=TODAY.isoformat(), statement=b"{}",
                     signature=bytes(64), for_reporter=b"x", reviewers_blob="0" * 32, feedback=False)  # fmt: skip
        assert stored(conn, case_id) == (True, False, (created + timedelta(days=90)).isoformat())
        record_status(conn, case_id=case_id, day=TODAY.isoformat(), status="closed", outcome="upheld",
                      reason="Done.", reviewer_id=1, statement=None, signature=None)  # fmt: skip
        assert stored(conn, case_id) == (True, True, NO_OPEN_DEADLINE)
        # Rows removed or changed by hand: the state follows.
        conn.execute("UPDATE status_events SET reason = '  ' WHERE case_id = ? AND reviewer_id = 1", (case_id,))
        assert stored(conn, case_id) == (True, False, (created + timedelta(days=90)).isoformat())
        conn.execute("DELETE FROM status_events WHERE case_id = ? AND reviewer_id = 1", (case_id,))
        conn.execute("DELETE FROM replies WHERE case_id = ?", (case_id,))
        assert stored(conn, case_id) == (False, False, (created + timedelta(days=7)).isoformat())
        # Its due days changed: next_deadline is computed from them.
        conn.execute("UPDATE cases SET acknowledge_by = '2031-01-01', feedback_by = '2030-01-01' WHERE id = ?",
                     (case_id,))  # fmt: skip
        assert stored(conn, case_id) == (False, False, "2030-01-01")
        conn.execute("UPDATE cases SET created_day = '2026-01-01' WHERE id = ?", (case_id,))
        # A recipient added later gets the case's keys too.
        conn.execute("INSERT INTO case_reviewers (case_id, reviewer_id) VALUES (?, 2)", (case_id,))
        assert copies_disagree(conn) == 0


def test_another_final_status_recomputes_every_case(instance_dir: Path) -> None:
    created = TODAY - timedelta(days=200)
    histories = [[status(30, "done", "upheld", "Done.")], KINDS["closed with an outcome and a reason"]]
    with closing(db.connect(instance_dir)) as conn:
        add_reviewers(conn)
        case_ids = [insert_case(conn, created, events, REVIEWERS) for events in histories]

    def by_crypto(final: str) -> list[tuple[bool, bool]]:
        rules = [
            expected(case_id, created, events, True, final) for case_id, events in zip(case_ids, histories, strict=True)
        ]
        return [(rule.acknowledged, rule.fed_back) for rule in rules]

    assert by_crypto("done") != by_crypto("closed")  # the final status matters to these two
    for final in ("done", "closed", "done"):
        assert _state_under(instance_dir, final, case_ids) == by_crypto(final)
        with closing(db.connect(instance_dir)) as conn:
            row = conn.execute("SELECT value FROM instance_meta WHERE name = ?", (FINAL_STATUS_META,)).fetchone()
            assert row[0] == final and copies_disagree(conn) == 0


def _state_under(instance: Path, final: str, case_ids: list[str]) -> list[tuple[bool, bool]]:
    """(acknowledged, fed_back) of the cases once an app configured with `final` has started."""
    statuses = [("new", "New"), ("closed", "Closed"), ("done", "Done")]
    create_app(str(instance), overrides={"TESTING": True, "CLOSED_STATUS": final, "STATUSES": statuses})
    with closing(db.connect(instance)) as conn:
        return [stored(conn, case_id)[:2] for case_id in case_ids]


def queue_order(cases: list[Expected]) -> list[Expected]:
    """ORDER BY overdue DESC, next_deadline, created_day DESC, id DESC (the former
    statement's order), by stable sorts from the last key to the first."""
    ordered = sorted(cases, key=lambda c: c.case_id, reverse=True)
    ordered.sort(key=lambda c: c.created_day, reverse=True)
    ordered.sort(key=lambda c: c.next_deadline)
    ordered.sort(key=lambda c: c.overdue, reverse=True)
    return ordered


@pytest.fixture
def crowded(instance_dir: Path) -> tuple[Path, list[Expected], dict[int, set[str]]]:
    """About 450 cases of random kinds, creation days (many shared) and recipients."""
    rng = random.Random(15)
    cases: list[Expected] = []
    visible: dict[int, set[str]] = {number: set() for number in REVIEWERS}
    kinds = list(KINDS.values())
    with closing(db.connect(instance_dir)) as conn, db.transaction(conn):
        add_reviewers(conn)
        for _ in range(450):
            created = TODAY - timedelta(days=rng.choice([0, 1, 5, 8, 8, 30, 89, 91, 91, 200]))
            events = rng.choice(kinds)
            recipients = rng.choice([(1,), (2,), (1, 2)])
            with_deadlines = rng.random() > 0.05
            case_id = insert_case(conn, created, events, recipients, with_deadlines)
            cases.append(expected(case_id, created, events, with_deadlines))
            for number in recipients:
                visible[number].add(case_id)
    return instance_dir, cases, visible


@pytest.mark.parametrize("reviewer_id", [None, 1, 2])
def test_every_page_is_in_the_former_order_for_admins_and_reviewers(
    crowded: tuple[Path, list[Expected], dict[int, set[str]]], reviewer_id: int | None
) -> None:
    instance, cases, visible = crowded
    mine = [c for c in cases if reviewer_id is None or c.case_id in visible[reviewer_id]]
    order = [c.case_id for c in queue_order(mine)]
    app = create_app(str(instance), overrides={"TESTING": True})
    listed: list[str] = []
    with app.app_context(), closing(db.connect(instance)) as conn:
        first = list_queue_page(conn, TODAY.isoformat(), reviewer_id, 1)
        assert first.total == len(mine) and first.pages == -(-len(mine) // PAGE_SIZE) > 2
        assert first.overdue == sum(c.overdue for c in mine) > 0
        for number in range(1, first.pages + 1):
            page = list_queue_page(conn, TODAY.isoformat(), reviewer_id, number)
            assert page.page == number and len(page.items) == min(PAGE_SIZE, len(mine) - (number - 1) * PAGE_SIZE)
            # The page's own deadlines (crypto.deadlines, in Python) agree with the stored order.
            by_id = {c.case_id: c for c in mine}
            for item in page.items:
                case = by_id[item.case.id]
                assert (item.overdue, item.next_deadline) == (case.overdue, case.next_deadline)
            listed += [item.case.id for item in page.items]
        beyond = list_queue_page(conn, TODAY.isoformat(), reviewer_id, first.pages + 5)
    assert listed == order
    assert beyond.page == first.pages and [item.case.id for item in beyond.items] == order[-len(beyond.items) :]


def test_the_page_is_read_from_the_index_without_sorting(
    crowded: tuple[Path, list[Expected], dict[int, set[str]]],
) -> None:
    instance, _cases, _visible = crowded
    app = create_app(str(instance), overrides={"TESTING": True})
    statements: list[str] = []
    with app.app_context(), closing(db.connect(instance)) as conn:
        conn.set_trace_callback(statements.append)
        for reviewer_id in (None, 1):
            list_queue_page(conn, TODAY.isoformat(), reviewer_id, 2)
        conn.set_trace_callback(None)
        plans = {sql: _plan(conn, sql) for sql in statements if "next_deadline" in sql}
    assert len(plans) == 4, list(plans)  # totals and page rows, for an admin and a reviewer
    for sql, plan in plans.items():
        assert ("case_reviewers_queue_order" if "case_reviewers" in sql else "cases_queue_order") in plan, (sql, plan)
        for slow in ("TEMP B-TREE", "MATERIALIZE", "AUTOMATIC", "SCAN c\n", "SCAN cr"):
            assert slow not in plan, (sql, plan)


def _plan(conn: db.Connection, sql: str) -> str:
    return "".join(f"{row[3]}\n" for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))


def test_the_migration_back_fills_a_database_made_before_it(tmp_path: Path) -> None:
    before = tmp_path / "before-0013"
    before.mkdir()
    for version, path in db.migration_files():
        if version < 13:
            shutil.copy(path, before / path.name)
    (tmp_path / "db.key").write_text("ab" * 32)
    with closing(db.connect(tmp_path)) as conn:
        db.migrate(conn, before)
        assert 13 not in db.applied_versions(conn)
        with db.transaction(conn):
            add_reviewers(conn)
            cases = list(every_kind(conn))
        assert db.migrate(conn) == [13]
        for case in cases:
            assert stored(conn, case.case_id) == (case.acknowledged, case.fed_back, case.next_deadline), case
        assert copies_disagree(conn) == 0
        ids = [row[0] for row in queue_page_rows(conn, reviewer_id=None, limit=len(cases), offset=0)]
        assert ids == [c.case_id for c in queue_order(cases)]
        ids = [row[0] for row in queue_page_rows(conn, reviewer_id=2, limit=len(cases), offset=0)]
        assert ids == [c.case_id for c in queue_order(cases)]  # every case is sealed to both
