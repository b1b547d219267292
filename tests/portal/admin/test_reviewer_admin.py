"""Adding a reviewer: one function (`portal.reviewer_admin`) behind the admin page and
`flask reviewer add`, with its audit entry in the same transaction."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest
from flask import Flask

from tests.support.workspace_support import create_account, csrf_token, sign_in_first_time

from crypto.identity import generate_reviewer_keys
from portal import audit, create_app
from portal.reviewer_admin import LabelError, add_reviewer_audited, clean_label
from portal.store import db


def _trail(instance: Path) -> list[tuple[str, str]]:
    with closing(db.connect(instance)) as conn:
        rows = conn.execute("SELECT actor, details FROM audit_log WHERE action = 'reviewer_added' ORDER BY seq")
        return [(row[0], row[1]) for row in rows]


def test_the_page_and_the_command_add_and_audit_alike(instance_dir: Path) -> None:
    app: Flask = create_app(str(instance_dir), overrides={"TESTING": True})
    by_command = generate_reviewer_keys("Cleo").public
    pubfile = instance_dir.parent / "cleo.pub"
    pubfile.write_text(by_command.to_line() + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["reviewer", "add", str(pubfile), "--name", " Cleo   Cmd ", "--role", "Adviser"]
    )
    assert result.exit_code == 0, result.output
    admin = sign_in_first_time(app, "root", create_account(instance_dir, "root", "admin")).client
    by_page = generate_reviewer_keys("Pat").public
    response = admin.post(
        "/admin/reviewers",
        data={
            "csrf_token": csrf_token(admin, "/admin/reviewers"),
            "identity": by_page.to_line(),
            "display_name": " Pat   Page ",
            "role": "Handler",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _trail(instance_dir) == [
        (
            "system",
            f'{{"key_id":"{by_command.key_id.hex()}","name":"Cleo Cmd","required":false,'
            '"role":"Adviser","via":"command line"}',
        ),
        ("root (admin)", f'{{"key_id":"{by_page.key_id.hex()}","name":"Pat Page","required":false,"role":"Handler"}}'),
    ]
    # The same label rules on both paths.
    bad = app.test_cli_runner().invoke(args=["reviewer", "add", str(pubfile), "--name", "x" * 121, "--role", "R"])
    assert bad.exit_code != 0 and "at most 120 characters" in bad.output
    page = admin.post(
        "/admin/reviewers",
        data={
            "csrf_token": csrf_token(admin, "/admin/reviewers"),
            "identity": generate_reviewer_keys("Q").public.to_line(),
            "display_name": "x" * 121,
            "role": "R",
        },
    )
    assert page.status_code == 400 and "at most 120 characters" in page.get_data(as_text=True)


def test_a_reviewer_is_not_added_when_its_audit_entry_cannot_be_written(
    instance_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_append(*_args: object, **_kwargs: object) -> None:
        raise audit.AuditError("the trail cannot be written (test)")

    monkeypatch.setattr(audit, "append", broken_append)
    identity = generate_reviewer_keys("Ivy").public
    with closing(db.connect(instance_dir)) as conn:
        with pytest.raises(audit.AuditError):
            add_reviewer_audited(
                conn, instance_dir, identity, display_name="Ivy", role="Adviser", required=False, actor="test"
            )
        assert conn.execute("SELECT count(*) FROM reviewers").fetchone()[0] == 0


@pytest.mark.parametrize(("value", "problem"), [("   ", "empty"), ("x" * 121, "too_long"), ("a\u200bb", "control")])
def test_label_rules(value: str, problem: str) -> None:
    with pytest.raises(LabelError) as caught:
        clean_label(value, "role")
    assert caught.value.problem == problem
    assert clean_label("  Independent \t adviser ", "role") == "Independent adviser"
