"""Issue 11: a server that controls everything it stores cannot fool the offline kit.

Every export here is built from only what a server holds: the reviewers' public
identities, the organisation-signed list it was given, the sealed blobs, its database
(tests/support/export_builder.py writes bundles exactly as the portal does). The kit runs
as the reviewer runs it: `python -m crypto` in a subprocess, with a casebook.
"""

import datetime
import html
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli_support import PASSPHRASE, assert_one_line_error
from tests.support.export_builder import WORKFLOW, AuditLog, CaseBuilder, signed_list_document, write_export

from crypto.audit_chain import AuditEntry, entry_hash
from crypto.casebook import casebook_path, create_casebook, open_casebook
from crypto.codename import derive_reporter_keys, generate_codename
from crypto.identity import ReviewerKeys, generate_org_keys, generate_reviewer_keys, save_private_key
from crypto.org import ListedReviewer, sign_reviewer_list
from crypto.reply import StatusChange, parse_statement
from crypto.replyfile import read_reply_file, write_reply_file

DAY = "2026-11-28"


@dataclass(frozen=True)
class Reviewer:
    keys: ReviewerKeys
    key: Path

    @property
    def identity(self):
        return self.keys.public

    @property
    def key_id(self):
        return self.keys.key_id


@pytest.fixture(scope="module")
def org():
    return generate_org_keys("Example Union")


@pytest.fixture(scope="module")
def server():
    """The server's own key, which it tries to pass off as a colleague's."""
    return generate_reviewer_keys("Ben Jones")


@pytest.fixture(scope="module")
def reporter():
    return derive_reporter_keys(generate_codename(), bytes(16))


@pytest.fixture(scope="module")
def fabricated_reporter():
    return derive_reporter_keys(generate_codename(), bytes(16))


@pytest.fixture
def team(tmp_path):
    """Ana (who decrypts), Ben and Cat, each with a key file and a fresh casebook."""
    folder = tmp_path / "keys"
    folder.mkdir()
    team = {}
    for name in ("ana", "ben", "cat"):
        keys = generate_reviewer_keys(name)
        key = folder / f"{name}.key"
        save_private_key(keys, key, PASSPHRASE, "interactive")
        create_casebook(key, keys)
        team[name] = Reviewer(keys, key)
    return team


def signed_list(org, team, serial=2, names=("ana", "ben", "cat")):
    entries = [ListedReviewer(team[n].identity, n.title(), "adviser", False) for n in names]
    return signed_list_document(sign_reviewer_list(org, entries, serial, datetime.date(2026, 11, 1)))


def export(path, team, cases, *, listed, audit=None, listing=None):
    """An export for Ana: the server's reviewer list (`listing`) and the signed one (`listed`)."""
    reviewers = listing or [(team[n].identity, n.title(), "adviser", False) for n in ("ana", "ben", "cat")]
    return write_export(
        path,
        team["ana"].identity,
        reviewers,
        cases,
        DAY,
        signed_list=listed,
        workflow=WORKFLOW,
        audit=audit if audit is not None else AuditLog().section(),
    )


def decrypt(run_cli, team, bundle, out, *extra):
    return run_cli("decrypt", "--key", team["ana"].key, bundle, "--out", out, "--today", DAY, *extra)


def everything_under(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def first_use(org):
    return ("--org-fingerprint", org.public.fingerprint)


# --- case replacement ----------------------------------------------------------------------


def test_a_replaced_case_is_refused_the_earlier_copy_survives_and_reply_refuses(
    tmp_path, run_cli, team, org, reporter, fabricated_reporter
):
    ana, ben = team["ana"], team["ben"]
    genuine = CaseBuilder([ana.identity, ben.identity], reporter, {"what": "the genuine report"}, status="new")
    genuine.with_report(attachments=[("evidence.txt", b"genuine evidence")])
    listed = signed_list(org, team)
    out = tmp_path / "cases"
    first = decrypt(run_cli, team, export(tmp_path / "1.zip", team, [genuine], listed=listed), out, *first_use(org))
    assert first.returncode == 0, first.stderr

    # The server: same case id, its own reporter keys, a fabricated report sealed to the real reviewers.
    fake = CaseBuilder(
        [ana.identity, ben.identity],
        fabricated_reporter,
        {"what": "a fabricated report"},
        status="new",
        case_id=genuine.case_id,
    ).with_report()
    second_bundle = export(tmp_path / "2.zip", team, [fake], listed=listed)
    second = decrypt(run_cli, team, second_bundle, out)
    assert second.returncode == 0, second.stderr
    assert f"REFUSED case {genuine.case}" in second.stdout
    assert f"the server sent a different report under case {genuine.case}" in second.stdout
    assert "the genuine report" in (out / genuine.case / "report.txt").read_text()
    assert (out / genuine.case / "attachments" / "evidence.txt").read_bytes() == b"genuine evidence"
    assert "fabricated report" not in everything_under(out)
    assert "REFUSED" in (out / "index.html").read_text()

    # reply refuses to seal anything to the server's key.
    (tmp_path / "msg.txt").write_text("We are on it.")
    replies = tmp_path / "replies.json"
    refused = run_cli(
        "reply",
        "--key",
        ana.key,
        "--bundle",
        second_bundle,
        "--case",
        genuine.case,
        "--message-file",
        tmp_path / "msg.txt",
        "-o",
        replies,
    )
    assert_one_line_error(refused, contains=f"different report under case {genuine.case}")
    assert not replies.exists()
    # The genuine case still gets its reply, sealed to the genuine reporter.
    ok = run_cli(
        "reply",
        "--key",
        ana.key,
        "--bundle",
        tmp_path / "1.zip",
        "--case",
        genuine.case,
        "--message-file",
        tmp_path / "msg.txt",
        "-o",
        replies,
    )
    assert ok.returncode == 0, ok.stderr
    statement = parse_statement(read_reply_file(replies)[0].statement)
    assert statement.reporter_reply_key == reporter.reply_public_key


def test_same_reporter_keys_other_content_is_refused_too(tmp_path, run_cli, team, org, reporter):
    ana = team["ana"]
    genuine = CaseBuilder([ana.identity], reporter, {"what": "first words"}, status="new").with_report()
    listed = signed_list(org, team)
    out = tmp_path / "cases"
    assert (
        decrypt(
            run_cli, team, export(tmp_path / "1.zip", team, [genuine], listed=listed), out, *first_use(org)
        ).returncode
        == 0
    )
    # The server cannot sign as the reporter, so it can only replay other signed content;
    # an honest re-export of the same report is accepted and the earlier copy is kept.
    again = decrypt(run_cli, team, export(tmp_path / "2.zip", team, [genuine], listed=listed), out)
    assert again.returncode == 0 and "REFUSED" not in again.stdout
    assert (out / "earlier-copies" / f"{genuine.case}-1" / "report.txt").is_file()
    assert f"earlier-copies/{genuine.case}-1/case.html" in (out / "index.html").read_text()


# --- forged colleague, added recipient, differently signed follow-up ------------------------


def test_a_forged_colleague_is_not_verified(tmp_path, run_cli, team, org, reporter, server):
    ana, ben, cat = team["ana"], team["ben"], team["cat"]
    case = CaseBuilder([ana.identity, ben.identity], reporter, {"what": "report"}, status="new").with_report()
    # The server lists its own key under Ben's name (the signed list does not have it)…
    case.recipients.append(server.public)  # so its reply is sealed like a genuine one
    case.reply(server, 1, "2026-11-25", "Please send us your name.", StatusChange("closed", "not_upheld", "No case"))
    case.recipients.pop()
    # …and Cat, who is on the signed list but not on this case, "replies" too.
    case.recipients.append(cat.identity)
    case.reply(cat.keys, 1, "2026-11-26", "Case closed.")
    case.recipients.pop()
    case.reply(ben.keys, 1, "2026-11-26", "Genuine reply from Ben.")
    listing = [
        (ana.identity, "Ana", "adviser", False),
        (server.public, "Ben Jones", "adviser", False),
        (cat.identity, "Cat", "adviser", False),
    ]
    out = tmp_path / "cases"
    bundle = export(tmp_path / "e.zip", team, [case], listed=signed_list(org, team), listing=listing)
    result = decrypt(run_cli, team, bundle, out, *first_use(org))
    assert result.returncode == 0, result.stderr
    page = (out / case.case / "case.html").read_text()
    replies = (out / case.case / "replies.txt").read_text()
    assert "Please send us your name" not in page
    assert f"signed by key id {server.key_id.hex()}, which is not a known reviewer" in replies
    assert f"Cat (cat), key id {cat.key_id.hex()}, fingerprint {cat.identity.fingerprint}, who is not one of" in replies
    assert (
        f"signature verified: Ben (ben), key id {ben.key_id.hex()}, fingerprint {ben.identity.fingerprint}" in replies
    )
    timeline = (out / case.case / "timeline.txt").read_text()
    assert "closed (not_upheld)" in timeline and "NOT VERIFIED" in timeline
    assert 'class="failed"' in page


def test_the_unsigned_mode_says_so_on_every_page(tmp_path, run_cli, team, reporter):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    case.reply(ana.keys, 1, "2026-11-25", "Hello")
    out = tmp_path / "cases"
    result = decrypt(run_cli, team, export(tmp_path / "e.zip", team, [case], listed=None), out)
    assert result.returncode == 0, result.stderr
    warning = "reviewer list not signed: signatures checked against the server's own list"
    assert warning in result.stdout
    for page in ("index.html", f"{case.case}/case.html", f"{case.case}/replies.txt", f"{case.case}/timeline.txt"):
        assert warning in html.unescape((out / page).read_text()), page


def test_dropping_the_signed_list_after_pinning_verifies_nothing(tmp_path, run_cli, team, org, reporter):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    case.reply(ana.keys, 1, "2026-11-25", "Hello")
    out = tmp_path / "cases"
    assert (
        decrypt(
            run_cli, team, export(tmp_path / "1.zip", team, [case], listed=signed_list(org, team)), out, *first_use(org)
        ).returncode
        == 0
    )
    result = decrypt(run_cli, team, export(tmp_path / "2.zip", team, [case], listed=None), out)
    assert result.returncode == 0
    assert "carries no organisation-signed reviewer list" in (out / case.case / "case.html").read_text()
    assert "signature verified" not in (out / case.case / "replies.txt").read_text()


def test_an_added_recipient_is_flagged_and_reply_refuses(tmp_path, run_cli, team, org, reporter, server):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    case.server_recipients = [ana.identity, server.public]
    listing = [(ana.identity, "Ana", "adviser", False), (server.public, "Ben Jones", "adviser", False)]
    bundle = export(tmp_path / "e.zip", team, [case], listed=signed_list(org, team), listing=listing)
    out = tmp_path / "cases"
    result = decrypt(run_cli, team, bundle, out, *first_use(org))
    assert result.returncode == 0, result.stderr
    assert "the report was not sealed to that key" in (out / case.case / "case.html").read_text()
    (tmp_path / "msg.txt").write_text("Hi")
    refused = run_cli(
        "reply",
        "--key",
        ana.key,
        "--bundle",
        bundle,
        "--case",
        case.case,
        "--message-file",
        tmp_path / "msg.txt",
        "-o",
        tmp_path / "r.json",
    )
    assert_one_line_error(refused, contains="the report was not sealed to that key")


def test_a_differently_signed_followup_is_refused(tmp_path, run_cli, team, org, reporter, fabricated_reporter):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    case.with_followup("2026-11-22", "genuine follow-up")
    case.with_followup("2026-11-23", "fabricated follow-up", reporter=fabricated_reporter)
    out = tmp_path / "cases"
    result = decrypt(
        run_cli, team, export(tmp_path / "e.zip", team, [case], listed=signed_list(org, team)), out, *first_use(org)
    )
    assert result.returncode == 0, result.stderr
    page = (out / case.case / "case.html").read_text()
    assert "Follow-up 2 of 2026-11-23 was REFUSED and is not shown" in page
    assert "genuine follow-up" in everything_under(out) and "fabricated follow-up" not in everything_under(out)


# --- rollback, rewritten history, damaged casebook: a clear message and no change -----------------


def test_a_rolled_back_list_is_refused_and_nothing_changes(tmp_path, run_cli, team, org, reporter):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    out = tmp_path / "cases"
    assert (
        decrypt(
            run_cli,
            team,
            export(tmp_path / "1.zip", team, [case], listed=signed_list(org, team, 3)),
            out,
            *first_use(org),
        ).returncode
        == 0
    )
    before = casebook_path(ana.key).read_bytes()
    newer = CaseBuilder([ana.identity], reporter, {"what": "new case"}, status="new").with_report()
    old_list = export(tmp_path / "2.zip", team, [newer], listed=signed_list(org, team, 2))
    assert_one_line_error(decrypt(run_cli, team, old_list, out), contains="older than serial 3")
    assert casebook_path(ana.key).read_bytes() == before
    assert not (out / newer.case).exists()
    assert open_casebook(ana.key, ana.keys).list_serial == 3


def test_another_organisation_key_or_a_wrong_fingerprint_is_refused(tmp_path, run_cli, team, org, reporter):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    bundle = export(tmp_path / "1.zip", team, [case], listed=signed_list(org, team))
    out = tmp_path / "cases"
    assert_one_line_error(decrypt(run_cli, team, bundle, out), contains="--org-fingerprint")
    impostor = generate_org_keys("Example Union")
    wrong = decrypt(run_cli, team, bundle, out, "--org-fingerprint", impostor.public.fingerprint)
    assert_one_line_error(wrong, contains="not the fingerprint of the organisation key")
    assert open_casebook(ana.key, ana.keys).org is None
    assert decrypt(run_cli, team, bundle, out, *first_use(org)).returncode == 0
    other = export(tmp_path / "2.zip", team, [case], listed=signed_list(impostor, team, 9))
    assert_one_line_error(decrypt(run_cli, team, other, out), contains="another organisation key")


def _rewritten(log: AuditLog, seq: int) -> AuditLog:
    """The server edits entry `seq` and recomputes the chain from there (it holds the database)."""
    entries, prev = [], bytes(32)
    for entry in log.entries:
        if entry.seq == seq:
            entry = AuditEntry(entry.seq, entry.day, entry.actor, "reviewer_removed", entry.case_id, entry.details, b"")
        if entry.seq >= seq:
            entry = AuditEntry(
                entry.seq, entry.day, entry.actor, entry.action, entry.case_id, entry.details, entry_hash(prev, entry)
            )
        entries.append(entry)
        prev = entry.entry_hash
    return AuditLog(entries)


def _first_audited_export(tmp_path, run_cli, team, org, reporter, log):
    """Ana's first export with `log` as its audit trail, decrypted (the organisation key confirmed)."""
    case = CaseBuilder([team["ana"].identity], reporter, {"what": "report"}, status="new").with_report()
    listed = signed_list(org, team)
    out = tmp_path / "cases"
    bundle = export(tmp_path / "1.zip", team, [case], listed=listed, audit=log.section())
    first = decrypt(run_cli, team, bundle, out, *first_use(org))
    assert first.returncode == 0, first.stderr
    return case, listed, out, first


def test_a_rewritten_audit_trail_is_refused_an_honest_one_extends(tmp_path, run_cli, team, org, reporter):
    ana = team["ana"]
    log = AuditLog()
    for action in ("instance_created", "reviewer_added", "reviewer_added"):
        log.append(action, key_id="00" * 8)
    case, listed, out, _first = _first_audited_export(tmp_path, run_cli, team, org, reporter, log)
    log.append("export", case_id=case.case)
    honest = decrypt(
        run_cli, team, export(tmp_path / "2.zip", team, [case], listed=listed, audit=log.section(after=3)), out
    )
    assert honest.returncode == 0 and "extends your last export" in honest.stdout
    assert "changes to accounts and reviewers" not in honest.stdout  # only an export since: nothing to say
    before = casebook_path(ana.key).read_bytes()
    forged = _rewritten(log, 2)
    forged.append("export", case_id=case.case)
    refused = decrypt(
        run_cli, team, export(tmp_path / "3.zip", team, [case], listed=listed, audit=forged.section()), out
    )
    assert_one_line_error(refused, contains="the organisation's audit trail was rewritten since your last export")
    assert casebook_path(ana.key).read_bytes() == before


def test_a_damaged_or_missing_casebook_is_a_clear_error_with_the_recovery(tmp_path, run_cli, team, org, reporter):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    bundle = export(tmp_path / "1.zip", team, [case], listed=signed_list(org, team))
    out = tmp_path / "cases"
    book = casebook_path(ana.key)
    data = bytearray(book.read_bytes())
    data[-5] ^= 0x01
    book.write_bytes(bytes(data))
    assert_one_line_error(decrypt(run_cli, team, bundle, out, *first_use(org)), contains="is damaged")
    assert not (out / case.case).exists()
    assert book.read_bytes() == bytes(data)  # never silently reset
    book.unlink()
    assert_one_line_error(decrypt(run_cli, team, bundle, out, *first_use(org)), contains="there is no casebook")
    assert not book.exists()
    recovered = run_cli("casebook", "init", "--key", ana.key)
    assert recovered.returncode == 0, recovered.stderr
    assert decrypt(run_cli, team, bundle, out, *first_use(org)).returncode == 0
    assert_one_line_error(run_cli("casebook", "init", "--key", ana.key), contains="--replace")
    shown = run_cli("casebook", "show", "--key", ana.key)
    assert case.case in shown.stdout and org.public.fingerprint in shown.stdout


# --- replies checked against the workflow before they leave the machine ---------------------------


@pytest.fixture
def one_case(tmp_path, run_cli, team, org, reporter):
    ana = team["ana"]
    case = CaseBuilder([ana.identity], reporter, {"what": "report"}, status="new").with_report()
    bundle = export(tmp_path / "e.zip", team, [case], listed=signed_list(org, team))
    assert decrypt(run_cli, team, bundle, tmp_path / "cases", *first_use(org)).returncode == 0
    (tmp_path / "msg.txt").write_text("Thank you.")
    base = ("reply", "--key", ana.key, "--bundle", bundle, "--case", case.case, "--message-file", tmp_path / "msg.txt")
    return case, base, tmp_path / "replies.json"


@pytest.mark.parametrize(
    "options, message",
    [
        (
            ("--status", "resolved", "--reason", "r"),
            "is not a status of your organisation's workflow; choose one of: New (new)",
        ),
        (("--status", "closed", "--reason", "r"), "needs --outcome, one of: Upheld (upheld), Partly upheld"),
        (
            ("--status", "awaiting_reporter", "--reason", "r"),
            "Allowed from here: Acknowledged (acknowledged), In progress",
        ),
        (("--status", "acknowledged"), "requires a reason"),
        (
            ("--status", "closed", "--outcome", "dismissed", "--reason", "r"),
            "'dismissed' is not an outcome of your organisation's workflow; choose one of: Upheld (upheld)",
        ),
    ],
)
def test_invalid_status_changes_are_refused_offline_with_the_choices(run_cli, one_case, options, message):
    _case, base, replies = one_case
    result = run_cli(*base, "-o", replies, *options)
    assert_one_line_error(result)
    assert message in result.stderr, result.stderr
    assert not replies.exists()


def test_labels_are_accepted_feedback_is_signed_and_numbers_come_from_the_casebook(run_cli, team, one_case):
    case, base, replies = one_case
    first = run_cli(*base, "-o", replies, "--status", "In progress", "--reason", "Looking into it")
    assert first.returncode == 0, first.stderr
    second = run_cli(*base, "-o", replies, "--feedback")
    assert second.returncode == 0, second.stderr
    statements = [parse_statement(r.statement) for r in read_reply_file(replies)]
    assert statements[0].status == StatusChange("in_progress", None, "Looking into it")
    assert [s.feedback for s in statements] == [False, True]
    # The reply file went to the portal and was lost: the casebook still knows 1 and 2 were used.
    replies.unlink()
    third = run_cli(*base, "-o", replies)
    assert third.returncode == 0, third.stderr
    assert parse_statement(read_reply_file(replies)[0].statement).seq == 3
    assert open_casebook(team["ana"].key, team["ana"].keys).used_seqs(case.case) == {1, 2, 3}
    listed = run_cli(*base[:-2], "-o", replies, "--status", "list")
    assert listed.returncode == 0 and "Acknowledged (acknowledged)" in listed.stdout
    help_text = run_cli("reply", "--help").stdout
    assert "Not upheld (not_upheld)" in " ".join(help_text.split())


def test_casebook_round_trip(tmp_path, team, org, reporter):
    ana = team["ana"]
    book = open_casebook(ana.key, ana.keys)
    from crypto.submission import ReporterPublic

    assert book.check_case("ab" * 16, ReporterPublic.from_keys(reporter), b"h" * 32, DAY)
    book.record_reply("ab" * 16, 4)
    book.save()
    again = open_casebook(ana.key, ana.keys)
    assert again.used_seqs("ab" * 16) == {4}
    assert not again.check_case("ab" * 16, ReporterPublic.from_keys(reporter), b"h" * 32)
    other = team["ben"]
    with pytest.raises(Exception, match="belongs to another key"):
        open_casebook(ana.key, other.keys)
    assert json.dumps(again.to_json())  # plain JSON inside the sealed file


def test_verify_reads_and_updates_the_casebook(tmp_path, run_cli, team, org, one_case):
    case, base, replies = one_case
    ana = team["ana"]
    assert run_cli(*base, "-o", replies).returncode == 0
    lists = {}
    for serial in (2, 5, 4):
        lists[serial] = tmp_path / f"list-{serial}.json"
        lists[serial].write_text(json.dumps(signed_list(org, team, serial)))
    newer = run_cli("verify", lists[5], "--key", ana.key, "--org-fingerprint", org.public.fingerprint)
    assert newer.returncode == 0, newer.stderr
    assert open_casebook(ana.key, ana.keys).list_serial == 5
    assert_one_line_error(run_cli("verify", lists[4], "--key", ana.key), contains="older than serial 5")
    mine = run_cli("verify", replies, "--key", ana.key)
    assert mine.returncode == 0 and "WARNING" not in mine.stdout
    # A reply by Ana that this machine never wrote (the casebook forgot nothing: it was made elsewhere).
    elsewhere = case.reply(ana.keys, 7, "2026-11-27", "not from this machine")
    write_reply_file(tmp_path / "other.json", [elsewhere])
    other = run_cli("verify", tmp_path / "other.json", "--key", ana.key)
    assert other.returncode == 0 and "it was not written here" in other.stdout


def test_decrypt_says_which_accounts_and_reviewers_changed_since_the_last_export(
    tmp_path, run_cli, team, org, reporter
):
    log = AuditLog()
    log.append("instance_created")
    log.append("reviewer_added", key_id="00" * 8, name="Ana")
    case, listed, out, first = _first_audited_export(tmp_path, run_cli, team, org, reporter, log)
    assert "admin (admin) added the reviewer 'Ana'" in first.stdout
    log.append("second_factor_reset", day="2026-11-30", actor="sam (admin)", account="ana (reviewer)")
    second = decrypt(
        run_cli, team, export(tmp_path / "2.zip", team, [case], listed=listed, audit=log.section(after=2)), out
    )
    assert second.returncode == 0, second.stderr
    assert (
        "2026-11-30 (entry 3): sam (admin) reset the second factor (authenticator) of 'ana (reviewer)'" in second.stdout
    )
    assert "added the reviewer" not in second.stdout  # said at the export before
    assert "tell your organisation before you reply" in second.stdout
