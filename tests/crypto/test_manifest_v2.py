"""Manifest v2 (docs/format.md §10): signed_list, workflow and audit, written and read strictly."""

import copy
import datetime
import io
from pathlib import Path

import pytest
from export_builder import WORKFLOW, AuditLog, CaseBuilder, signed_list_document, write_export

from crypto.audit_chain import AuditHead, check_continuity
from crypto.bundle import BundleWriter, bundle_manifest, open_bundle
from crypto.errors import BundleError
from crypto.identity import generate_org_keys
from crypto.org import ListedReviewer, sign_reviewer_list
from crypto.strict_json import JsonReader
from crypto.workflow import WorkflowError, parse_workflow

DAY = "2026-11-28"


@pytest.fixture(scope="module")
def org():
    return generate_org_keys("Example Union")


def signed_list(org, reviewers, serial=1):
    entries = [ListedReviewer(r.public, r.name, "adviser", False) for r in reviewers]
    return signed_list_document(sign_reviewer_list(org, entries, serial, datetime.date(2026, 11, 1)))


def export(tmp_path: Path, reviewers, reporter, **v2) -> Path:
    alice = reviewers[0]
    case = CaseBuilder([alice.public], reporter, {"what": "x"}, status="new").with_report()
    listed = [(alice.public, "Alice", "adviser", False)]
    return write_export(tmp_path / "export.zip", alice.public, listed, [case], **v2)


def test_v2_round_trip(tmp_path, reviewers, reporter, org):
    log = AuditLog()
    log.append("instance_created")
    log.append("reviewer_added", key_id="00" * 8)
    listed = signed_list(org, reviewers[:1])
    path = export(tmp_path, reviewers, reporter, signed_list=listed, workflow=WORKFLOW, audit=log.section())
    with open_bundle(path, reviewers[0]) as bundle:
        assert bundle.version == 2
        assert bundle.manifest.signed_list == listed
        assert bundle.reviewer_list is not None and bundle.reviewer_list.serial == 1
        assert bundle.workflow is not None and bundle.workflow.final == "closed"
        assert bundle.workflow.resolve_status("Waiting for more information from you") == "awaiting_reporter"
        assert bundle.audit is not None and bundle.audit.head.seq == 2
        assert [e.action for e in bundle.audit.entries] == ["instance_created", "reviewer_added"]
        assert check_continuity(bundle.audit, None).ok


def test_v1_is_still_read_without_the_new_fields(tmp_path, reviewers, reporter):
    with open_bundle(export(tmp_path, reviewers, reporter), reviewers[0]) as bundle:
        assert bundle.version == 1
        assert (bundle.signed_list, bundle.workflow, bundle.audit) == (None, None, None)


def test_no_organisation_key_is_null(tmp_path, reviewers, reporter):
    path = export(tmp_path, reviewers, reporter, signed_list=None, workflow=WORKFLOW, audit=AuditLog().section())
    with open_bundle(path, reviewers[0]) as bundle:
        assert bundle.version == 2 and bundle.signed_list is None and bundle.reviewer_list is None


def _finish(reviewers, manifest_changes):
    alice = reviewers[0]
    writer = BundleWriter(io.BytesIO(), alice.public, DAY)
    manifest = bundle_manifest(
        reviewer_key_id=alice.key_id,
        day=DAY,
        since=0,
        until=0,
        reviewers=[],
        cases=[],
        signed_list=None,
        workflow=copy.deepcopy(WORKFLOW),
        audit=AuditLog().section(),
    )
    manifest_changes(manifest)
    writer.finish(manifest)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m["workflow"].update(final="archived"), "final status 'archived'"),
        (lambda m: m["workflow"]["transitions"].update(new=["gone"]), "'gone'"),
        (lambda m: m["workflow"]["statuses"].append({"name": "new", "label": "Again"}), "twice"),
        (lambda m: m["workflow"]["statuses"].append({"name": "x", "label": "Evil\u202eLabel"}), "control"),
        (lambda m: m["workflow"].pop("reason_required"), "lacks 'reason_required'"),
        (lambda m: m["audit"]["head"].update(hash="11" * 32), "head is entry 0"),
        (lambda m: m.pop("audit"), "lacks 'audit'"),
        (lambda m: m.update(signed_list={"format": "candour-reviewer-list"}), "signed reviewer list"),
        (lambda m: m.update(version=1), "unknown key"),
    ],
)
def test_malformed_v2_fields_are_refused(reviewers, change, message):
    with pytest.raises(BundleError, match=message):
        _finish(reviewers, change)


def test_a_tampered_signed_list_is_refused(reviewers, org):
    listed = signed_list(org, reviewers[:1])
    tampered = copy.deepcopy(listed)
    tampered["signature"] = listed["signature"][:-2] + ("AA" if not listed["signature"].endswith("AA") else "BA")
    with pytest.raises(BundleError, match="signed reviewer list is not valid"):
        _finish(reviewers, lambda m: m.update(signed_list=tampered))


def test_audit_continuity():
    log = AuditLog()
    for n in range(5):
        log.append("action", n=n)
    reader = JsonReader("t", error=BundleError, limit_error=BundleError)
    from crypto.audit_chain import parse_audit

    trail = parse_audit(reader, log.section())
    head3 = AuditHead(3, log.entries[2].entry_hash)
    assert check_continuity(trail, head3).ok and check_continuity(trail, head3).checked
    since3 = parse_audit(reader, log.section(after=3))
    assert check_continuity(since3, head3).ok and check_continuity(since3, head3).checked
    # The pinned entry 3 differs from the server's entry 3: rewritten.
    forged = AuditHead(3, bytes(32))
    assert not check_continuity(trail, forged).ok
    assert "rewritten" in check_continuity(since3, forged).message
    # A head older than the pinned one: rewritten (entries removed).
    assert not check_continuity(trail, AuditHead(9, bytes(32))).ok
    # An entry altered inside the export breaks the recomputed chain.
    altered = log.section()
    altered["entries"][1]["actor"] = "someone else"
    assert not check_continuity(parse_audit(reader, altered), head3).ok
    # Entries missing between the pin and the export: not checked, said so.
    since4 = parse_audit(reader, log.section(after=4))
    result = check_continuity(since4, AuditHead(2, log.entries[1].entry_hash))
    assert result.ok and not result.checked


def test_workflow_checks_changes_with_valid_choices():
    reader = JsonReader("t", error=BundleError, limit_error=BundleError)
    workflow = parse_workflow(reader, WORKFLOW)
    assert workflow.check_change("new", "Acknowledged", None, "Read it") == ("acknowledged", None)
    assert workflow.check_change("in_progress", "closed", "Not upheld", "No evidence") == ("closed", "not_upheld")
    with pytest.raises(WorkflowError, match="choose one of: New \\(new\\)"):
        workflow.check_change("new", "resolved", None, "r")
    with pytest.raises(WorkflowError, match="needs --outcome, one of: Upheld \\(upheld\\)"):
        workflow.check_change("new", "closed", None, "r")
    with pytest.raises(WorkflowError, match="Allowed from here: In progress \\(in_progress\\), Waiting"):
        workflow.check_change("acknowledged", "new", None, "r")
    with pytest.raises(WorkflowError, match="requires a reason"):
        workflow.check_change("new", "acknowledged", None, " ")
    with pytest.raises(WorkflowError, match="only 'Closed' takes an outcome"):
        workflow.check_change("new", "acknowledged", "upheld", "r")
