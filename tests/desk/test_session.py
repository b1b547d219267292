"""The Desk's session without the screens: import, read, reply, trust checks, lock."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tests.desk.conftest import MARKER, PASSPHRASE, DeskWorld, files_containing
from tests.support.export_builder import write_export

from crypto.codename import derive_reporter_keys, generate_codename
from crypto.desk.session import unlock
from crypto.desk.workflow import WorkflowError
from crypto.errors import CandourError, WrongPassphraseError
from crypto.identity import generate_reviewer_keys
from crypto.reply import StatusChange, make_reply, verify_reply_signature
from crypto.replyfile import read_reply_file


def test_import_read_reply_and_save(desk_world: DeskWorld, tmp_path: Path) -> None:
    export = desk_world.export("export-1.zip", [desk_world.standard_case()])
    session = unlock(desk_world.key_path, PASSPHRASE)
    summary = session.import_file(export)
    assert (summary.added, summary.unreadable) == (1, 0), summary.warnings
    (case,) = session.queue()
    assert MARKER in case.fields["what"]
    assert case.attachments[0].name == "photo of the note.png"
    assert case.followups[0].text and "FOLLOWUP" in case.followups[0].text
    assert case.replies[0].verified and "Ben Colleague" in case.replies[0].verification
    assert session.new_followups(case) == 1
    assert session.queue("again today") == [case] and session.queue("nothing like this") == []
    with pytest.raises(WorkflowError, match="needs an outcome, one of: Upheld"):
        session.write_reply(case, "closing", StatusChange("closed", None, "done"))
    with pytest.raises(WorkflowError, match="Allowed from here: In progress"):
        session.write_reply(case, "again", StatusChange("acknowledged", None, "again"))
    with pytest.raises(WorkflowError, match="requires a reason"):
        session.write_reply(case, "moving on", StatusChange("in_progress", None, ""))
    session.write_reply(case, f"We spoke to him. {MARKER}-REPLY", StatusChange("in_progress", None, "Interviews"))
    usb = tmp_path / "usb-out"
    usb.mkdir()
    path, count = session.save_reply_file(usb)
    assert count == 1
    (reply,) = read_reply_file(path)
    statement = verify_reply_signature(reply, {desk_world.me.key_id: desk_world.me.public})
    assert statement.seq == 1 and statement.status == StatusChange("in_progress", None, "Interviews")
    opened = session.open_attachment(case, case.attachments[0])
    assert MARKER.encode() in opened.read_bytes()
    folder = session.temp.folder
    session.lock()
    assert not opened.exists() and folder is not None and not folder.exists()
    assert session.cases == {} and session.keys is None
    stored = files_containing([desk_world.home], MARKER)
    assert stored == [], stored


def test_state_survives_unlock_and_stays_encrypted(desk_world: DeskWorld) -> None:
    export = desk_world.export("export-1.zip", [desk_world.standard_case()])
    session = unlock(desk_world.key_path, PASSPHRASE)
    session.import_file(export)
    (case,) = session.queue()
    session.save_draft(case, {"text": f"draft {MARKER}"})
    session.lock()
    again = unlock(desk_world.key_path, PASSPHRASE)
    (case,) = again.queue()
    assert again.draft(case)["text"] == f"draft {MARKER}"
    assert files_containing([desk_world.home], MARKER) == []
    with pytest.raises(WrongPassphraseError):
        unlock(desk_world.key_path, "wrong passphrase")


def test_fabricated_case_is_refused_and_genuine_copy_kept(desk_world: DeskWorld) -> None:
    genuine = desk_world.standard_case()
    session = unlock(desk_world.key_path, PASSPHRASE)
    session.import_file(desk_world.export("export-1.zip", [genuine]))
    fake = desk_world.case(what="A fabricated report")
    fake.reporter = derive_reporter_keys(generate_codename(), bytes(16))
    fake.case_id = genuine.case_id
    fake.with_report()
    summary = session.import_file(desk_world.export("export-2.zip", [fake]))
    assert any("different report under case" in w for w in session.warnings), summary
    (case,) = session.queue()
    assert MARKER in case.fields["what"]


def test_non_recipient_reply_is_not_verified(desk_world: DeskWorld) -> None:
    case = desk_world.standard_case()
    outsider = generate_reviewer_keys("mallory")
    # The server lists its own key and makes it a "recipient" in its cleartext copy only.
    case.server_recipients = [desk_world.me.public, desk_world.colleague.public, outsider.public]
    signed = make_reply(
        outsider, case.case, desk_world.reporter.reply_public_key,
        [desk_world.me.public, outsider.public], 1, "2026-11-24", "Closed, not upheld", None)  # fmt: skip
    case.add_reply(signed)
    reviewers = [*desk_world.reviewers(), (outsider.public, "Ana Reviewer", "HR", False)]
    path = write_export(desk_world.exports / "x.zip", desk_world.me.public, reviewers, [case])
    session = unlock(desk_world.key_path, PASSPHRASE)
    session.import_file(path)
    (read,) = session.queue()
    forged = [r for r in read.replies if r.key_id == outsider.key_id.hex()]
    assert forged and not forged[0].verified and "not one of the reviewers" in forged[0].verification
    assert any("not sealed to" in w for w in read.warnings)


def test_queue_orders_overdue_first(desk_world: DeskWorld) -> None:
    late = desk_world.case()
    late.acknowledge_by = "2026-11-01"
    late.with_report()
    fresh = desk_world.case()
    fresh.acknowledge_by = "2026-12-30"
    fresh.with_report()
    session = unlock(desk_world.key_path, PASSPHRASE)
    session.today = datetime.date(2026, 12, 1)
    session.import_file(desk_world.export("e.zip", [fresh, late]))
    first, second = session.queue()
    assert first.case_id == late.case and session.deadline(first).overdue_days == 30
    assert session.deadline(second).overdue_days == 0


def test_damaged_or_foreign_state_is_a_clear_error(desk_world: DeskWorld) -> None:
    from crypto.desk.vault import DeskStateError, default_data_dir

    session = unlock(desk_world.key_path, PASSPHRASE)
    session.import_file(desk_world.export("e.zip", [desk_world.standard_case()]))
    session.lock()
    state = default_data_dir(desk_world.key_path) / "state.cnd"
    data = bytearray(state.read_bytes())
    data[-1] ^= 1
    state.write_bytes(bytes(data))
    with pytest.raises(DeskStateError, match="does not open with this key"):
        unlock(desk_world.key_path, PASSPHRASE)
    assert state.read_bytes() == bytes(data)  # never silently reset
    state.write_bytes(b"something else")
    with pytest.raises(DeskStateError, match="not a Candour Desk state file"):
        unlock(desk_world.key_path, PASSPHRASE)


def test_a_refused_reply_is_edited_and_written_again_under_the_next_number(desk_world: DeskWorld, tmp_path) -> None:
    session = unlock(desk_world.key_path, PASSPHRASE)
    session.import_file(desk_world.export("e.zip", [desk_world.standard_case()]))
    (case,) = session.queue()
    session.write_reply(case, "First try", StatusChange("in_progress", None, "Interviews"), feedback=True)
    with pytest.raises(CandourError, match="only a sent reply"):
        session.redo_draft(0)
    session.save_reply_file(tmp_path)
    draft = session.redo_draft(0)
    assert draft == {
        "text": "First try", "status": "in_progress", "outcome": "", "reason": "Interviews", "feedback": True,
        "replaces": 0,
    }  # fmt: skip
    session.write_reply(case, "Second try", StatusChange("in_progress", None, "Interviews"), replaces=0)
    states = [(e["seq"], e["state"]) for e in session.outbox()]
    assert states == [(1, "replaced by reply 2"), (2, "pending")]
