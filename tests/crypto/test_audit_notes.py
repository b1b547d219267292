"""The audit trail's changes to accounts and reviewers, said in sentences (crypto/audit_notes.py)."""

from tests.support.export_builder import AuditLog

from crypto.audit_chain import AuditHead, AuditTrail
from crypto.audit_notes import account_changes


def _trail(log: AuditLog) -> AuditTrail:
    head = log.entries[-1]
    return AuditTrail(head=AuditHead(head.seq, head.entry_hash), entries=tuple(log.entries), truncated=False)


def _log() -> AuditLog:
    log = AuditLog()
    log.append("instance_created", actor="operator (cli)")
    log.append("reviewer_added", day="2026-11-21", key_id="ab" * 8, name="Ana Silva")
    log.append("export", case_id="cd" * 16)
    log.append("second_factor_reset", day="2026-11-30", actor="sam (admin)", username="ana", account="ana (reviewer)")
    log.append("org_reviewer_list_loaded", day="2026-12-01", serial=7, organisation="Acme Union")
    return log


def test_the_acts_that_change_who_can_sign_in_or_receive_reports_are_said_in_order() -> None:
    assert account_changes(_trail(_log()), None) == [
        "2026-11-21 (entry 2): admin (admin) added the reviewer 'Ana Silva'",
        "2026-11-30 (entry 4): sam (admin) reset the second factor (authenticator) of 'ana (reviewer)'",
        "2026-12-01 (entry 5): admin (admin) loaded a signed reviewer list (serial 7)",
    ]


def test_only_entries_after_the_last_export_are_said() -> None:
    log = _log()
    since = AuditHead(log.entries[2].seq, log.entries[2].entry_hash)
    changes = account_changes(_trail(log), since)
    assert [change.split(":")[0] for change in changes] == ["2026-11-30 (entry 4)", "2026-12-01 (entry 5)"]
    assert account_changes(_trail(log), AuditHead(5, log.entries[-1].entry_hash)) == []


def test_names_from_the_server_cannot_drive_the_screen() -> None:
    log = AuditLog()
    log.append("password_reset", actor="x\x1b[2Jadmin", account="ana\nreviewer\u202e")
    (said,) = account_changes(_trail(log), None)
    assert "\x1b" not in said and "\n" not in said and "\u202e" not in said
    assert "password of" in said
