"""Digests at their times, with the right counts and nothing identifying; reminders two
days before and on the day; escalation to the administrators after three days.

A real SMTP server on loopback, real SQLCipher instances, real sealed reports; the
clock is passed in (`now`), nothing sleeps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import free_port
from tests.support.notify_support import (
    Mailbox,
    Received,
    confirm_address,
    file_followup,
    make_accounts,
    notify_app,
    send,
    smtp_relay,
)
from tests.support.workspace_support import FiledCase, file_case

from crypto.identity import PublicIdentity
from portal import audit, workflow
from portal.store import db

ADDRESSES = {"alice": "alice@example.org", "bob": "bob@example.org", "boss": "boss@example.org"}
NAMES = {"alice": "Alice Smith", "bob": "Bob Jones"}
CATEGORY_WORDS = ("bullying", "harassment", "racism", "discrimination", "misuse")


@dataclass
class World:
    app: Flask
    instance: Path
    relay: Mailbox
    alice: PublicIdentity
    bob: PublicIdentity


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


@pytest.fixture
def world(instance_dir: Path, add_reviewer: Callable[..., Any]) -> Iterator[World]:
    alice = add_reviewer(instance_dir, NAMES["alice"], "Adviser")
    bob = add_reviewer(instance_dir, NAMES["bob"], "Officer")
    make_accounts(instance_dir, {"alice": alice, "bob": bob}, ["boss"])
    port = free_port()
    with smtp_relay(port) as relay:
        app = notify_app(instance_dir, port)
        for username, address in ADDRESSES.items():
            confirm_address(app, relay, username, address, at("2026-11-30", "12:00"))
        relay.clear()
        yield World(app, instance_dir, relay, alice, bob)


def summary(received: Received) -> str:
    """The first line of a digest, without the workspace link."""
    first = received.body.splitlines()[0]
    return first.split(" Sign in to the workspace:")[0]


def assert_nothing_identifying(received: Received, recipient: str, cases: list[FiledCase], markers: list[str]) -> None:
    text = received.raw + received.body
    lowered = text.lower()
    for case in cases:
        assert case.case_id not in lowered
        assert case.case_id[:8] not in lowered
        assert case.codename not in text
    for marker in markers:
        assert marker not in text
    for word in CATEGORY_WORDS:
        assert word not in lowered
    for username, name in NAMES.items():
        if username != recipient:
            assert name not in text
            assert f"{username}@" not in text
    assert "Sign in to the workspace: https://candour.example.org/review/" in received.body


def digest_entries(instance: Path) -> list[audit.AuditEntry]:
    with closing(db.connect(instance)) as conn:
        return [e for e in audit.recent_entries(conn, 1000) if e.action == "digest_sent"]


def test_digests_go_out_at_their_times_with_counts_only(world: World) -> None:
    day = "2026-12-01"
    marker_report = "MARKER-report-7731 the finance director shouted"
    marker_followup = "MARKER-followup-5512 it happened again"
    case1 = file_case(world.instance, world.app, [world.alice, world.bob], what=marker_report, day=day)
    case2 = file_case(world.instance, world.app, [world.alice], what=marker_report + " two", day=day)
    file_followup(world.instance, world.app, case1, [world.alice, world.bob], marker_followup, day)

    # Between digest windows nothing goes out, however soon after a submission.
    for hhmm in ("06:30", "07:59"):
        report = send(world.app, at(day, hhmm))
        assert report.slot is None and report.sent == 0
    assert world.relay.messages == []

    report = send(world.app, at(day, "08:05"))
    assert report.slot == f"{day}T08:00" and report.sent == 2 and report.ok
    alice = world.relay.to(ADDRESSES["alice"])
    bob = world.relay.to(ADDRESSES["bob"])
    assert [summary(m) for m in alice] == ["Candour: 2 new cases, 1 new follow-up."]
    assert [summary(m) for m in bob] == ["Candour: 1 new case, 1 new follow-up."]
    assert world.relay.to(ADDRESSES["boss"]) == []  # nothing overdue: administrators hear nothing

    # The same window again, or any run before the next digest time: nothing more.
    for hhmm in ("08:20", "08:59", "12:00"):
        assert send(world.app, at(day, hhmm)).sent == 0
    case3 = file_case(world.instance, world.app, [world.bob], what=marker_report + " three", day=day)
    assert send(world.app, at(day, "12:01")).sent == 0
    assert len(world.relay.messages) == 2

    report = send(world.app, at(day, "16:00"))
    assert report.slot == f"{day}T16:00" and report.sent == 1
    assert [summary(m) for m in world.relay.to(ADDRESSES["bob"])][-1] == "Candour: 1 new case."
    assert len(world.relay.to(ADDRESSES["alice"])) == 1

    recipients = {ADDRESSES[u]: u for u in ADDRESSES}
    for received in world.relay.messages:
        (to,) = received.rcpt_tos
        assert_nothing_identifying(received, recipients[to], [case1, case2, case3], [marker_report, marker_followup])
        assert received.message["Subject"] == "Candour: work is waiting in the workspace"

    entries = digest_entries(world.instance)
    assert sorted((e.details["account"], e.details["items"]) for e in entries) == [
        ("alice", 3),
        ("bob", 1),
        ("bob", 2),
    ]
    assert all(e.case_id is None and e.day == db.today() for e in entries)
    # The queue of changes is emptied by each digest: no record ties a submission to a digest time.
    # Nor a message, once sent: the digest times planned are kept, not what they held.
    with closing(db.connect(world.instance)) as conn:
        assert conn.execute("SELECT count(*) FROM notify_changes").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM notify_deliveries").fetchone()[0] == 0
        assert [tuple(r) for r in conn.execute("SELECT * FROM notify_runs ORDER BY slot")] == [
            (f"{day}T08:00", day),
            (f"{day}T16:00", day),
        ]


def test_no_digest_when_a_window_was_missed_changes_wait_for_the_next(world: World) -> None:
    day = "2026-12-01"
    file_case(world.instance, world.app, [world.alice], day=day)
    # The machine was off at 08:00 and came back at 10:30: the 08:00 window is over.
    assert send(world.app, at(day, "10:30")).sent == 0
    report = send(world.app, at(day, "16:10"))
    assert report.sent == 1
    assert summary(world.relay.to(ADDRESSES["alice"])[0]) == "Candour: 1 new case."


def test_digest_times_follow_the_configured_zone(instance_dir: Path, add_reviewer: Callable[..., Any]) -> None:
    alice = add_reviewer(instance_dir, NAMES["alice"], "Adviser")
    make_accounts(instance_dir, {"alice": alice}, [])
    port = free_port()
    with smtp_relay(port) as relay:
        app = notify_app(instance_dir, port, NOTIFY_DIGEST_TIMES=["09:30"], NOTIFY_TIMEZONE="America/New_York")
        confirm_address(app, relay, "alice", ADDRESSES["alice"], at("2026-11-30", "12:00"))
        relay.clear()
        file_case(instance_dir, app, [alice], day="2026-12-01")
        assert send(app, at("2026-12-01", "09:35")).sent == 0  # 09:35 UTC is 04:35 in New York
        report = send(app, at("2026-12-01", "14:40"))  # 09:40 in New York
        assert report.slot == "2026-12-01T09:30" and report.sent == 1


def _status_change(world: World, case: FiledCase, reviewer: PublicIdentity) -> None:
    with world.app.app_context(), closing(db.connect(world.instance)) as conn:
        reviewer_id = conn.execute("SELECT id FROM reviewers WHERE key_id = ?", (reviewer.key_id.hex(),)).fetchone()[0]
        with audit.audited_transaction(conn, str(world.instance)):
            workflow.record_status_change(
                conn,
                case_id=case.case_id,
                previous="new",
                status="acknowledged",
                outcome=None,
                reason="We have your report.",
                reviewer_id=reviewer_id,
                actor="alice (reviewer)",
                via="online",
            )


def test_reminders_two_days_before_and_on_the_day_then_escalation(world: World) -> None:
    created = "2026-12-01"  # acknowledgement due 2026-12-08 (7 days)
    waiting = file_case(world.instance, world.app, [world.alice, world.bob], what="MARKER-late-case", day=created)
    answered = file_case(world.instance, world.app, [world.alice], what="MARKER-answered-case", day=created)
    _status_change(world, answered, world.alice)  # acknowledged: never reminded or escalated

    by_day: dict[str, dict[str, list[str]]] = {}
    start = datetime.fromisoformat(f"{created}T00:00:00+00:00")
    for offset in range(1, 13):
        day = (start + timedelta(days=offset)).date().isoformat()
        for hhmm in ("08:05", "16:05"):
            before = len(world.relay.messages)
            send(world.app, at(day, hhmm))
            for received in world.relay.messages[before:]:
                by_day.setdefault(f"{day} {hhmm}", {}).setdefault(received.rcpt_tos[0], []).append(summary(received))

    new_cases = {
        ADDRESSES["alice"]: ["Candour: 2 new cases."],
        ADDRESSES["bob"]: ["Candour: 1 new case."],
    }
    two_days = "Candour: 1 case due for acknowledgement by 2026-12-08."
    reminder = {ADDRESSES["alice"]: [two_days], ADDRESSES["bob"]: [two_days]}
    escalation = "Candour: 1 case overdue, not yet acknowledged (due 2026-12-08), with Alice Smith and Bob Jones."
    assert by_day == {
        "2026-12-02 08:05": new_cases,
        "2026-12-06 08:05": reminder,  # two days before
        "2026-12-08 08:05": reminder,  # on the day
        "2026-12-11 08:05": {ADDRESSES["boss"]: [escalation]},  # overdue by 3 days
    }

    with closing(db.connect(world.instance)) as conn:
        entries = [e for e in audit.recent_entries(conn, 1000) if e.action == "case_escalated"]
    assert len(entries) == 1
    (entry,) = entries
    assert entry.case_id == waiting.case_id and entry.actor == audit.SYSTEM
    assert {k: entry.details[k] for k in ("deadline", "due", "overdue_days")} == {
        "deadline": "acknowledge",
        "due": "2026-12-08",
        "overdue_days": 3,
    }
    assert sorted(entry.details["reviewers"]) == sorted([world.alice.key_id.hex(), world.bob.key_id.hex()])
    # The escalation reaches administrators only; its audit entry holds no content either.
    assert "MARKER" not in json.dumps(entry.details)
    for received in world.relay.messages:
        assert "MARKER" not in received.raw
        assert not re.search(r"[0-9a-f]{32}", received.raw.split("Message-ID")[0])


def test_escalation_limit_is_configurable(instance_dir: Path, add_reviewer: Callable[..., Any]) -> None:
    alice = add_reviewer(instance_dir, NAMES["alice"], "Adviser")
    make_accounts(instance_dir, {"alice": alice}, ["boss"])
    port = free_port()
    with smtp_relay(port) as relay:
        app = notify_app(instance_dir, port, NOTIFY_ESCALATE_AFTER_DAYS=1, NOTIFY_REMIND_DAYS_BEFORE=0)
        confirm_address(app, relay, "boss", ADDRESSES["boss"], at("2026-11-30", "12:00"))
        relay.clear()
        file_case(instance_dir, app, [alice], day="2026-12-01")
        assert send(app, at("2026-12-08", "08:01")).sent == 0  # due today: only alice is reminded (no address)
        assert send(app, at("2026-12-09", "08:01")).sent == 1
        assert summary(relay.to(ADDRESSES["boss"])[0]) == (
            "Candour: 1 case overdue, not yet acknowledged (due 2026-12-08), with Alice Smith."
        )


def test_removed_address_gets_nothing(world: World) -> None:
    from portal.notify import addresses

    with world.app.app_context(), closing(db.connect(world.instance)) as conn:
        bob_id = conn.execute("SELECT id FROM accounts WHERE username = 'bob'").fetchone()[0]
        assert addresses.remove(conn, str(world.instance), account_id=bob_id, username="bob", actor="boss (admin)")
    file_case(world.instance, world.app, [world.alice, world.bob], day="2026-12-01")
    assert send(world.app, at("2026-12-01", "08:00")).sent == 1
    assert world.relay.to(ADDRESSES["bob"]) == []


def _close(world: World, case: FiledCase, reviewer: PublicIdentity, reason: str) -> None:
    with world.app.app_context(), closing(db.connect(world.instance)) as conn:
        reviewer_id = conn.execute("SELECT id FROM reviewers WHERE key_id = ?", (reviewer.key_id.hex(),)).fetchone()[0]
        with audit.audited_transaction(conn, str(world.instance)):
            workflow.record_status_change(
                conn,
                case_id=case.case_id,
                previous="acknowledged",
                status="closed",
                outcome="upheld",
                reason=reason,
                reviewer_id=reviewer_id,
                actor="alice (reviewer)",
                via="online",
            )


def test_feedback_reminders_follow_the_one_deadline_rule(world: World) -> None:
    """An acknowledgement is not feedback (crypto/deadlines.py): the acknowledged case is
    still reminded of its feedback deadline; the case closed with an outcome and a reason is not."""
    created = "2026-12-01"  # feedback due 2027-03-01 (90 days)
    acknowledged = file_case(world.instance, world.app, [world.alice], day=created)
    closed = file_case(world.instance, world.app, [world.alice], day=created)
    _status_change(world, acknowledged, world.alice)
    _status_change(world, closed, world.alice)
    _close(world, closed, world.alice, "We spoke to the manager; the reporter was told the outcome.")
    assert send(world.app, at("2026-12-02", "08:00")).sent == 1  # the two new cases
    world.relay.clear()
    send(world.app, at("2027-02-27", "08:00"))
    assert [summary(m) for m in world.relay.to(ADDRESSES["alice"])] == [
        "Candour: 1 case due for feedback by 2027-03-01."
    ]
    assert world.relay.to(ADDRESSES["boss"]) == []


def test_a_missed_due_day_is_still_reminded_once_as_overdue(world: World) -> None:
    file_case(world.instance, world.app, [world.alice], day="2026-12-01")
    send(world.app, at("2026-12-02", "08:00"))  # the new case
    world.relay.clear()
    # No digest went out from 12-03 to 12-08 (the machine was off); on 12-09 the case is a day overdue.
    send(world.app, at("2026-12-09", "08:00"))
    send(world.app, at("2026-12-09", "16:00"))
    assert [summary(m) for m in world.relay.to(ADDRESSES["alice"])] == [
        "Candour: 1 case overdue for acknowledgement (due 2026-12-08)."
    ]


def test_the_feedback_mark_is_the_stored_column_not_a_reading_of_the_statement(world: World) -> None:
    """The stored `replies.feedback` (set from the verified statement when the reply was
    accepted) is the one truth: a statement's bytes are never read again here."""
    from portal.store.notifications import deadline_candidates
    from portal.store.replies import insert_reply
    from portal.store.reviewers import find_reviewer

    marked = file_case(world.instance, world.app, [world.alice], day="2026-12-01")
    unmarked = file_case(world.instance, world.app, [world.alice], day="2026-12-01")
    with closing(db.connect(world.instance)) as conn:
        reviewer_id = find_reviewer(conn, world.alice.key_id.hex()).id
        # The statements say the opposite of the column: only the column may count.
        for case, statement, feedback in (
            (marked, b'{"version":2,"feedback":false}', True),
            (unmarked, b'{"version":2,"feedback":true}', False),
        ):
            insert_reply(
                conn,
                case_id=case.case_id,
                reviewer_id=reviewer_id,
                seq=1,
                day="2026-12-02",
                statement=statement,
                signature=bytes(64),
                for_reporter=b"x",
                reviewers_blob="0" * 32,
                feedback=feedback,
            )
        candidates = {c.case_id: c for c in deadline_candidates(conn, "2999-01-01", "closed")}
    assert marked.case_id not in candidates  # fed back: no reminder to plan for it
    assert candidates[unmarked.case_id].events == (("2026-12-02", "reply", False, False),)
