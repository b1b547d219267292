"""The whole loop through the Desk, nothing mocked.

A report filed through the no-JavaScript /report route (with an attachment) → the
reviewer signs in with password and TOTP and exports → the Desk, driven by its pilot,
unlocks, imports the export, opens the case and its attachment, replies with a status
change, a reason and the feedback mark, saves the reply file → the file is uploaded in
the workspace → the reporter's case page shows the verified reply and the reason → the
next export shows the reply as accepted in the Desk's outbox. Then the key folder, the
home folder and the temporary folders are scanned for the report's marker text.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from contextlib import closing
from pathlib import Path

import pytest

from tests.desk.conftest import PASSPHRASE, files_containing
from tests.desk.test_desk_app import SIZE, click, import_export, settle, unlock
from tests.support.reporter_support import codename_from, multipart, report_fields, sealed_token
from tests.support.reporter_support import csrf_token as page_csrf
from tests.support.workspace_support import create_account, csrf_token, sign_in_first_time

from crypto.casebook import create_casebook
from crypto.desk.app import DeskApp
from crypto.desk.case_screens import CaseScreen, OutboxScreen, ReplyScreen
from crypto.desk.picker import PickPath
from crypto.desk.screens import QueueScreen
from crypto.identity import generate_reviewer_keys, save_private_key
from portal import create_app
from portal.store import db

MARKER = "Wombat-marker-5521 the treasurer threatened me"


def export(client, path: Path) -> Path:  # type: ignore[no-untyped-def]
    response = client.post("/review/export", data={"csrf_token": csrf_token(client, "/review/"), "mode": "changed"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    path.write_bytes(response.get_data())
    return path


def test_report_export_desk_reply_upload_reporter_sees_it(
    instance_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    keys_dir = home / "keys"
    keys_dir.mkdir(parents=True)
    usb = tmp_path / "usb"
    usb.mkdir()
    private_tmp = tmp_path / "tmpdir"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    ana = generate_reviewer_keys("ana")
    key_path = keys_dir / "ana.key"
    save_private_key(ana, key_path, PASSPHRASE, profile="interactive")
    create_casebook(key_path, ana)  # as keygen does
    (keys_dir / "ana.pub").write_text(ana.public.to_line() + "\n", encoding="utf-8")
    result = (
        create_app(str(instance_dir))
        .test_cli_runner()
        .invoke(args=["reviewer", "add", str(keys_dir / "ana.pub"), "--name", "Ana Handler", "--role", "Case handler"])
    )
    assert result.exit_code == 0, result.output
    app = create_app(str(instance_dir), overrides={"TESTING": True})

    reporter = app.test_client()
    token = page_csrf(reporter.get("/report").get_data(as_text=True))
    body, content_type = multipart(
        report_fields(token, what=MARKER, reviewers=[ana.key_id.hex()], files=[("notes.txt", MARKER.encode())])
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

    signed = sign_in_first_time(app, "ana", create_account(instance_dir, "ana", "reviewer", ana.public))
    first_export = export(signed.client, usb / "export-1.zip")
    assert MARKER.encode() not in first_export.read_bytes()

    desk = DeskApp(key_path=key_path, open_files=False)
    state: dict[str, object] = {}

    async def read_and_reply() -> None:
        async with desk.run_test(size=SIZE) as pilot:
            await unlock(desk, pilot)
            await import_export(desk, pilot, usb)
            assert "1 new cases" in str(desk.screen.query_one("#import-result").render())
            await pilot.click("#back")
            await settle(pilot, lambda: isinstance(desk.screen, QueueScreen), "the queue")
            desk.screen.query_one("#queue").focus()
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(desk.screen, CaseScreen), "the case")
            assert desk.screen.case_id == case_id
            assert MARKER in desk.session.cases[case_id].fields["what"]
            await click(desk, pilot, "#open-report-0")
            opened = Path(str(desk.screen.query_one("#message").render()).split(": ", 1)[1])
            assert opened.read_bytes() == MARKER.encode()
            await click(desk, pilot, "#reply")
            await settle(pilot, lambda: isinstance(desk.screen, ReplyScreen), "the reply screen")
            screen = desk.screen
            screen.query_one("#text").load_text("Thank you. We have started looking into this.")
            screen.query_one("#status").value = "acknowledged"
            screen.query_one("#reason").value = "We have your report and a handler is assigned."
            screen.query_one("#feedback").value = True
            await pilot.pause()
            await click(desk, pilot, "#send")
            await settle(pilot, lambda: isinstance(desk.screen, OutboxScreen), "the outbox")
            desk.usb_hint = usb
            await pilot.click("#save")
            await settle(pilot, lambda: isinstance(desk.screen, PickPath), "the folder chooser")
            await pilot.pause()
            await pilot.click("#choose")
            await settle(pilot, lambda: isinstance(desk.screen, OutboxScreen), "back to the outbox")
            assert "Saved 1 reply" in str(desk.screen.query_one("#message").render())
            state["temp"] = desk.session.temp.folder
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert desk.session is None and not opened.exists()

    asyncio.run(read_and_reply())
    assert state["temp"] is not None and not Path(str(state["temp"])).exists()

    (reply_file,) = usb.glob("candour-replies-*.json")
    token = csrf_token(signed.client, "/review/replies")
    body, content_type = multipart(
        [("csrf_token", token), ("reply_file", (reply_file.name, reply_file.read_bytes(), "application/json"))]
    )
    response = signed.client.post("/review/replies", data=body, content_type=content_type)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "accepted: reply 1 on case" in page and "NOT accepted" not in page

    case_page = reporter.get("/case").get_data(as_text=True)
    assert "Thank you. We have started looking into this." in case_page
    assert "signature checked" in case_page
    assert "We have your report and a handler is assigned." in case_page

    second_export = export(signed.client, usb / "export-2.zip")
    desk2 = DeskApp(key_path=key_path, open_files=False)

    async def see_it_accepted() -> None:
        async with desk2.run_test(size=SIZE) as pilot:
            await unlock(desk2, pilot)
            desk2.usb_hint = usb
            await pilot.click("#import")
            await pilot.pause()
            await pilot.click("#choose-export")
            await settle(pilot, lambda: isinstance(desk2.screen, PickPath), "the file chooser")
            tree = desk2.screen.query_one("#tree")
            await settle(pilot, lambda: bool(tree.root.children), "the folder listed")
            tree.focus()
            await pilot.press("down", "down", "enter")  # export-2.zip, after export-1.zip
            await settle(pilot, lambda: not desk2.screen.query_one("#choose").disabled, "a file chosen")
            await pilot.click("#choose")
            await settle(pilot, lambda: not isinstance(desk2.screen, PickPath), "the chooser closed")
            assert "1 updated" in str(desk2.screen.query_one("#import-result").render())
            (entry,) = desk2.session.outbox()
            assert entry["state"] == "accepted"

    asyncio.run(see_it_accepted())
    assert second_export.is_file()
    roots = [keys_dir, home, private_tmp, Path("/dev/shm")]  # noqa: S108 - scanned, not written
    if os.environ.get("XDG_RUNTIME_DIR"):
        roots.append(Path(os.environ["XDG_RUNTIME_DIR"]))
    assert files_containing(roots, "Wombat-marker-5521") == []
