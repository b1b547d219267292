"""Helpers for the reviewer-workspace tests: real accounts, real TOTP codes, real cases.

Nothing is mocked. Accounts are made with the `account create` command; codes come
from pyotp with the secret the enrolment page shows; cases are sealed with
crypto.submission and stored with portal.store.cases, exactly as the reporter flow
stores them.
"""

from __future__ import annotations

import io
import re
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from crypto.codename import CODENAME_VERSION, ReporterKeys, derive_reporter_keys, generate_codename, login_lookup_hash
from crypto.envelope import new_submission_id
from crypto.identity import PublicIdentity
from crypto.submission import seal_submission_text_part
from portal import create_app
from portal.store import db
from portal.store.blobs import BlobWriter
from portal.store.cases import StoredPart, add_days, create_case
from portal.store.reviewers import find_reviewer

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<code class="totp-secret">([A-Z2-7]+)</code>')
ONE_TIME = re.compile(r"One-time password[^:]*: (\S+)")
STRONG_PASSWORD = "a long and private passphrase"


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def cli(instance: Path, *args: str) -> str:
    result = create_app(str(instance)).test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return str(result.output)


def create_account(instance: Path, username: str, role: str, reviewer: PublicIdentity | None = None) -> str:
    """`account create`; returns the one-time password it printed."""
    args = ["account", "create", "--username", username, "--role", role]
    if reviewer is not None:
        args += ["--reviewer", reviewer.key_id.hex()]
    match = ONE_TIME.search(cli(instance, *args))
    assert match
    return match.group(1)


@dataclass
class SignedIn:
    client: FlaskClient
    username: str
    totp: pyotp.TOTP
    password: str


def next_code(totp: pyotp.TOTP, after: float | None = None) -> str:
    """A code for a step not used yet: the current one, or the next if `after` is this step."""
    now = time.time()
    if after is not None and int(now // 30) <= int(after // 30):
        now = (int(after // 30) + 1) * 30  # within the ±1 step window
    return totp.at(now)


def sign_in_first_time(app: Flask, username: str, one_time_password: str) -> SignedIn:
    """Password → enrolment (QR page, secret, first code) → change the one-time password."""
    client = app.test_client()
    token = csrf_token(client, "/review/login")
    response = client.post(
        "/review/login", data={"csrf_token": token, "username": username, "password": one_time_password}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/enrol"), response.status
    page = client.get("/review/enrol").get_data(as_text=True)
    secret = SECRET.search(page)
    assert secret, "the enrolment page shows the secret as text"
    totp = pyotp.TOTP(secret.group(1))
    response = client.post(
        "/review/enrol",
        data={
            "csrf_token": CSRF.search(page).group(1),  # type: ignore[union-attr]
            "code": totp.now(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/review/password")
    token = csrf_token(client, "/review/password")
    response = client.post(
        "/review/password",
        data={
            "csrf_token": token,
            "current_password": one_time_password,
            "new_password": STRONG_PASSWORD,
            "confirm_password": STRONG_PASSWORD,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return SignedIn(client, username, totp, STRONG_PASSWORD)


def sign_in(app: Flask, username: str, password: str, totp: pyotp.TOTP, code: str | None = None) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client, "/review/login")
    response = client.post("/review/login", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/login/code")
    token = csrf_token(client, "/review/login/code")
    response = client.post("/review/login/code", data={"csrf_token": token, "code": code or totp.now()})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@dataclass
class FiledCase:
    case_id: str
    codename: str
    reporter: ReporterKeys


def file_case(
    instance: Path,
    app: Flask,
    recipients: list[PublicIdentity],
    what: str = "What happened, in detail.",
    day: str | None = None,
    codename_version: int = CODENAME_VERSION,
) -> FiledCase:
    """Seal a report to `recipients` and store it as the reporter flow does (its store functions)."""
    codename = generate_codename()
    reporter = derive_reporter_keys(codename, bytes.fromhex(app.config["INSTANCE_SALT"]), codename_version)
    case_bytes = new_submission_id()
    case_id = case_bytes.hex()
    day = day or db.today()
    sink = io.BytesIO()
    fields = {"category": "bullying", "what": what, "when": "", "where": "", "who": "", "outcome": ""}
    sealed = seal_submission_text_part(sink, recipients, case_bytes, "report", None, day, reporter, fields, [])
    with BlobWriter(instance) as writer:
        writer.write(sink.getvalue())
        blob = writer.commit()
    with closing(db.connect(instance)) as conn:
        reviewer_ids = [find_reviewer(conn, identity.key_id.hex()).id for identity in recipients]
        create_case(
            conn,
            case_id=case_id,
            day=day,
            initial_status=app.config["STATUSES"][0][0],
            acknowledge_by=add_days(day, app.config["ACKNOWLEDGE_DAYS"]),
            feedback_by=add_days(day, app.config["FEEDBACK_DAYS"]),
            sealed_on="server",
            login_hash=login_lookup_hash(reporter.login_token, bytes.fromhex(app.config["LOGIN_PEPPER"])),
            reporter_reply_key=reporter.reply_public_key,
            reporter_sign_key=reporter.sign_public_key,
            reviewer_ids=reviewer_ids,
            parts=[StoredPart(0, blob, sealed.sealed_size, sealed.header_hash)],
            codename_version=codename_version,
        )
    return FiledCase(case_id, codename, reporter)
