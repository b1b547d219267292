"""The whole loop and the reply upload's refusals.

Full loop, nothing mocked: a report filed through the no-JavaScript /report route →
the reviewer signs in with password and a real TOTP code → exports the bundle →
`python -m crypto decrypt` and `python -m crypto reply --status acknowledged` run as
real subprocesses with real key files → the reply file is uploaded → the reporter's
case page shows the verified reply and the status change with its reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from reporter_support import add_reviewer_with_keys, codename_from, multipart, report_fields, sealed_token
from reporter_support import csrf_token as page_csrf
from workspace_support import create_account, csrf_token, file_case, sign_in_first_time

from crypto.codename import derive_reporter_keys, generate_codename
from crypto.identity import ReviewerKeys, load_reviewer_keys
from crypto.reply import SignedReply, StatusChange, make_reply
from crypto.replyfile import reply_file_bytes
from portal import create_app
from portal.reviewer import replies
from portal.store import db
from portal.store.blobs import blob_path
from portal.store.recovery import SweepResult, startup_sweep

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "correct horse battery staple"
MARKER = "Quokka-marker-4410 the organiser mocked my accent"


def run_crypto(*args: str | Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    env["CANDOUR_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [sys.executable, "-m", "crypto", *map(str, args)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _keygen(directory: Path, name: str) -> tuple[Path, Path]:
    result = run_crypto("keygen", "--name", name, "--dir", directory, "--kdf", "interactive")
    assert result.returncode == 0, result.stderr
    return directory / f"{name}.key", directory / f"{name}.pub"


def upload(client: FlaskClient, data: bytes, filename: str = "replies.json") -> tuple[int, str]:
    token = csrf_token(client, "/review/replies")
    body, content_type = multipart([("csrf_token", token), ("reply_file", (filename, data, "application/json"))])
    response = client.post("/review/replies", data=body, content_type=content_type)
    return response.status_code, response.get_data(as_text=True)


def test_full_loop_report_export_decrypt_reply_upload_reporter_sees_it(instance_dir: Path, tmp_path: Path) -> None:
    keys_dir = tmp_path / "offline"
    ana_key, ana_pub = _keygen(keys_dir, "ana")
    cli_app = create_app(str(instance_dir))
    result = cli_app.test_cli_runner().invoke(
        args=["reviewer", "add", str(ana_pub), "--name", "Ana Handler", "--role", "Case handler"]
    )
    assert result.exit_code == 0, result.output
    ana = load_reviewer_keys(ana_key, PASSPHRASE)
    app = create_app(str(instance_dir), overrides={"TESTING": True})

    # 1. A reporter files a report through the no-JavaScript route.
    reporter = app.test_client()
    token = page_csrf(reporter.get("/report").get_data(as_text=True))
    body, content_type = multipart(
        report_fields(token, what=MARKER, reviewers=[ana.key_id.hex()], files=[("notes.txt", b"attached evidence")])
    )
    response = reporter.post("/report", data=body, content_type=content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    confirm = reporter.post(
        "/report/confirm",
        data={"csrf_token": page_csrf(html), "sealed": sealed_token(html), "codename": codename_from(html)},
    )
    assert confirm.status_code == 303
    with closing(db.connect(instance_dir)) as conn:
        case_id = conn.execute("SELECT id FROM cases").fetchone()[0]

    # 2. The reviewer signs in with password + TOTP and sees the case, due for acknowledgement.
    signed = sign_in_first_time(app, "ana", create_account(instance_dir, "ana", "reviewer", ana.public))
    queue = signed.client.get("/review/").get_data(as_text=True)
    assert case_id[:8] in queue and "Acknowledge by" in queue
    assert MARKER not in queue

    # 3. Export: one streamed bundle file.
    response = signed.client.post(
        "/review/export", data={"csrf_token": csrf_token(signed.client, "/review/"), "mode": "changed"}
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert (
        response.headers["Content-Disposition"] == f"attachment; filename=candour-{db.today()}-{ana.key_id.hex()}.zip"
    )
    bundle = tmp_path / "usb" / "bundle.zip"
    bundle.parent.mkdir()
    bundle.write_bytes(response.get_data())
    assert MARKER.encode() not in bundle.read_bytes()

    # 4. Offline: decrypt and read the case folder.
    out = tmp_path / "cases"
    result = run_crypto("decrypt", "--key", ana_key, "--out", out, bundle)
    assert result.returncode == 0, result.stderr
    assert (out / "index.html").is_file()
    assert MARKER in (out / case_id / "report.txt").read_text(encoding="utf-8")

    # 5. Offline: a signed reply that acknowledges the case, with a reason.
    message = tmp_path / "message.txt"
    message.write_text("Thank you. We will look into this within two weeks.\n", encoding="utf-8")
    replies_file = tmp_path / "usb" / "replies.json"
    result = run_crypto(
        "reply",
        "--key",
        ana_key,
        "--bundle",
        bundle,
        "--case",
        case_id,
        "--message-file",
        message,
        "-o",
        replies_file,
        "--status",
        "acknowledged",
        "--reason",
        "We have received your report and started.",
    )
    assert result.returncode == 0, result.stderr

    # 6. Upload.
    status, page = upload(signed.client, replies_file.read_bytes())
    assert status == 200 and "accepted: reply 1 on case" in page and "NOT accepted" not in page
    with closing(db.connect(instance_dir)) as conn:
        row = conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
        event = conn.execute(
            "SELECT status, reason, statement IS NOT NULL, signature IS NOT NULL FROM status_events"
            " WHERE case_id = ? ORDER BY id DESC LIMIT 1",
            (case_id,),
        ).fetchone()
    assert row[0] == "acknowledged"
    assert tuple(event) == ("acknowledged", "We have received your report and started.", 1, 1)

    # 7. The reporter's page shows the verified reply and the signed status change with its reason.
    case_page = reporter.get("/case").get_data(as_text=True)
    assert "Thank you. We will look into this within two weeks." in case_page
    assert "signature checked" in case_page
    assert "We have received your report and started." in case_page
    assert "Rejected" not in case_page

    # 8. The same file again is a replay: refused, nothing changes.
    status, page = upload(signed.client, replies_file.read_bytes())
    assert "NOT accepted" in page and "replay" in page
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM replies").fetchone()[0] == 1
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    assert {"login", "export", "replies_imported", "status_changed"} <= set(actions)

    # 9. The next incremental export carries the case again (it changed) with the reply.
    response = signed.client.post(
        "/review/export", data={"csrf_token": csrf_token(signed.client, "/review/"), "mode": "changed"}
    )
    assert response.status_code == 200
    bundle2 = tmp_path / "usb" / "bundle2.zip"
    bundle2.write_bytes(response.get_data())
    out2 = tmp_path / "cases2"
    result = run_crypto("decrypt", "--key", ana_key, "--out", out2, bundle2)
    assert result.returncode == 0, result.stderr
    assert "Thank you. We will look into this" in (out2 / case_id / "replies.txt").read_text(encoding="utf-8")


# --- refusals on upload ----------------------------------------------------------------------------


@pytest.fixture
def setup(instance_dir: Path) -> tuple[Flask, dict[str, ReviewerKeys], FlaskClient]:
    keys = {
        "ana": add_reviewer_with_keys(instance_dir, "Ana Handler", "Case handler"),
        "ben": add_reviewer_with_keys(instance_dir, "Ben Chair", "Panel chair"),
    }
    app = create_app(str(instance_dir), overrides={"TESTING": True})
    signed = sign_in_first_time(app, "ana", create_account(instance_dir, "ana", "reviewer", keys["ana"].public))
    return app, keys, signed.client


def _reply(
    author: ReviewerKeys,
    case,
    seq: int,
    text: str = "A reply.",
    status: StatusChange | None = None,
    recipients=None,
    reply_key: bytes | None = None,
    case_id: str | None = None,
) -> SignedReply:  # type: ignore[no-untyped-def]
    return make_reply(
        author,
        case_id or case.case_id,
        reply_key or case.reporter.reply_public_key,
        recipients or [author.public],
        seq,
        db.today(),
        text,
        status,
    )


def test_forged_unsigned_misbound_skipped_and_foreign_replies_are_refused(
    instance_dir: Path, setup: tuple[Flask, dict[str, ReviewerKeys], FlaskClient]
) -> None:
    app, keys, client = setup
    ana, ben = keys["ana"], keys["ben"]
    case = file_case(instance_dir, app, [ana.public])
    other_case = file_case(instance_dir, app, [ben.public])
    stranger = derive_reporter_keys(generate_codename(), bytes(16))

    good = _reply(ana, case, 1)
    forged = SignedReply(
        good.statement, bytes([good.signature[0] ^ 1]) + good.signature[1:], good.for_reporter, good.for_reviewers
    )
    # What a server sealing a reply itself could make: no reviewer's signature.
    unsigned = SignedReply(good.statement, bytes(64), good.for_reporter, good.for_reviewers)
    misbound = _reply(ana, case, 1, reply_key=stranger.reply_public_key)
    # A higher number than the next is accepted since reply statement v2 (CONTRACT: reply sequence).
    foreign = _reply(ben, case, 1)  # ben is not on this case
    not_mine = _reply(ana, other_case, 1, recipients=[ana.public, ben.public])  # ana is not on other_case
    bad_status = _reply(ana, case, 1, status=StatusChange("awaiting_reporter", None, "tell us more"))
    no_case = _reply(ana, case, 1, case_id="ab" * 16)

    refused = [forged, unsigned, misbound, foreign, not_mine, bad_status, no_case]
    status, page = upload(client, reply_file_bytes(refused))
    assert status == 200
    assert page.count("NOT accepted") == len(refused)
    for expected in (
        "does not verify",  # forged and unsigned
        "different reporter key",  # mis-bound
        "is not one of the reviewers case",  # ben is not a recipient of this case
        "a case that is &#39;new&#39; cannot move to &#39;awaiting_reporter&#39;",
        "there is no case",
    ):
        assert expected in page, expected
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM replies").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM status_events WHERE reviewer_id IS NOT NULL").fetchone()[0] == 0
    # Every refused reply's blob was removed again.
    names = {p.name for p in (instance_dir / "blobs").rglob("*") if p.is_file()}
    assert len(names) == 2  # the two reports only

    # The good one is then accepted, and replaying it is refused.
    status, page = upload(client, reply_file_bytes([good]))
    assert "accepted: reply 1" in page
    status, page = upload(client, reply_file_bytes([good]))
    assert "replay" in page


def test_a_removed_reviewer_cannot_upload_and_an_oversized_file_is_refused(
    instance_dir: Path, setup: tuple[Flask, dict[str, ReviewerKeys], FlaskClient]
) -> None:
    app, keys, client = setup
    case = file_case(instance_dir, app, [keys["ana"].public])
    reply = _reply(keys["ana"], case, 1)
    result = (
        create_app(str(instance_dir)).test_cli_runner().invoke(args=["reviewer", "remove", keys["ana"].key_id.hex()])
    )
    assert result.exit_code == 0
    status, page = upload(client, reply_file_bytes([reply]))
    assert "not a known reviewer" in page
    status, page = upload(client, b"{" + b" " * (64 * 1024 * 1024 + 2 * 1024 * 1024) + b"}")
    assert status == 413
    status, page = upload(client, b'{"format": "something else"}')
    assert status == 400 and "not a readable reply file" in page


def test_a_reply_row_put_into_the_database_by_hand_is_shown_to_the_reporter_as_rejected(
    instance_dir: Path, setup: tuple[Flask, dict[str, ReviewerKeys], FlaskClient]
) -> None:
    app, keys, _client = setup
    case = file_case(instance_dir, app, [keys["ana"].public])
    # An operator with the database key writes a reply and fakes the signature.
    forged = _reply(keys["ana"], case, 1, text="Forged words: drop the complaint.")
    with closing(db.connect(instance_dir)) as conn:
        reviewer_id = conn.execute("SELECT id FROM reviewers WHERE key_id = ?", (keys["ana"].key_id.hex(),)).fetchone()[
            0
        ]
        conn.execute(
            "INSERT INTO replies (case_id, reviewer_id, seq, day, statement, signature, for_reporter)"
            " VALUES (?, ?, 1, ?, ?, ?, ?)",
            (case.case_id, reviewer_id, db.today(), forged.statement, bytes(64), forged.for_reporter),
        )
    reporter = app.test_client()
    response = reporter.post(
        "/followup",
        data={"csrf_token": page_csrf(reporter.get("/followup").get_data(as_text=True)), "codename": case.codename},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    page = reporter.get("/case").get_data(as_text=True)
    assert "Rejected: could not be verified" in page
    assert "Forged words" not in page


def test_reviewers_copy_is_stored_as_a_blob(
    instance_dir: Path, setup: tuple[Flask, dict[str, ReviewerKeys], FlaskClient]
) -> None:
    app, keys, client = setup
    case = file_case(instance_dir, app, [keys["ana"].public])
    reply = _reply(keys["ana"], case, 1)
    upload(client, reply_file_bytes([reply]))
    with closing(db.connect(instance_dir)) as conn:
        blob, for_reporter = conn.execute("SELECT reviewers_blob, for_reporter FROM replies").fetchone()
    assert blob_path(instance_dir, blob).read_bytes() == reply.for_reviewers
    assert bytes(for_reporter) == reply.for_reporter


def test_a_start_up_sweep_during_a_reply_upload_leaves_its_blob(
    instance_dir: Path,
    setup: tuple[Flask, dict[str, ReviewerKeys], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A restarted master sweeps while a worker of the old one is between the
    # reviewers' copy's blob commit and its row's commit: that blob is not yet named
    # by any row, so only the blob writers' lock keeps the sweep off it.
    app, keys, client = setup
    case = file_case(instance_dir, app, [keys["ana"].public])
    real_insert = replies._check_and_insert
    sweeps: list[SweepResult] = []

    def sweep_then_insert(conn: db.Connection, *args: object) -> None:
        sweeps.append(startup_sweep(instance_dir))
        real_insert(conn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(replies, "_check_and_insert", sweep_then_insert)
    upload(client, reply_file_bytes([_reply(keys["ana"], case, 1)]))
    assert len(sweeps) == 1 and sweeps[0].skipped and sweeps[0].orphan_blobs == 0
    with closing(db.connect(instance_dir)) as conn:
        (blob,) = conn.execute("SELECT reviewers_blob FROM replies").fetchone()
    assert blob_path(instance_dir, blob).exists()
