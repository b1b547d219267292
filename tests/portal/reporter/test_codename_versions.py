"""Codename derivation versions per case (docs/format.md §6, migration 0011): new cases
are version 2, cases made before keep version 1, and both log in.

- The migration gives every existing case version 1.
- Without JavaScript: a version 2 codename logs in with no Argon2 (every slot held);
  a version 1 one logs in through the Argon2 budget (busy when no slot frees up); a
  wrong codename costs no Argon2 while no version 1 case exists.
- With JavaScript the browser sends tokens: a version 2 or a version 1 token logs in,
  and a token that matches nothing says whether version 1 cases exist.
- A browser-sealed report records the version the page sent (none: version 1, from a
  page loaded before version 2); an unknown one is refused.
"""

from __future__ import annotations

import json
import re
import shutil
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.flood_support import stamp_fields
from tests.support.reporter_support import add_reviewer_with_keys, csrf_token, db_counts, multipart
from tests.support.workspace_support import file_case

from crypto.codename import derive_reporter_keys, generate_codename
from crypto.envelope import new_submission_id, seal_bytes
from crypto.identity import ReviewerKeys, b64url, unb64url
from portal import create_app
from portal.argon2_budget import argon2_slot
from portal.store import db
from portal.store.codename_versions import any_case_with_version, case_codename_version, cases_per_version


@pytest.fixture
def reviewer(instance_dir: Path) -> ReviewerKeys:
    return add_reviewer_with_keys(instance_dir, "Sam Handler", "Handler")


def _app(instance: Path, **overrides: Any) -> Flask:
    # One Argon2 slot, and a short wait for it, so that holding it shows who needs it.
    return create_app(str(instance), overrides={"TESTING": True, "ARGON2_CONCURRENCY": 1, "ARGON2_WAIT_SECONDS": 0.2})


def _login(client: FlaskClient, codename: str) -> Any:
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    return client.post("/followup", data={"csrf_token": token, "codename": codename})


def _token_login(client: FlaskClient, login_token: bytes) -> tuple[int, dict[str, Any]]:
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    response = client.post("/followup/token", data={"csrf_token": token, "login_token": b64url(login_token)})
    return response.status_code, json.loads(response.get_data(as_text=True))


def _versions(instance: Path) -> dict[int, int]:
    with closing(db.connect(instance)) as conn:
        return cases_per_version(conn)


def test_the_migration_marks_existing_cases_version_1(tmp_path: Path, reviewer: ReviewerKeys) -> None:
    """A database made before 0011, with a case in it, then migrated."""
    before = tmp_path / "before-0011"
    before.mkdir()
    for path in db.migration_files():
        if path[0] < 11:
            shutil.copy(path[1], before / path[1].name)
    instance = tmp_path / "old-instance"
    app = create_app(str(instance))
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    with closing(db.connect(instance)) as conn:
        conn.execute("DROP INDEX cases_codename_version_1")
        conn.execute("ALTER TABLE cases DROP COLUMN codename_version")
        conn.execute("DELETE FROM schema_version WHERE version = 11")
        conn.commit()
        assert 11 not in db.applied_versions(conn)
        assert db.migrate(conn, before) == []
        conn.execute(
            "INSERT INTO cases (id, created_day, status, sealed_on, login_hash, reporter_reply_key,"
            " reporter_sign_key, acknowledge_by, feedback_by) VALUES (?, '2026-01-01', 'new', 'server', ?, ?, ?,"
            " '2026-01-08', '2026-04-01')",
            ("ab" * 16, bytes(32), bytes(32), bytes(32)),
        )
        conn.commit()
        assert db.migrate(conn) == [11]
        assert case_codename_version(conn, "ab" * 16) == 1
        assert any_case_with_version(conn, 1) and not any_case_with_version(conn, 2)


def test_a_version_2_codename_logs_in_without_argon2(instance_dir: Path, reviewer: ReviewerKeys) -> None:
    app = _app(instance_dir)
    case = file_case(instance_dir, app, [reviewer.public], codename_version=2)
    assert _versions(instance_dir) == {2: 1}
    client = app.test_client()
    with argon2_slot(1):  # every slot held: a version 2 login does not need one
        response = _login(client, case.codename.upper())
        assert response.status_code == 303 and response.headers["Location"].endswith("/case")
        # No version 1 case exists: a wrong codename is "no match", not "busy".
        wrong = _login(app.test_client(), generate_codename())
        assert wrong.status_code == 400 and "No case matches" in wrong.get_data(as_text=True)


def test_a_version_1_codename_logs_in_through_the_argon2_budget(instance_dir: Path, reviewer: ReviewerKeys) -> None:
    app = _app(instance_dir)
    old = file_case(instance_dir, app, [reviewer.public], codename_version=1)
    new = file_case(instance_dir, app, [reviewer.public], codename_version=2)
    assert _versions(instance_dir) == {1: 1, 2: 1}
    response = _login(app.test_client(), old.codename)
    assert response.status_code == 303 and response.headers["Location"].endswith("/case")
    # The session holds the version 1 keys: the case page opens with them.
    client = app.test_client()
    _login(client, old.codename)
    assert client.get("/case").status_code == 200
    with argon2_slot(1):
        # Version 1 needs a slot; none frees up: busy, nothing else happens.
        busy = _login(app.test_client(), old.codename)
        assert busy.status_code == 503 and "busy" in busy.get_data(as_text=True)
        # A wrong codename now also tries version 1 (a version 1 case exists).
        assert _login(app.test_client(), generate_codename()).status_code == 503
        # Version 2 still needs none.
        assert _login(app.test_client(), new.codename).status_code == 303
    wrong = _login(app.test_client(), generate_codename())
    assert wrong.status_code == 400 and "No case matches" in wrong.get_data(as_text=True)


def test_browser_tokens_of_either_version_log_in(instance_dir: Path, reviewer: ReviewerKeys) -> None:
    app = _app(instance_dir)
    new = file_case(instance_dir, app, [reviewer.public], codename_version=2)
    status, answer = _token_login(app.test_client(), new.reporter.login_token)
    assert status == 200 and answer["ok"] is True and answer["case"] == new.case_id
    assert len(unb64url(answer["storage_key"])) == 32  # the visit's key, for what the browser keeps
    # No version 1 case: a token that matches nothing says so, and the browser stops there.
    salt = bytes.fromhex(app.config["INSTANCE_SALT"])
    stranger = derive_reporter_keys(generate_codename(), salt)
    status, answer = _token_login(app.test_client(), stranger.login_token)
    assert status == 400 and answer["ok"] is False and answer["legacy_codenames"] is False
    old = file_case(instance_dir, app, [reviewer.public], codename_version=1)
    # The version 2 token of a version 1 codename matches nothing, and the answer tells
    # the browser to derive version 1; that token logs in.
    status, answer = _token_login(app.test_client(), derive_reporter_keys(old.codename, salt, 2).login_token)
    assert status == 400 and answer["legacy_codenames"] is True
    with argon2_slot(1):  # the server never derives anything on this route
        status, answer = _token_login(app.test_client(), old.reporter.login_token)
    assert status == 200 and answer["ok"] is True and answer["case"] == old.case_id


def _send_sealed_report(client: FlaskClient, reviewer: ReviewerKeys, version: list[str]) -> tuple[int, dict[str, Any]]:
    token = csrf_token(client.get("/report").get_data(as_text=True))
    keys = derive_reporter_keys(generate_codename(), bytes(16))
    submission = new_submission_id()
    fields: list[Any] = [
        ("csrf_token", token),
        *stamp_fields(client),
        ("login_token", b64url(keys.login_token)),
        ("reply_key", b64url(keys.reply_public_key)),
        ("sign_key", b64url(keys.sign_public_key)),
        *[("codename_version", value) for value in version],
        ("reviewer", reviewer.key_id.hex()),
        ("part0", ("part0.cnd", seal_bytes(b"x" * 100, [reviewer.public], submission, 0))),
    ]
    body, content_type = multipart(fields)
    response = client.post("/report/sealed", data=body, content_type=content_type)
    return response.status_code, json.loads(response.get_data(as_text=True))


def test_a_browser_sealed_report_records_the_version_its_page_sent(instance_dir: Path, reviewer: ReviewerKeys) -> None:
    client = _app(instance_dir).test_client()
    status, answer = _send_sealed_report(client, reviewer, ["2"])
    assert status == 200 and answer["ok"], answer
    with closing(db.connect(instance_dir)) as conn:
        assert case_codename_version(conn, answer["case"]) == 2
    # A page loaded before version 2 sends no version: its keys are version 1.
    status, answer = _send_sealed_report(client, reviewer, [])
    assert status == 200 and answer["ok"], answer
    with closing(db.connect(instance_dir)) as conn:
        assert case_codename_version(conn, answer["case"]) == 1
    for bad in (["3"], ["0"], ["two"], ["2", "2"]):
        status, answer = _send_sealed_report(client, reviewer, bad)
        assert status == 400 and not answer["ok"], bad
    assert db_counts(instance_dir)["cases"] == 2


def _libsodium_builds(html: str) -> set[str]:
    return set(re.findall(r"/vendor/libsodium/(libsodium[\w-]*)\.js", html))


def test_pages_load_the_smaller_libsodium_build_unless_a_version_1_case_exists(
    instance_dir: Path, reviewer: ReviewerKeys
) -> None:
    # The standard build lacks only crypto_pwhash (Argon2id), which only a version 1
    # codename's derivation needs: the sumo build is served on the follow-up login page
    # while such a case exists, and nowhere else.
    app = _app(instance_dir)
    client = app.test_client()
    standard = {"libsodium", "libsodium-wrappers"}
    assert _libsodium_builds(client.get("/report").get_data(as_text=True)) == standard
    assert _libsodium_builds(client.get("/followup").get_data(as_text=True)) == standard
    file_case(instance_dir, app, [reviewer.public], codename_version=1)
    assert _libsodium_builds(client.get("/followup").get_data(as_text=True)) == {
        "libsodium-sumo",
        "libsodium-wrappers-sumo",
    }
    assert _libsodium_builds(client.get("/report").get_data(as_text=True)) == standard
