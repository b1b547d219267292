"""Every administrative action (`portal.actions`) writes its change and its audit
entry in one transaction: when the audit entry cannot be written (a real SQLite
trigger refusing the insert, on the real SQLCipher file), the change is not made."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from crypto.identity import generate_org_keys, generate_reviewer_keys
from crypto.org import ListedReviewer, sign_reviewer_list
from portal import auth
from portal.actions import accounts as account_actions
from portal.actions import reviewers as reviewer_actions
from portal.auth.staff_sessions import create_session
from portal.store import db

ACTOR = "root (admin)"


def _break_audit(conn: db.Connection) -> None:
    # TEMP: only this connection sees it, as if the trail's disk went bad mid-action.
    conn.execute(
        "CREATE TEMP TRIGGER audit_down BEFORE INSERT ON main.audit_log"
        " BEGIN SELECT RAISE(ABORT, 'the audit trail cannot be written (test)'); END"
    )


def _snapshot(instance: Path) -> list[Any]:
    """Everything an action could change, read on a fresh connection."""
    with closing(db.connect(instance)) as conn:
        tables = ("reviewers", "accounts", "account_sessions", "instance_meta", "audit_log")
        return [[tuple(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")] for table in tables]  # noqa: S608


def _prepare(instance: Path) -> dict[str, Any]:
    """A reviewer with an account and a live session, and an admin; no audit trigger yet."""
    reviewer_identity = generate_reviewer_keys("Rita").public
    with closing(db.connect(instance)) as conn:
        reviewer = reviewer_actions.add_reviewer(
            conn, instance, reviewer_identity, display_name="Rita", role="Adviser", required=False, actor=ACTOR
        )
        account, _password = account_actions.create_account(
            conn, instance, username="rita", role="reviewer", reviewer_id=reviewer.id, actor=ACTOR
        )
        with db.transaction(conn):
            create_session(conn, account.id, auth.STAGE_FULL)
            conn.execute(
                "UPDATE accounts SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_enrolled = 1 WHERE id = ?", (account.id,)
            )
    return {"reviewer": reviewer, "account_id": account.id, "identity": reviewer_identity}


def _signed_list(instance: Path, names: list[str]) -> tuple[bytes, str]:
    org = generate_org_keys("Org")
    listed = [ListedReviewer(generate_reviewer_keys(name).public, name, "Adviser", False) for name in names]
    return sign_reviewer_list(org, listed, 1, db.today()), org.public.to_line()


def _account(conn: db.Connection, prepared: dict[str, Any]) -> auth.Account:
    return auth.get_account(conn, prepared["account_id"])


ACTIONS: dict[str, Callable[[db.Connection, Path, dict[str, Any]], object]] = {
    "add reviewer": lambda conn, instance, p: reviewer_actions.add_reviewer(
        conn,
        instance,
        generate_reviewer_keys("Ned").public,
        display_name="Ned",
        role="Handler",
        required=True,
        actor=ACTOR,
    ),
    "remove reviewer": lambda conn, instance, p: reviewer_actions.remove_reviewer(
        conn, instance, p["reviewer"].key_id, actor=ACTOR
    ),
    "mark required": lambda conn, instance, p: reviewer_actions.mark_required(
        conn, instance, p["reviewer"].key_id, True, actor=ACTOR
    ),
    "load signed list": lambda conn, instance, p: reviewer_actions.load_signed_list(
        conn, instance, *p["signed_list"], actor=ACTOR
    ),
    "create account": lambda conn, instance, p: account_actions.create_account(
        conn, instance, username="newadmin", role="admin", reviewer_id=None, actor=ACTOR
    ),
    "reset password": lambda conn, instance, p: account_actions.reset_password(
        conn, instance, _account(conn, p), actor=ACTOR
    ),
    "reset second factor": lambda conn, instance, p: account_actions.reset_second_factor(
        conn, instance, _account(conn, p), actor=ACTOR
    ),
    "revoke sessions": lambda conn, instance, p: account_actions.revoke_sessions(
        conn, instance, _account(conn, p), actor=ACTOR
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_an_action_whose_audit_entry_fails_changes_nothing(instance_dir: Path, name: str) -> None:
    prepared = _prepare(instance_dir)
    prepared["signed_list"] = _signed_list(instance_dir, ["Lee", "Mo"])
    before = _snapshot(instance_dir)
    with closing(db.connect(instance_dir)) as conn:
        _break_audit(conn)
        with pytest.raises(sqlcipher3.IntegrityError, match="audit trail cannot be written"):
            ACTIONS[name](conn, instance_dir, prepared)
        assert not conn.in_transaction
    assert _snapshot(instance_dir) == before
    # And with the trail working, the same call does change something (the test can fail).
    with closing(db.connect(instance_dir)) as conn:
        ACTIONS[name](conn, instance_dir, prepared)
    after = _snapshot(instance_dir)
    assert after != before and len(after[-1]) == len(before[-1]) + 1


def test_an_online_status_change_whose_audit_entry_fails_changes_nothing(instance_dir: Path) -> None:
    from tests.support.workspace_support import file_case

    from portal import create_app
    from portal.actions.cases import change_status_online

    prepared = _prepare(instance_dir)
    app = create_app(str(instance_dir), overrides={"TESTING": True})
    case = file_case(instance_dir, app, [prepared["identity"]])

    def change(conn: db.Connection) -> str:
        return change_status_online(
            conn,
            instance_dir,
            case.case_id,
            status="acknowledged",
            outcome=None,
            reason="We have it.",
            reviewer_id=prepared["reviewer"].id,
            actor="rita (reviewer)",
        )

    def state() -> tuple[Any, ...]:
        with closing(db.connect(instance_dir)) as conn:
            status = conn.execute("SELECT status FROM cases WHERE id = ?", (case.case_id,)).fetchone()[0]
            events = conn.execute("SELECT count(*) FROM status_events WHERE case_id = ?", (case.case_id,)).fetchone()[0]
        return status, events

    before = state()
    with app.app_context(), closing(db.connect(instance_dir)) as conn:
        _break_audit(conn)
        with pytest.raises(sqlcipher3.IntegrityError, match="audit trail cannot be written"):
            change(conn)
    assert state() == before
    with app.app_context(), closing(db.connect(instance_dir)) as conn:
        assert change(conn) == before[0]
    assert state() == ("acknowledged", before[1] + 1)
