"""The recipients statement (docs/format.md §7.1, migration 0012) on the server: a
browser-sealed report carries it, checked against the report's signing key, its case
and the envelopes' recipients; the no-JavaScript path signs it with the keys it holds
for that moment; both are stored and handed back with the case's replies.

- A valid statement is stored and returned by /case/replies.json.
- Signed by another key, for another case, naming fewer or other reviewers than the
  envelopes are sealed to, or only half of it: refused, nothing stored.
- Neither field (a page from before the statement): accepted, stored and returned as none.
- The server path stores a statement that verifies under the case's signing key.
"""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from nacl.signing import SigningKey

from tests.support.flood_support import stamp_fields
from tests.support.reporter_support import (
    add_reviewer_with_keys,
    codename_from,
    csrf_token,
    db_counts,
    multipart,
    report_fields,
    sealed_token,
)

from crypto.codename import ReporterKeys, derive_reporter_keys, generate_codename
from crypto.envelope import new_submission_id, seal_bytes
from crypto.identity import ReviewerKeys, b64url, unb64url
from crypto.submission.recipients import sign_recipients, verify_recipients
from portal import create_app
from portal.store import db
from portal.store.recipients_statements import recipients_statement


@pytest.fixture
def reviewers(instance_dir: Path) -> list[ReviewerKeys]:
    return [
        add_reviewer_with_keys(instance_dir, "Sam Handler", "Handler"),
        add_reviewer_with_keys(instance_dir, "Chris Chair", "Chair"),
    ]


def _app(instance: Path) -> Flask:
    return create_app(str(instance), overrides={"TESTING": True})


def _send(
    client: FlaskClient,
    sealed_to: list[ReviewerKeys],
    statement: tuple[str, str] | None | tuple[str],
    *,
    keys: ReporterKeys,
    submission: bytes,
) -> tuple[int, dict[str, Any]]:
    token = csrf_token(client.get("/report").get_data(as_text=True))
    fields: list[Any] = [
        ("csrf_token", token),
        *stamp_fields(client),
        ("login_token", b64url(keys.login_token)),
        ("reply_key", b64url(keys.reply_public_key)),
        ("sign_key", b64url(keys.sign_public_key)),
        ("codename_version", "2"),
        *[("reviewer", reviewer.key_id.hex()) for reviewer in sealed_to],
    ]
    if statement is not None:
        fields.append(("recipients_statement", statement[0]))
        if len(statement) == 2:
            fields.append(("recipients_signature", statement[1]))
    part0 = seal_bytes(b"x" * 100, [reviewer.public for reviewer in sealed_to], submission, 0)
    fields.append(("part0", ("part0.cnd", part0)))
    body, content_type = multipart(fields)
    response = client.post("/report/sealed", data=body, content_type=content_type)
    return response.status_code, json.loads(response.get_data(as_text=True))


def _signed(key: SigningKey, case_id: str, key_ids: list[str]) -> tuple[str, str]:
    statement, signature = sign_recipients(key, case_id, key_ids)
    return b64url(statement), b64url(signature)


def _keys() -> ReporterKeys:
    return derive_reporter_keys(generate_codename(), bytes(16))


def _replies_json(client: FlaskClient, keys: ReporterKeys) -> dict[str, Any]:
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    login = client.post("/followup/token", data={"csrf_token": token, "login_token": b64url(keys.login_token)})
    assert login.status_code == 200, login.get_data(as_text=True)
    answer: dict[str, Any] = json.loads(client.get("/case/replies.json").get_data(as_text=True))
    return answer


def test_a_valid_statement_is_stored_and_handed_back(instance_dir: Path, reviewers: list[ReviewerKeys]) -> None:
    client = _app(instance_dir).test_client()
    keys, submission = _keys(), new_submission_id()
    ids = [reviewer.key_id.hex() for reviewer in reviewers]
    signed = _signed(keys.signing_key, submission.hex(), ids)
    status, answer = _send(client, reviewers, signed, keys=keys, submission=submission)
    assert status == 200 and answer["ok"] and answer["case"] == submission.hex(), answer
    with closing(db.connect(instance_dir)) as conn:
        assert recipients_statement(conn, submission.hex()) == (unb64url(signed[0]), unb64url(signed[1]))
    replies = _replies_json(client, keys)
    assert replies["recipients"] == {"statement": signed[0], "signature": signed[1]}


@pytest.mark.parametrize("wrong", ["other-key", "other-case", "fewer", "more", "half", "not-b64u"])
def test_a_statement_that_does_not_match_is_refused(
    instance_dir: Path, reviewers: list[ReviewerKeys], wrong: str
) -> None:
    client = _app(instance_dir).test_client()
    keys, submission = _keys(), new_submission_id()
    sealed_to = reviewers[:1]
    ids = [sealed_to[0].key_id.hex()]
    statement: tuple[str, str] | tuple[str] = {
        "other-key": lambda: _signed(SigningKey(bytes(32)), submission.hex(), ids),
        "other-case": lambda: _signed(keys.signing_key, new_submission_id().hex(), ids),
        "fewer": lambda: _signed(keys.signing_key, submission.hex(), [reviewers[1].key_id.hex()]),
        "more": lambda: _signed(keys.signing_key, submission.hex(), [r.key_id.hex() for r in reviewers]),
        "half": lambda: (_signed(keys.signing_key, submission.hex(), ids)[0],),
        "not-b64u": lambda: ("not base64url!", "also not"),
    }[wrong]()
    status, answer = _send(client, sealed_to, statement, keys=keys, submission=submission)
    assert status == 400 and not answer["ok"], answer
    assert db_counts(instance_dir)["cases"] == 0


def test_a_page_from_before_the_statement_files_a_case_without_one(
    instance_dir: Path, reviewers: list[ReviewerKeys]
) -> None:
    client = _app(instance_dir).test_client()
    keys, submission = _keys(), new_submission_id()
    status, answer = _send(client, reviewers, None, keys=keys, submission=submission)
    assert status == 200 and answer["ok"], answer
    with closing(db.connect(instance_dir)) as conn:
        assert recipients_statement(conn, submission.hex()) is None
    assert _replies_json(client, keys)["recipients"] is None


def test_the_server_path_signs_the_recipients_it_sealed_to(instance_dir: Path, reviewers: list[ReviewerKeys]) -> None:
    client = _app(instance_dir).test_client()
    token = csrf_token(client.get("/report").get_data(as_text=True))
    body, content_type = multipart(report_fields(token, reviewers=[reviewers[0].key_id.hex()]))
    response = client.post("/report", data=body, content_type=content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    codename = codename_from(html)
    confirm = client.post(
        "/report/confirm", data={"csrf_token": csrf_token(html), "sealed": sealed_token(html), "codename": codename}
    )
    assert confirm.status_code == 303
    with closing(db.connect(instance_dir)) as conn:
        case_id, sign_key = conn.execute("SELECT id, reporter_sign_key FROM cases").fetchone()
        stored = recipients_statement(conn, case_id)
    assert stored is not None
    assert verify_recipients(stored[0], stored[1], bytes(sign_key), case_id) == [reviewers[0].key_id.hex()]
    keys = derive_reporter_keys(codename, bytes.fromhex(client.application.config["INSTANCE_SALT"]))
    assert bytes(sign_key) == keys.sign_public_key
