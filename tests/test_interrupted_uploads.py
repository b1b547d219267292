"""Interrupted uploads and what crashes leave behind (issue #7, item 3).

A client that hangs up mid-upload leaves no case, no blob and no temporary file;
gunicorn's start-up sweep removes unfinished upload files and committed blobs that
no row names, but never a blob of a submission still being stored.
"""

from __future__ import annotations

import secrets
import socket
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from live_support import (
    committed_blobs,
    db_rows,
    get_form,
    referenced_blobs,
    start_gunicorn,
    submit_report,
    temp_files,
    wait_for,
)
from reporter_support import (
    add_reviewer_with_keys,
    cookie_header,
    http_get,
    multipart,
    open_stored_submission,
    report_fields,
)

from crypto.identity import ReviewerKeys
from portal.store.blobs import BlobWriter, committing_blobs, temp_dir
from portal.store.db import connect
from portal.store.recovery import BLOB_COLUMNS, startup_sweep

NOTHING = {"cases": 0, "submissions": 0, "parts": 0, "case_reviewers": 0, "status_events": 0}


@pytest.fixture
def reviewer(instance_dir: Path) -> ReviewerKeys:
    return add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)


def _orphan_blob(instance: Path) -> str:
    """A committed blob that no row names: what a process killed between the blob
    commit and the database commit leaves."""
    with BlobWriter(instance) as writer:
        writer.write(secrets.token_bytes(20_000))
        return writer.commit()


@pytest.mark.live
def test_client_hanging_up_mid_upload_leaves_no_case_blob_or_temp_file(
    live_server: Any, reviewer: ReviewerKeys
) -> None:
    cookies, token = get_form(live_server.url)
    body, content_type = multipart(
        report_fields(token, what="cut off", files=[("big.bin", secrets.token_bytes(3 * 1024 * 1024))])
    )
    head = (
        "POST /report HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{urlport(live_server.url)}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Cookie: {cookie_header(cookies)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", urlport(live_server.url)))
    try:
        sock.sendall(head + body[: len(body) // 2])
        # The upload really was being sealed: its temporary file exists now.
        assert wait_for(lambda: temp_files(live_server.instance) != [], 10), "the upload never reached blobs/tmp"
    finally:
        sock.close()
    assert wait_for(lambda: temp_files(live_server.instance) == [], 10), temp_files(live_server.instance)
    time.sleep(0.3)
    assert committed_blobs(live_server.instance) == []
    assert db_rows(live_server.instance) == NOTHING
    assert "Traceback" not in live_server.stderr()
    # And the portal carries on.
    assert submit_report(live_server.url, what="after", files=[("a.txt", b"x")]).codename


def urlport(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.live
def test_restart_sweeps_unfinished_uploads_and_orphan_blobs(
    instance_dir: Path, reviewer: ReviewerKeys, tmp_path: Path
) -> None:
    log = tmp_path / "gunicorn.log"
    server = start_gunicorn(instance_dir, log)
    try:
        filed = submit_report(server.url, what="kept report", files=[("kept.txt", b"keep me")])
        assert filed.codename, filed
    finally:
        server.stop()
    kept = committed_blobs(instance_dir)
    assert len(kept) == 2 and set(kept) == referenced_blobs(instance_dir)
    leftover = temp_dir(instance_dir) / "incoming-left-by-a-killed-worker"
    leftover.write_bytes(secrets.token_bytes(5000))
    orphan = _orphan_blob(instance_dir)

    server = start_gunicorn(instance_dir, log)
    server.stop()

    assert temp_files(instance_dir) == []
    assert committed_blobs(instance_dir) == kept, "the orphan blob survived the restart (or a kept one was deleted)"
    assert orphan not in committed_blobs(instance_dir)
    assert "removed 1 unfinished upload file(s)" in server.log()
    assert "removed 1 blob(s) that no database row names" in server.log()
    with closing(connect(instance_dir)) as conn:
        case_id = conn.execute("SELECT id FROM cases").fetchone()[0]
    assert open_stored_submission(instance_dir, case_id, reviewer).fields["what"] == "kept report"


def test_sweep_leaves_blobs_of_a_submission_still_being_stored(instance_dir: Path) -> None:
    # A worker of a killed master may still be between its blob commit and its
    # database commit: it holds the writers' lock, and the sweep must not touch it.
    in_flight = _orphan_blob(instance_dir)
    leftover = temp_dir(instance_dir) / "incoming-still-uploading"
    leftover.write_bytes(b"ciphertext")
    with committing_blobs(instance_dir):
        result = startup_sweep(instance_dir)
        assert result.skipped and (result.temp_files, result.orphan_blobs) == (0, 0)
        assert committed_blobs(instance_dir) == [in_flight] and leftover.exists()
    result = startup_sweep(instance_dir)
    assert (result.temp_files, result.orphan_blobs, result.skipped) == (1, 1, None)
    assert committed_blobs(instance_dir) == [] and not leftover.exists()


def test_sweep_deletes_nothing_when_the_database_cannot_be_read(instance_dir: Path) -> None:
    orphan = _orphan_blob(instance_dir)
    key = instance_dir / "db.key"
    key.write_text(secrets.token_hex(32) + "\n")  # the wrong key: rows cannot be read
    result = startup_sweep(instance_dir)
    assert result.skipped and "database" in result.skipped
    assert committed_blobs(instance_dir) == [orphan]


def test_every_column_naming_a_blob_is_known_to_the_sweep(instance_dir: Path) -> None:
    # A new column holding blob names that the sweep does not read would have its
    # blobs deleted as orphans at the next start-up.
    with closing(connect(instance_dir)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = {
            (table, row[1])
            for table in tables
            for row in conn.execute(f'PRAGMA table_info("{table}")')  # noqa: S608 - names from sqlite_master
            if "blob" in row[1].lower()
        }
    assert columns == BLOB_COLUMNS


def _send_declaring_more_than_sent(
    url: str, path: str, body: bytes, content_type: str, cookies: dict[str, str]
) -> bytes:
    """Send a complete multipart body under a Content-Length 1,000 bytes larger, then
    hang up our side; return whatever the server answered before closing."""
    port = urlport(url)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body) + 1000}\r\n"
        f"Cookie: {cookie_header(cookies)}\r\n\r\n"
    ).encode()
    answer = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)  # the connection drops: the declared rest never comes
        while chunk := sock.recv(65536):
            answer += chunk
    return bytes(answer)


@pytest.mark.live
def test_a_complete_body_under_a_larger_content_length_then_dropped_stores_nothing(
    live_server: Any, reviewer: ReviewerKeys
) -> None:
    """The no-JS path: the form's closing boundary arrived, the declared rest did not.
    Nobody can have seen a codename, so no case may be stored."""
    cookies, token = get_form(live_server.url)
    body, content_type = multipart(report_fields(token, what="declared longer", files=[("a.txt", b"short")]))
    answer = _send_declaring_more_than_sent(live_server.url, "/report", body, content_type, cookies)
    assert b'<ol class="codename">' not in answer
    time.sleep(0.3)
    assert db_rows(live_server.instance) == NOTHING
    assert committed_blobs(live_server.instance) == [] and temp_files(live_server.instance) == []
    assert submit_report(live_server.url, what="after", files=[]).codename


@pytest.mark.live
def test_a_complete_sealed_body_under_a_larger_content_length_then_dropped_stores_nothing(
    live_server: Any, reviewer: ReviewerKeys
) -> None:
    """The same on the browser path: the envelopes all arrived, the declared rest did not."""
    import json

    from flood_support import solve

    from crypto.codename import derive_reporter_keys, generate_codename
    from crypto.envelope import new_submission_id, seal_bytes
    from crypto.identity import b64url

    cookies, token = get_form(live_server.url)
    _status, _headers, challenge_json = http_get(live_server.url, "/report/challenge", cookies)
    challenge = json.loads(challenge_json)
    keys = derive_reporter_keys(generate_codename(), bytes(16))
    submission = new_submission_id()
    fields = [
        ("csrf_token", token),
        ("pow_challenge", challenge["challenge"]),
        ("pow_counter", str(solve(challenge["challenge"], int(challenge["difficulty"])))),
        ("login_token", b64url(keys.login_token)),
        ("reply_key", b64url(keys.reply_public_key)),
        ("sign_key", b64url(keys.sign_public_key)),
        ("part0", ("part0.cnd", seal_bytes(b"x" * 100, [reviewer.public], submission, 0))),
    ]
    body, content_type = multipart(fields)
    answer = _send_declaring_more_than_sent(live_server.url, "/report/sealed", body, content_type, cookies)
    assert b'"ok":true' not in answer.replace(b" ", b"")
    time.sleep(0.3)
    assert db_rows(live_server.instance) == NOTHING
    assert committed_blobs(live_server.instance) == [] and temp_files(live_server.instance) == []
