"""The Desk's trust checks on version 2 exports: organisation key pinned after the fingerprint
is confirmed, signed list verification, list rollback, another organisation, rewritten audit
trail, and the feedback mark in a reply."""

from __future__ import annotations

import datetime

import pytest

from tests.desk.conftest import PASSPHRASE, DeskWorld
from tests.support.export_builder import AuditLog

from crypto.casebook import CasebookError, RollbackError, open_casebook
from crypto.desk.session import OrgConfirmationNeeded, unlock
from crypto.desk.trust import TrustError
from crypto.identity import OrgKeys, generate_org_keys
from crypto.reply import StatusChange, parse_statement
from crypto.replyfile import read_reply_file


def audit_log(entries: int = 3) -> AuditLog:
    log = AuditLog()
    for number in range(entries):
        log.append("case_viewed", case_id=None, number=number)
    return log


def test_org_key_pinned_after_confirmation(desk_world: DeskWorld, org: OrgKeys) -> None:
    log = audit_log()
    export = desk_world.export_v2("v2.zip", [desk_world.standard_case()], org=org, audit=log)
    session = unlock(desk_world.key_path, PASSPHRASE)
    with pytest.raises(OrgConfirmationNeeded) as asked:
        session.import_file(export)
    assert asked.value.signed.org.fingerprint == org.public.fingerprint
    assert session.cases == {}
    session.confirm_org(asked.value.signed)
    session.import_file(export)
    (case,) = session.queue()
    assert case.replies[0].verified and "Ben Colleague" in case.replies[0].verification
    assert "signed by Acme Ltd" in session.list_mode and org.public.fingerprint in session.list_mode


def test_other_org_rollback_and_missing_list_are_refused(desk_world: DeskWorld, org: OrgKeys) -> None:
    log = audit_log()
    session = unlock(desk_world.key_path, PASSPHRASE)
    first = desk_world.export_v2("serial2.zip", [desk_world.standard_case()], org=org, serial=2, audit=log)
    session.confirm_org(session.inspect_export(first))  # type: ignore[arg-type]
    session.import_file(first)
    older = desk_world.export_v2("serial1.zip", [desk_world.standard_case()], org=org, serial=1, audit=log)
    with pytest.raises(RollbackError, match="rolled the list back"):
        session.import_file(older)
    other = desk_world.export_v2("other.zip", [desk_world.standard_case()], org=generate_org_keys("Evil"), audit=log)
    with pytest.raises(CasebookError, match="another organisation key"):
        session.import_file(other)
    unsigned = desk_world.export_v2("unsigned.zip", [desk_world.standard_case()], org=None, audit=log)
    with pytest.raises(TrustError, match="no organisation-signed reviewer list"):
        session.import_file(unsigned)
    assert len(session.cases) == 1


def test_an_export_with_a_rewritten_audit_trail_is_refused_and_changes_nothing(
    desk_world: DeskWorld, org: OrgKeys
) -> None:
    session = unlock(desk_world.key_path, PASSPHRASE)
    first = desk_world.export_v2("a.zip", [desk_world.standard_case()], org=org, audit=audit_log(3))
    session.confirm_org(session.inspect_export(first))  # type: ignore[arg-type]
    session.import_file(first)
    book_before = open_casebook(desk_world.key_path, desk_world.me).to_json()
    rewritten = AuditLog()
    for number in range(4):
        rewritten.append("case_viewed", case_id=None, number=number + 100)
    other_case = desk_world.case().with_report()
    export = desk_world.export_v2("b.zip", [other_case], org=org, audit=rewritten)
    with pytest.raises(RollbackError, match="audit trail was rewritten since your last export"):
        session.import_file(export)
    assert len(session.cases) == 1
    assert open_casebook(desk_world.key_path, desk_world.me).to_json() == book_before
    assert session.book is not None and session.book.to_json() == book_before


def test_feedback_reply_meets_only_the_feedback_deadline(desk_world: DeskWorld, org: OrgKeys, tmp_path) -> None:
    case = desk_world.case().with_report()
    session = unlock(desk_world.key_path, PASSPHRASE)
    export = desk_world.export_v2("f.zip", [case], org=org, audit=audit_log())
    session.confirm_org(session.inspect_export(export))  # type: ignore[arg-type]
    session.import_file(export)
    session.today = datetime.date(2026, 12, 1)
    (read,) = session.queue()
    assert session.deadline(read).label == "acknowledge OVERDUE by 4 days"
    session.write_reply(read, "Here is what we decided.", StatusChange("acknowledged", None, "Seen"), feedback=True)
    path, _ = session.save_reply_file(tmp_path)
    (reply,) = read_reply_file(path)
    statement = parse_statement(reply.statement)
    assert statement.feedback is True and statement.status == StatusChange("acknowledged", None, "Seen")


def test_an_import_names_the_account_changes_since_the_last_export(desk_world: DeskWorld, org: OrgKeys) -> None:
    log = audit_log()
    log.append("password_reset", day="2026-11-30", actor="sam (admin)", account="ana (reviewer)")
    first = desk_world.export_v2("first.zip", [desk_world.standard_case()], org=org, audit=log)
    session = unlock(desk_world.key_path, PASSPHRASE)
    with pytest.raises(OrgConfirmationNeeded) as asked:
        session.import_file(first)
    session.confirm_org(asked.value.signed)
    summary = session.import_file(first)
    assert summary.account_changes == ["2026-11-30 (entry 4): sam (admin) reset the password of 'ana (reviewer)'"]
    log.append("case_viewed", case_id=None, number=9)
    again = desk_world.export_v2("second.zip", [desk_world.standard_case()], org=org, audit=log)
    assert session.import_file(again).account_changes == []  # nothing new since the first
