"""The Desk driven by Textual's pilot: unlock, import, read, reply, save the reply file, lock.

Also makes the guide's screenshots (docs/images/desk/*.svg), so they never go stale.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.desk.conftest import MARKER, PASSPHRASE, DeskWorld, files_containing

from crypto.codename import derive_reporter_keys, generate_codename
from crypto.desk.app import DeskApp
from crypto.desk.case_screens import CaseScreen, OutboxScreen, ReplyScreen
from crypto.desk.picker import PickPath
from crypto.desk.screens import ImportScreen, QueueScreen, UnlockScreen
from crypto.reply import StatusChange, verify_reply_signature
from crypto.replyfile import read_reply_file

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images" / "desk"
SIZE = (120, 40)


@pytest.fixture()
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temp directory the Desk sees, so a scan covers all of it."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def shoot(app: DeskApp, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    app.save_screenshot(f"{name}.svg", str(SCREENSHOTS))


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*["space" if c == " " else c for c in text])


async def settle(pilot, done, what: str) -> None:  # type: ignore[no-untyped-def]
    """Let the app work until `done()` holds (a loaded shared machine makes one pause too short)."""
    for _ in range(100):
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the Desk never got to: {what}")


async def click(app: DeskApp, pilot, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Scroll the widget into view, then click it as a reviewer would."""
    widget = app.screen.query_one(selector)
    widget.scroll_visible(animate=False)
    # A button ignores clicks for 0.2 s after a press (its "-active" look): wait that out, as a person would.
    await settle(pilot, lambda: not widget.has_class("-active"), f"{selector} ready")
    await pilot.pause()
    await pilot.click(selector)
    await pilot.pause()


async def unlock(app: DeskApp, pilot) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, UnlockScreen)
    await pilot.click("#passphrase")
    await type_text(pilot, PASSPHRASE)
    await pilot.click("#unlock-button")
    await settle(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")


async def pick_first(app: DeskApp, pilot) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, PickPath)
    tree = app.screen.query_one("#tree")
    for _ in range(50):
        await pilot.pause(0.05)
        if tree.root.children:
            break
    tree.focus()
    await pilot.press("down", "enter")
    choose = app.screen.query_one("#choose")
    await settle(pilot, lambda: not choose.disabled, "a file chosen")
    await pilot.click("#choose")
    await settle(pilot, lambda: not isinstance(app.screen, PickPath), "the chooser closed")


async def import_export(app: DeskApp, pilot, folder: Path) -> None:  # type: ignore[no-untyped-def]
    app.usb_hint = folder
    await settle(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
    await pilot.click("#import")
    await settle(pilot, lambda: isinstance(app.screen, ImportScreen), "the import screen")
    await pilot.click("#choose-export")
    await settle(pilot, lambda: isinstance(app.screen, PickPath), "the file chooser")
    await pick_first(app, pilot)
    assert isinstance(app.screen, ImportScreen)


def test_read_reply_save_and_lock(desk_world: DeskWorld, private_tmp: Path, tmp_path: Path) -> None:
    desk_world.export("export-2026-11-28.zip", [desk_world.standard_case()])
    reply_folder = desk_world.home / "usb-replies"  # under home: the Desk shows it as ~/usb-replies
    reply_folder.mkdir()
    app = DeskApp(key_path=desk_world.key_path, open_files=False)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            shoot(app, "unlock")
            await unlock(app, pilot)
            await import_export(app, pilot, desk_world.exports)
            result = str(app.screen.query_one("#import-result").render())
            assert "1 new cases" in result, result
            shoot(app, "import")
            await pilot.click("#back")
            await settle(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
            shoot(app, "queue")
            app.screen.query_one("#queue").focus()
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, CaseScreen), "the case")
            shoot(app, "case")
            await click(app, pilot, "#open-report-0")
            opened = Path(str(app.screen.query_one("#message").render()).split(": ", 1)[1])
            assert MARKER.encode() in opened.read_bytes()
            await click(app, pilot, "#reply")
            await settle(pilot, lambda: isinstance(app.screen, ReplyScreen), "the reply screen")
            screen = app.screen
            assert isinstance(screen, ReplyScreen)
            screen.query_one("#text").load_text(f"We have spoken to the manager. {MARKER}-REPLY")
            screen.query_one("#status").value = "closed"
            await click(app, pilot, "#send")
            assert "needs an outcome" in str(screen.query_one("#message").render())
            screen.query_one("#status").value = "in_progress"
            screen.query_one("#reason").value = "We are interviewing the team"
            screen.query_one("#feedback").value = True
            await pilot.pause()
            shoot(app, "reply")
            await click(app, pilot, "#send")
            await settle(pilot, lambda: isinstance(app.screen, OutboxScreen), "the outbox")
            app.usb_hint = reply_folder
            await pilot.click("#save")
            await settle(pilot, lambda: isinstance(app.screen, PickPath), "the folder chooser")
            await pilot.pause()
            await pilot.click("#choose")
            await settle(pilot, lambda: isinstance(app.screen, OutboxScreen), "back to the outbox")
            assert "Saved 1 reply" in str(app.screen.query_one("#message").render())
            shoot(app, "outbox")
            temp_folder = app.session.temp.folder
            await pilot.press("ctrl+l")
            await settle(pilot, lambda: isinstance(app.screen, UnlockScreen), "the unlock screen")
            assert app.session is None
            assert not opened.exists() and temp_folder is not None and not temp_folder.exists()

    asyncio.run(drive())
    (path,) = reply_folder.glob("candour-replies-*.json")
    (reply,) = read_reply_file(path)
    statement = verify_reply_signature(reply, {desk_world.me.key_id: desk_world.me.public})
    assert statement.status is not None and statement.status.status == "in_progress"
    assert statement.status.reason == "We are interviewing the team"
    assert statement.feedback is True
    roots = [desk_world.key_path.parent, desk_world.home, private_tmp, tmp_path, Path("/dev/shm")]  # noqa: S108 - scanned, not written
    if os.environ.get("XDG_RUNTIME_DIR"):
        roots.append(Path(os.environ["XDG_RUNTIME_DIR"]))
    assert files_containing(roots, MARKER) == []


def test_fabricated_case_warning_is_shown(desk_world: DeskWorld, private_tmp: Path) -> None:
    genuine = desk_world.standard_case()
    desk_world.export("a-first.zip", [genuine])
    fake = desk_world.case(what="A fabricated report")
    fake.reporter = derive_reporter_keys(generate_codename(), bytes(16))
    fake.case_id = genuine.case_id
    fake.with_report()
    second = desk_world.exports.parent / "usb2"
    second.mkdir()
    desk_world.export("../usb2/b-fabricated.zip", [fake])
    app = DeskApp(key_path=desk_world.key_path, open_files=False)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(app, pilot)
            await import_export(app, pilot, desk_world.exports)
            await pilot.click("#back")
            await import_export(app, pilot, second)
            warnings = str(app.screen.query_one("#import-warnings").render())
            assert "different report under case" in warnings and "nothing replaced" in warnings
            assert "1 refused" in str(app.screen.query_one("#import-result").render())
            shoot(app, "import-warning")
            await pilot.click("#back")
            await pilot.pause()
            assert "different report" in str(app.screen.query_one("#warnings").render())
            assert MARKER in next(iter(app.session.cases.values())).fields["what"]

    asyncio.run(drive())


def test_idle_lock_forgets(desk_world: DeskWorld, private_tmp: Path) -> None:
    desk_world.export("e.zip", [desk_world.standard_case()])
    app = DeskApp(key_path=desk_world.key_path, open_files=False)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(app, pilot)
            await import_export(app, pilot, desk_world.exports)
            session = app.session
            assert session is not None and session.cases
            app.last_activity = time.monotonic() - 15 * 60
            app.lock_if_idle()
            await pilot.pause()
            assert app.session is None and isinstance(app.screen, UnlockScreen)
            assert session.cases == {} and session.keys is None and session.state == {}

    asyncio.run(drive())


def test_first_import_asks_for_the_organisation_fingerprint(desk_world: DeskWorld, org, private_tmp: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.desk.test_trust import audit_log

    from crypto.desk.screens import ConfirmOrgScreen

    log = audit_log()
    log.append("second_factor_reset", day="2026-11-30", actor="sam (admin)", account="ana (reviewer)")
    desk_world.export_v2("export-v2.zip", [desk_world.standard_case()], org=org, audit=log)
    app = DeskApp(key_path=desk_world.key_path, open_files=False)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(app, pilot)
            app.usb_hint = desk_world.exports
            await pilot.click("#import")
            await settle(pilot, lambda: isinstance(app.screen, ImportScreen), "the import screen")
            await pilot.click("#choose-export")
            await settle(pilot, lambda: isinstance(app.screen, PickPath), "the file chooser")
            await pick_first(app, pilot)
            await settle(pilot, lambda: isinstance(app.screen, ConfirmOrgScreen), "the fingerprint check")
            assert str(app.screen.query_one("#org-fingerprint").render()) == org.public.fingerprint
            shoot(app, "confirm-organisation")
            await pilot.click("#match")
            await settle(pilot, lambda: isinstance(app.screen, ImportScreen), "the import screen")
            assert "1 new cases" in str(app.screen.query_one("#import-result").render())
            changes = str(app.screen.query_one("#import-changes").render())
            assert "sam (admin) reset the second factor (authenticator) of 'ana (reviewer)'" in changes
            assert app.session is not None and "signed by Acme Ltd" in app.session.list_mode

    asyncio.run(drive())


def test_make_a_key_then_unlock_with_it(tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crypto.desk.screens import MakeKeyScreen
    from crypto.identity import load_reviewer_keys, parse_public_identity

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    app = DeskApp(open_files=False, kdf_profile="interactive")

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            assert "none chosen yet" in str(app.screen.query_one("#key-file").render())
            await pilot.click("#make-key")
            await settle(pilot, lambda: isinstance(app.screen, MakeKeyScreen), "the key screen")
            screen = app.screen
            screen.query_one("#name").value = "Ana Silva"
            screen.query_one("#new-passphrase").value = "short"
            screen.query_one("#repeat-passphrase").value = "short"
            await click(app, pilot, "#make")
            assert "longer passphrase" in str(screen.query_one("#message").render())
            screen.query_one("#new-passphrase").value = PASSPHRASE
            screen.query_one("#repeat-passphrase").value = PASSPHRASE
            await click(app, pilot, "#make")
            await settle(pilot, lambda: bool(screen.query("#use")), "the key made")
            assert "Fingerprint:" in str(screen.query_one("#made").render())
            shoot(app, "make-key")
            await click(app, pilot, "#use")
            await settle(pilot, lambda: isinstance(app.screen, UnlockScreen), "the unlock screen")
            await unlock(app, pilot)

    asyncio.run(drive())
    key, pub = home / "keys" / "Ana Silva.key", home / "keys" / "Ana Silva.pub"
    keys = load_reviewer_keys(key, PASSPHRASE)
    assert parse_public_identity(pub.read_text()) == keys.public
    assert key.stat().st_mode & 0o077 == 0


def test_outbox_edit_and_write_again(desk_world: DeskWorld, private_tmp: Path, tmp_path: Path) -> None:
    desk_world.export("e.zip", [desk_world.standard_case()])
    out = tmp_path / "out"
    out.mkdir()
    app = DeskApp(key_path=desk_world.key_path, open_files=False)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await unlock(app, pilot)
            await import_export(app, pilot, desk_world.exports)
            session = app.session
            (case,) = session.queue()
            session.write_reply(case, "First try", StatusChange("in_progress", None, "Interviews"))
            session.save_reply_file(out)
            await pilot.click("#back")
            await settle(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
            await pilot.click("#outbox")
            await settle(pilot, lambda: isinstance(app.screen, OutboxScreen), "the outbox")
            await click(app, pilot, "#redo")
            await settle(pilot, lambda: isinstance(app.screen, ReplyScreen), "the reply screen")
            assert app.screen.query_one("#text").text == "First try"
            assert app.screen.query_one("#status").value == "in_progress"
            app.screen.query_one("#text").load_text("Second try, with the date corrected")
            await click(app, pilot, "#send")
            await settle(pilot, lambda: isinstance(app.screen, OutboxScreen), "back to the outbox")
            assert [type(s).__name__ for s in app.screen_stack][-3:] == ["UnlockScreen", "QueueScreen", "OutboxScreen"]
            assert [(e["seq"], e["state"]) for e in session.outbox()] == [(1, "replaced by reply 2"), (2, "pending")]

    asyncio.run(drive())
