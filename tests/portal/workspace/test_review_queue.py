"""The queue, visibility, online status changes and incremental export."""

from __future__ import annotations

import io
import os
import re
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.reporter_support import add_reviewer_with_keys
from tests.support.workspace_support import create_account, csrf_token, file_case, sign_in_first_time

from crypto.bundle import open_bundle
from crypto.identity import ReviewerKeys
from portal import create_app
from portal.store import db


@pytest.fixture
def world(instance_dir: Path) -> tuple[Flask, dict[str, ReviewerKeys], dict[str, FlaskClient]]:
    keys = {
        "ana": add_reviewer_with_keys(instance_dir, "Ana Handler", "Case handler"),
        "ben": add_reviewer_with_keys(instance_dir, "Ben Chair", "Panel chair"),
    }
    app = create_app(str(instance_dir), overrides={"TESTING": True})
    clients = {
        name: sign_in_first_time(app, name, create_account(instance_dir, name, "reviewer", key.public)).client
        for name, key in keys.items()
    }
    clients["root"] = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client
    return app, keys, clients


def _export(client: FlaskClient, mode: str = "changed", cases: list[str] | None = None) -> tuple[int, bytes]:
    data: dict[str, object] = {"csrf_token": csrf_token(client, "/review/"), "mode": mode}
    if cases is not None:
        data["case"] = cases
    response = client.post("/review/export", data=data)
    return response.status_code, response.get_data()


def _cases_in(bundle: bytes, keys: ReviewerKeys) -> list[str]:
    with open_bundle(io.BytesIO(bundle), keys) as opened:
        return sorted(case.case for case in opened.cases)


def test_a_reviewer_sees_and_exports_only_cases_sealed_to_them(
    instance_dir: Path, world: tuple[Flask, dict[str, ReviewerKeys], dict[str, FlaskClient]]
) -> None:
    app, keys, clients = world
    mine = file_case(instance_dir, app, [keys["ana"].public])
    theirs = file_case(instance_dir, app, [keys["ben"].public])
    ana = clients["ana"]
    queue = ana.get("/review/").get_data(as_text=True)
    assert mine.case_id[:8] in queue and theirs.case_id[:8] not in queue
    assert ana.get(f"/review/cases/{mine.case_id}").status_code == 200
    assert ana.get(f"/review/cases/{theirs.case_id}").status_code == 404
    assert ana.get("/review/cases/not-a-case").status_code == 404
    status, _ = _export(ana, "chosen", [theirs.case_id])
    assert status == 404
    status, _ = _export(ana, "chosen", [mine.case_id, theirs.case_id])
    assert status == 404
    token = csrf_token(ana, "/review/")
    response = ana.post(
        f"/review/cases/{theirs.case_id}/status", data={"csrf_token": token, "status": "acknowledged", "reason": "x"}
    )
    assert response.status_code == 404
    status, bundle = _export(ana, "all")
    assert status == 200 and _cases_in(bundle, keys["ana"]) == [mine.case_id]
    # The administrator sees both cases' metadata, but no export and no case page.
    overview = clients["root"].get("/admin/").get_data(as_text=True)
    assert mine.case_id[:8] in overview and theirs.case_id[:8] in overview
    assert clients["root"].get(f"/review/cases/{mine.case_id}").status_code == 403


def test_overdue_cases_come_first_and_admins_see_them(
    instance_dir: Path, world: tuple[Flask, dict[str, ReviewerKeys], dict[str, FlaskClient]]
) -> None:
    app, keys, clients = world
    fresh = file_case(instance_dir, app, [keys["ana"].public])
    old = file_case(instance_dir, app, [keys["ana"].public], day="2020-01-01")
    queue = clients["ana"].get("/review/").get_data(as_text=True)
    assert queue.index(old.case_id[:8]) < queue.index(fresh.case_id[:8])
    assert "OVERDUE" in queue.split(fresh.case_id[:8])[0]
    overview = clients["root"].get("/admin/").get_data(as_text=True)
    assert "1 case is overdue." in overview


def test_online_status_change_needs_a_reason_and_an_allowed_transition(
    instance_dir: Path, world: tuple[Flask, dict[str, ReviewerKeys], dict[str, FlaskClient]]
) -> None:
    app, keys, clients = world
    case = file_case(instance_dir, app, [keys["ana"].public])
    ana = clients["ana"]
    url = f"/review/cases/{case.case_id}/status"
    page = f"/review/cases/{case.case_id}"

    def change(**data: str) -> str:
        ana.post(url, data={"csrf_token": csrf_token(ana, page), **data})
        return ana.get(page).get_data(as_text=True)

    assert "Give a reason" in change(status="acknowledged", reason="  ")
    assert "cannot move to" in change(status="awaiting_reporter", reason="why")
    assert "needs an outcome" in change(status="closed", reason="done")
    html = change(status="acknowledged", reason="We have your report and will reply within a week.")
    assert "The status was changed" in html
    with closing(db.connect(instance_dir)) as conn:
        event = conn.execute(
            "SELECT status, reason, reviewer_id IS NOT NULL, statement, signature FROM status_events"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        trail = conn.execute("SELECT actor, details FROM audit_log WHERE action = 'status_changed'").fetchone()
    assert tuple(event) == ("acknowledged", "We have your report and will reply within a week.", 1, None, None)
    assert trail[0] == "ana (reviewer)" and '"via":"online"' in trail[1]
    assert "We have your report" not in trail[1]  # the reason is in status_events, not in the trail
    # The case page shows the trail.
    assert "status_changed" in html


def test_transitions_are_configurable(instance_dir: Path) -> None:
    from portal.reviewer.workflow import TransitionError, check_transition

    app = create_app(
        str(instance_dir),
        overrides={"TESTING": True, "STATUS_TRANSITIONS": {"new": ["awaiting_reporter"], "awaiting_reporter": []}},
    )
    with app.test_request_context():
        check_transition("new", "awaiting_reporter", None)
        with pytest.raises(TransitionError, match="it can move to: awaiting_reporter"):
            check_transition("new", "acknowledged", None)
        with pytest.raises(TransitionError, match="cannot change any more"):
            check_transition("awaiting_reporter", "closed", "upheld")


def test_export_is_incremental(
    instance_dir: Path, world: tuple[Flask, dict[str, ReviewerKeys], dict[str, FlaskClient]]
) -> None:
    app, keys, clients = world
    ana = clients["ana"]
    first = file_case(instance_dir, app, [keys["ana"].public, keys["ben"].public])
    status, bundle = _export(ana)
    assert status == 200 and _cases_in(bundle, keys["ana"]) == [first.case_id]
    # Nothing changed: nothing to export, said plainly.
    response = ana.post("/review/export", data={"csrf_token": csrf_token(ana, "/review/"), "mode": "changed"})
    assert response.status_code == 302
    assert "no case is new or changed" in ana.get("/review/").get_data(as_text=True)
    # A new case comes alone.
    second = file_case(instance_dir, app, [keys["ana"].public])
    status, bundle = _export(ana)
    assert _cases_in(bundle, keys["ana"]) == [second.case_id]
    # A change to the first case (by another reviewer) brings it back, whole.
    ben = clients["ben"]
    ben.post(
        f"/review/cases/{first.case_id}/status",
        data={
            "csrf_token": csrf_token(ben, f"/review/cases/{first.case_id}"),
            "status": "acknowledged",
            "reason": "Seen.",
        },
    )
    status, bundle = _export(ana)
    with open_bundle(io.BytesIO(bundle), keys["ana"]) as opened:
        assert [case.case for case in opened.cases] == [first.case_id]
        case = opened.cases[0]
        assert case.report is not None and case.status == "acknowledged"
        assert [entry.status for entry in case.timeline] == ["new", "acknowledged"]
        assert opened.since > 0 and opened.until > opened.since
    # Ben's incremental export still holds the first case: marks are per reviewer.
    status, bundle = _export(ben)
    assert _cases_in(bundle, keys["ben"]) == [first.case_id]
    # A chosen set does not move the mark.
    file_case(instance_dir, app, [keys["ana"].public])
    _export(ana, "chosen", [first.case_id])
    status, bundle = _export(ana)
    assert len(_cases_in(bundle, keys["ana"])) == 1 and first.case_id not in _cases_in(bundle, keys["ana"])
    with closing(db.connect(instance_dir)) as conn:
        exports = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone()[0]
    assert exports == 6


def _bulk_cases(instance_dir: Path, reviewer_id: int, count: int, overdue: int, acknowledged: int) -> list[str]:
    """Insert `count` cases sealed to `reviewer_id` the way bench/growth.py does (raw rows,
    no blobs: the queue never reads them). The first `overdue` have an acknowledge
    deadline long past; the next `acknowledged` have the same past deadline but a
    reviewer's status change (so they are not overdue). Returns their ids in
    insertion order; each has its own created_day so the expected order is exact."""
    ids = []
    with closing(db.connect(instance_dir)) as conn, db.transaction(conn):
        for number in range(count):
            case_id = os.urandom(16).hex()
            created = (date(2020, 1, 1) + timedelta(days=number)).isoformat()
            past = number < overdue + acknowledged
            ack_by = "2020-01-05" if past else "2999-01-01"
            conn.execute(
                "INSERT INTO cases (id, created_day, status, outcome, sealed_on, login_hash, reporter_reply_key,"
                " reporter_sign_key, acknowledge_by, feedback_by) VALUES (?, ?, 'new', NULL, 'browser', ?, ?, ?, ?, ?)",
                (case_id, created, os.urandom(32), os.urandom(32), os.urandom(32), ack_by, "2999-06-01"),
            )
            conn.execute("INSERT INTO case_reviewers (case_id, reviewer_id) VALUES (?, ?)", (case_id, reviewer_id))
            conn.execute("INSERT INTO status_events (case_id, day, status) VALUES (?, ?, 'new')", (case_id, created))
            if overdue <= number < overdue + acknowledged:
                conn.execute(
                    "INSERT INTO status_events (case_id, day, status, reason, reviewer_id)"
                    " VALUES (?, ?, 'acknowledged', 'seen', ?)",
                    (case_id, created, reviewer_id),
                )
            ids.append(case_id)
    return ids


def _ids_on(html: str) -> list[str]:
    return re.findall(r'name="case" value="([0-9a-f]{32})"', html)


def test_the_queue_is_set_based_and_paged(
    instance_dir: Path,
    world: tuple[Flask, dict[str, ReviewerKeys], dict[str, FlaskClient]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, keys, clients = world
    with closing(db.connect(instance_dir)) as conn:
        ana_id = conn.execute("SELECT id FROM reviewers WHERE display_name = 'Ana Handler'").fetchone()[0]
    ids = _bulk_cases(instance_dir, ana_id, 2000, overdue=150, acknowledged=30)
    # Expected order: overdue (same deadline) newest first, then the rest by the
    # nearest open deadline (the feedback day for the 30 acknowledged ones, which
    # is later than 2999-01-01), newest first.
    overdue = list(reversed(ids[:150]))
    fresh = list(reversed(ids[180:]))
    acknowledged = list(reversed(ids[150:180]))
    expected = overdue + fresh + acknowledged

    statements: list[str] = []
    real_connect = db.connect

    def traced(path: str | Path) -> db.Connection:
        conn = real_connect(path)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(db, "connect", traced)
    ana = clients["ana"]
    first = ana.get("/review/")
    assert first.status_code == 200
    # Sign-in checks, the export mark and the listing: a handful, not thousands.
    assert len(statements) <= 30, len(statements)
    html = first.get_data(as_text=True)
    assert "2000 cases" in html and "150 overdue" in html
    assert _ids_on(html) == expected[:100]
    assert html.count("OVERDUE") >= 100
    assert 'href="/review/?page=2"' in html and "Page 1 of 20" in html
    second = ana.get("/review/?page=2").get_data(as_text=True)
    assert _ids_on(second) == expected[100:200]
    assert 'href="/review/?page=1"' in second
    last = ana.get("/review/?page=20").get_data(as_text=True)
    assert _ids_on(last) == expected[1900:]
    # Past the end or nonsense: the nearest real page, never an error.
    assert _ids_on(ana.get("/review/?page=99").get_data(as_text=True)) == expected[1900:]
    assert _ids_on(ana.get("/review/?page=x").get_data(as_text=True)) == expected[:100]
    statements.clear()
    overview = clients["root"].get("/admin/").get_data(as_text=True)
    assert len(statements) <= 30, len(statements)
    assert "150 cases are overdue." in overview and ids[149][:8] in overview
    assert 'href="/admin/?page=2"' in overview
