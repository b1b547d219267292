"""The audit trail's hash chain and head anchor, retention, and the admin's reviewer pages."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.reporter_support import add_reviewer_with_keys, multipart
from tests.support.workspace_support import create_account, csrf_token, file_case, sign_in_first_time

from crypto.identity import generate_org_keys, generate_reviewer_keys
from crypto.org import ListedReviewer, sign_reviewer_list
from portal import audit, create_app
from portal.store import db
from portal.store.blobs import blob_path


def _verify(instance: Path) -> Any:
    return create_app(str(instance)).test_cli_runner().invoke(args=["audit", "verify"])


@pytest.fixture
def trail(instance_dir: Path, add_reviewer: Callable[..., Any]) -> Path:
    """Five entries: three reviewers added and removed through the CLI."""
    for name in ("Ana", "Ben", "Cat"):
        add_reviewer(instance_dir, name, "Adviser")
    runner = create_app(str(instance_dir)).test_cli_runner()
    with closing(db.connect(instance_dir)) as conn:
        key_ids = [row[0] for row in conn.execute("SELECT key_id FROM reviewers ORDER BY id")]
    for key_id in key_ids[:2]:
        assert runner.invoke(args=["reviewer", "remove", key_id]).exit_code == 0
    return instance_dir


def _tamper(instance: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    # An attacker with the database key: the append-only triggers are no obstacle.
    with closing(db.connect(instance)) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("DROP TRIGGER audit_log_no_delete")
        for sql, args in statements:
            conn.execute(sql, args)


def test_an_intact_trail_verifies(trail: Path) -> None:
    result = _verify(trail)
    assert result.exit_code == 0, result.output
    assert "intact: 5 entries" in result.output
    assert audit.read_head(trail) is not None and audit.read_head(trail)[0] == 5  # type: ignore[index]


def test_the_application_cannot_edit_or_delete_entries(trail: Path) -> None:
    import sqlcipher3

    with closing(db.connect(trail)) as conn:
        with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
        with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE seq = 5")


def test_an_edited_entry_is_found(trail: Path) -> None:
    _tamper(trail, ("UPDATE audit_log SET details = ? WHERE seq = 3", ('{"key_id":"0000000000000000"}',)))
    result = _verify(trail)
    assert result.exit_code == 1 and "at entry 3" in result.output and "edited" in result.output


def test_a_deleted_entry_is_found(trail: Path) -> None:
    _tamper(trail, ("DELETE FROM audit_log WHERE seq = 2", ()))
    result = _verify(trail)
    assert result.exit_code == 1 and "entry 2 is missing" in result.output


def test_reordered_entries_are_found(trail: Path) -> None:
    with closing(db.connect(trail)) as conn:
        two, three = (
            conn.execute(
                "SELECT day, actor, action, case_id, details, entry_hash FROM audit_log WHERE seq = ?", (s,)
            ).fetchone()
            for s in (2, 3)
        )
    swap = "UPDATE audit_log SET day = ?, actor = ?, action = ?, case_id = ?, details = ?, entry_hash = ? WHERE seq = ?"
    _tamper(trail, (swap, (*three, 2)), (swap, (*two, 3)))
    result = _verify(trail)
    assert result.exit_code == 1 and "at entry 2" in result.output


def test_a_truncated_tail_is_found_by_the_head_anchor(trail: Path) -> None:
    _tamper(trail, ("DELETE FROM audit_log WHERE seq >= 4", ()))
    result = _verify(trail)
    assert result.exit_code == 1 and "truncated" in result.output and "entries 4–5" in result.output


def test_a_replaced_tail_is_found(trail: Path) -> None:
    _tamper(trail, ("UPDATE audit_log SET entry_hash = zeroblob(32) WHERE seq = 5", ()))
    result = _verify(trail)
    assert result.exit_code == 1


def test_retention_destroys_old_closed_cases_rows_and_blobs(instance_dir: Path) -> None:
    ana = add_reviewer_with_keys(instance_dir, "Ana Handler", "Case handler")
    app = create_app(str(instance_dir), overrides={"TESTING": True, "RETENTION_DAYS": 30})
    old = file_case(instance_dir, app, [ana.public], day="2020-01-01")
    recent = file_case(instance_dir, app, [ana.public])
    still_open = file_case(instance_dir, app, [ana.public], day="2020-01-01")
    with closing(db.connect(instance_dir)) as conn:
        blobs = [
            row[0]
            for row in conn.execute(
                "SELECT p.blob FROM parts p JOIN submissions s ON s.id = p.submission_id WHERE s.case_id = ?",
                (old.case_id,),
            )
        ]
        for case in (old, recent):
            conn.execute(
                "INSERT INTO status_events (case_id, day, status, outcome, reason)"
                " VALUES (?, ?, 'closed', 'upheld', 'x')",
                (case.case_id, "2020-02-01" if case is old else db.today()),
            )
            conn.execute("UPDATE cases SET status = 'closed', outcome = 'upheld' WHERE id = ?", (case.case_id,))
    assert blobs and all(blob_path(instance_dir, blob).exists() for blob in blobs)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0 and old.case_id in dry.output and "Would destroy 1 case" in dry.output
    assert all(blob_path(instance_dir, blob).exists() for blob in blobs)
    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "Destroyed 1 case(s) and 1 blob" in result.output
    with closing(db.connect(instance_dir)) as conn:
        remaining = {row[0] for row in conn.execute("SELECT id FROM cases")}
        for table in ("submissions", "status_events", "case_reviewers"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE case_id = ?", (old.case_id,)).fetchone()[0] == 0  # noqa: S608
        entry = conn.execute(
            "SELECT actor, case_id, details FROM audit_log WHERE action = 'retention_purge'"
        ).fetchone()
    assert remaining == {recent.case_id, still_open.case_id}
    assert not any(blob_path(instance_dir, blob).exists() for blob in blobs)
    assert entry[0] == "system" and old.case_id in entry[2] and '"count":1' in entry[2]
    assert _verify(instance_dir).exit_code == 0
    assert "nothing to destroy" in runner.invoke(args=["retention", "purge"]).output


def test_retention_runs_at_sign_in(instance_dir: Path) -> None:
    ana = add_reviewer_with_keys(instance_dir, "Ana Handler", "Case handler")
    app = create_app(str(instance_dir), overrides={"TESTING": True, "RETENTION_DAYS": 30})
    old = file_case(instance_dir, app, [ana.public], day="2020-01-01")
    with closing(db.connect(instance_dir)) as conn:
        conn.execute(
            "INSERT INTO status_events (case_id, day, status, outcome) VALUES (?, '2020-01-02', 'closed', 'upheld')",
            (old.case_id,),
        )
        conn.execute("UPDATE cases SET status = 'closed', outcome = 'upheld' WHERE id = ?", (old.case_id,))
    sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin"))
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_admin_adds_marks_and_removes_reviewers_and_loads_a_signed_list(instance_dir: Path) -> None:
    org = generate_org_keys("Example Party")
    app = create_app(str(instance_dir), overrides={"TESTING": True, "ORG_PUBLIC_KEY": org.public.to_line()})
    admin = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client

    # Paste a public identity.
    pasted = generate_reviewer_keys("pasted").public
    token = csrf_token(admin, "/admin/reviewers")
    body, content_type = multipart(
        [
            ("csrf_token", token),
            ("identity", pasted.to_line()),
            ("pubfile", ("", b"")),
            ("display_name", "Pat Pasted"),
            ("role", "Adviser"),
            ("required", "yes"),
        ]
    )
    assert admin.post("/admin/reviewers", data=body, content_type=content_type).status_code == 302
    # Upload a .pub file.
    uploaded = generate_reviewer_keys("uploaded").public
    body, content_type = multipart(
        [
            ("csrf_token", token),
            ("identity", ""),
            ("pubfile", ("u.pub", (uploaded.to_line() + "\n").encode(), "text/plain")),
            ("display_name", "Uma Uploaded"),
            ("role", "Handler"),
        ]
    )
    assert admin.post("/admin/reviewers", data=body, content_type=content_type).status_code == 302
    page = admin.get("/admin/reviewers").get_data(as_text=True)
    assert "Pat Pasted" in page and "Uma Uploaded" in page and pasted.fingerprint in page
    # Garbage is refused with a reason.
    body, content_type = multipart(
        [
            ("csrf_token", token),
            ("identity", "candour-reviewer-1:AAAA"),
            ("pubfile", ("", b"")),
            ("display_name", "X"),
            ("role", "Y"),
        ]
    )
    response = admin.post("/admin/reviewers", data=body, content_type=content_type)
    assert response.status_code == 400 and "not a reviewer&#39;s public identity" in response.get_data(as_text=True)
    # Not required any more; then removed.
    admin.post(f"/admin/reviewers/{pasted.key_id.hex()}/required", data={"csrf_token": token, "required": "no"})
    admin.post(f"/admin/reviewers/{uploaded.key_id.hex()}/remove", data={"csrf_token": token})
    with closing(db.connect(instance_dir)) as conn:
        rows = dict(conn.execute("SELECT key_id, required || active FROM reviewers").fetchall())
    assert rows == {pasted.key_id.hex(): "01", uploaded.key_id.hex(): "00"}

    # A signed list: serial 2 keeps Uma (re-added, required), drops Pat, adds Quinn.
    quinn = generate_reviewer_keys("quinn").public
    entries = [
        ListedReviewer(uploaded, "Uma Uploaded", "Handler", True),
        ListedReviewer(quinn, "Quinn", "Chair", False),
    ]
    signed = sign_reviewer_list(org, entries, 2, db.today())

    def load(data: bytes) -> Any:
        body, content_type = multipart(
            [
                ("csrf_token", csrf_token(admin, "/admin/reviewers")),
                ("list_file", ("reviewers.signed.json", data, "application/json")),
            ]
        )
        return admin.post("/admin/reviewer-list", data=body, content_type=content_type)

    assert load(signed).status_code == 302
    with closing(db.connect(instance_dir)) as conn:
        rows = dict(conn.execute("SELECT key_id, required || active FROM reviewers").fetchall())
    assert rows == {pasted.key_id.hex(): "00", uploaded.key_id.hex(): "11", quinn.key_id.hex(): "01"}
    # An older or equal serial is refused; so is a list signed by another organisation.
    response = load(sign_reviewer_list(org, entries, 1, db.today()))
    assert response.status_code == 400 and "serial 2 is already loaded" in response.get_data(as_text=True)
    other = generate_org_keys("Impostor")
    response = load(sign_reviewer_list(other, entries, 9, db.today()))
    assert response.status_code == 400
    # Every admin action is in the trail and the trail is intact.
    with closing(db.connect(instance_dir)) as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    for action in ("reviewer_added", "reviewer_required_changed", "reviewer_removed", "org_reviewer_list_loaded"):
        assert action in actions
    assert "intact" in admin.get("/admin/audit").get_data(as_text=True)


def test_admin_creates_an_account_and_sees_the_one_time_password_once(instance_dir: Path) -> None:
    ana = add_reviewer_with_keys(instance_dir, "Ana Handler", "Case handler")
    app: Flask = create_app(str(instance_dir), overrides={"TESTING": True})
    admin = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client
    response = admin.post(
        "/admin/accounts",
        data={
            "csrf_token": csrf_token(admin, "/admin/accounts"),
            "username": "ana",
            "role": "reviewer",
            "reviewer": ana.key_id.hex(),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "One-time password for ana" in page
    password = page.split('<code class="one-time-password">')[1].split("</code>")[0]
    signed = sign_in_first_time(app, "ana", password)
    assert signed.client.get("/review/").status_code == 200
    assert "one-time-password" not in admin.get("/admin/accounts").get_data(as_text=True)
