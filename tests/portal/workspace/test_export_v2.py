"""The export's manifest v2 (issue 11 §3–5): the organisation-signed list, the
workflow, and the audit trail's head with the entries since the reviewer's previous
export, read back with the kit's own reader and chain check."""

from __future__ import annotations

import io
from contextlib import closing
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.support.browser_support import prepare_org_instance
from tests.support.workspace_support import create_account, csrf_token, file_case, sign_in_first_time

from crypto.audit_chain import check_continuity
from crypto.bundle import open_bundle
from crypto.identity import ReviewerKeys
from portal import auth, create_app
from portal.actions import accounts as account_actions
from portal.store import db


def _export(client: FlaskClient, keys: ReviewerKeys) -> object:
    response = client.post("/review/export", data={"csrf_token": csrf_token(client, "/review/"), "mode": "all"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return open_bundle(io.BytesIO(response.get_data()), keys)


def test_the_export_carries_the_signed_list_workflow_and_the_new_audit_entries(instance_dir: Path) -> None:
    org = prepare_org_instance(instance_dir)
    adviser = org.reviewers["adviser"]
    app: Flask = create_app(str(instance_dir), overrides={"TESTING": True})
    file_case(instance_dir, app, [adviser.public])
    one_time = create_account(instance_dir, "dana", "reviewer", adviser.public)
    # What an administrator did to this reviewer's account: the offline machine sees it too.
    with app.app_context(), closing(db.connect(instance_dir)) as conn:
        dana = auth.find_account(conn, "dana")
        account_actions.revoke_sessions(conn, instance_dir, dana, actor="root (admin)")
        account_actions.reset_second_factor(conn, instance_dir, dana, actor="root (admin)")
        one_time = account_actions.reset_password(conn, instance_dir, dana, actor="root (admin)")
    client = sign_in_first_time(app, "dana", one_time).client

    with _export(client, adviser) as first:  # type: ignore[attr-defined]
        manifest = first.manifest
    assert manifest.version == 2
    assert manifest.reviewer_list is not None and manifest.reviewer_list.serial == 1
    assert manifest.workflow is not None and manifest.workflow.final == "closed"
    trail = manifest.audit
    assert trail is not None and not trail.truncated
    # A first export: the whole trail, chained from the start.
    assert [entry.seq for entry in trail.entries] == list(range(1, trail.head.seq + 1))
    first_check = check_continuity(trail, None)
    assert first_check.ok
    done_to_dana = {
        e.action: e
        for e in trail.entries
        if e.action in ("sessions_revoked", "second_factor_reset", "password_reset")
        and e.actor == "root (admin)"
        and '"account":"dana (reviewer)"' in e.details
    }
    assert sorted(done_to_dana) == ["password_reset", "second_factor_reset", "sessions_revoked"]

    with _export(client, adviser) as second:  # type: ignore[attr-defined]
        again = second.manifest.audit
    assert again is not None
    # Only the entries after the first export's head (its own export entry among them).
    assert again.entries and again.entries[0].seq == trail.head.seq + 1
    assert any(entry.action == "export" for entry in again.entries)
    assert check_continuity(again, trail.head).ok
