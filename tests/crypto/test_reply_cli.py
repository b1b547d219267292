"""`python -m crypto reply` and `verify` of reply files, end to end through the real CLI."""

import json

import pytest

from tests.support.cli_support import assert_one_line_error
from tests.support.export_builder import CaseBuilder, write_export

from crypto.codename import derive_reporter_keys, generate_codename
from crypto.identity import b64url, generate_org_keys, unb64url
from crypto.org import ListedReviewer, sign_reviewer_list
from crypto.reply import (
    StatusChange,
    open_reply_for_reporter,
    open_reply_for_reviewer,
    parse_statement,
    verify_reply_signature,
)
from crypto.replyfile import read_reply_file
from crypto.submission import ReporterPublic


@pytest.fixture(scope="module")
def reporter():
    return derive_reporter_keys(generate_codename(), bytes(16))


@pytest.fixture(scope="module")
def org():
    return generate_org_keys("Acme Ltd")


@pytest.fixture
def two_cases(tmp_path, reviewer_kit, reporter):
    """An export for Ana: case A (Ana and Ben; Ana already replied twice), case B (Ana only)."""
    ana, ben = reviewer_kit["ana"], reviewer_kit["ben"]
    case_a = CaseBuilder([ana.identity, ben.identity], reporter, {"what": "case A"}).with_report(
        attachments=[("proof.txt", b"proof")]
    )
    case_a.reply(ana.keys, 1, "2026-11-23", "first", StatusChange("acknowledged", None, ""))
    case_a.reply(ana.keys, 2, "2026-11-24", "second")
    case_a.reply(ben.keys, 1, "2026-11-24", "ben's")
    case_b = CaseBuilder([ana.identity], reporter, {"what": "case B"}).with_report()
    reviewers = [(ana.identity, "Ana Silva", "Chair", True), (ben.identity, "Ben Jones", "Adviser", False)]
    bundle = write_export(tmp_path / "export.zip", ana.identity, reviewers, [case_a, case_b])
    (tmp_path / "message.txt").write_text("Thank you for your report.\nWe are looking into it.\n")
    return bundle, case_a, case_b


def known(reviewer_kit):
    return {kit.identity.key_id: kit.identity for kit in reviewer_kit.values()}


def test_reply_is_sealed_to_the_signed_reply_key_and_numbered(tmp_path, run_cli, reviewer_kit, reporter, two_cases):
    bundle, case_a, case_b = two_cases
    ana, ben = reviewer_kit["ana"], reviewer_kit["ben"]
    replies = tmp_path / "replies.json"
    base = ("reply", "--key", ana.key, "--bundle", bundle, "--message-file", tmp_path / "message.txt", "-o", replies)
    first = run_cli(*base, "--case", case_a.case, "--status", "under_review", "--reason", "investigating")
    assert first.returncode == 0, first.stderr
    assert "reply 3" in first.stdout and ben.identity.fingerprint in first.stdout
    second = run_cli(*base, "--case", case_a.case)
    assert second.returncode == 0, second.stderr
    third = run_cli(*base, "--case", case_b.case.upper())  # case ids are read case-insensitively
    assert third.returncode == 0, third.stderr

    stored = read_reply_file(replies)
    statements = [verify_reply_signature(reply, known(reviewer_kit)) for reply in stored]
    assert [(s.case, s.seq) for s in statements] == [(case_a.case, 3), (case_a.case, 4), (case_b.case, 1)]
    assert statements[0].status == StatusChange("under_review", None, "investigating")
    assert statements[1].status is None
    for reply in stored:
        body = open_reply_for_reporter(reply, reporter.reply_secret_key, reporter.reply_public_key)
        assert body.text == "Thank you for your report.\nWe are looking into it."
    # The reviewers' copy opens for everyone on the case, and only them.
    assert open_reply_for_reviewer(stored[0], ben.keys).text.startswith("Thank you")
    assert open_reply_for_reviewer(stored[0], ana.keys).seq == 3
    with pytest.raises(Exception, match="not sealed to your key"):
        open_reply_for_reviewer(stored[2], ben.keys)


def test_message_and_reason_files_have_their_line_ends_read_as_lf(tmp_path, run_cli, reviewer_kit, reporter, two_cases):
    # docs/format.md §15 (replies): CR LF and lone CR become LF, every trailing LF goes, nothing else changes.
    bundle, case_a, _ = two_cases
    ana = reviewer_kit["ana"]
    (tmp_path / "windows.txt").write_bytes(b"Thank you.\r\nWe are on it.\rMore soon.\r\n\r\n")
    (tmp_path / "reason.txt").write_bytes(b"Looking\r\ninto it\r\n")
    replies = tmp_path / "replies.json"
    result = run_cli(
        "reply", "--key", ana.key, "--bundle", bundle, "--case", case_a.case, "--message-file",
        tmp_path / "windows.txt", "--status", "under_review", "--reason-file", tmp_path / "reason.txt", "-o", replies,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (stored,) = read_reply_file(replies)
    statement = verify_reply_signature(stored, known(reviewer_kit))
    assert statement.status == StatusChange("under_review", None, "Looking\ninto it")
    body = open_reply_for_reporter(stored, reporter.reply_secret_key, reporter.reply_public_key)
    assert body.text == "Thank you.\nWe are on it.\nMore soon."


def test_reply_refuses_a_swapped_reply_key(tmp_path, run_cli, reviewer_kit, reporter):
    ana = reviewer_kit["ana"]
    server_key_holder = derive_reporter_keys(generate_codename(), bytes(16))
    case = CaseBuilder([ana.identity], reporter, {"what": "x"}).with_report()
    case.server_reporter = ReporterPublic(server_key_holder.reply_public_key, reporter.sign_public_key)
    bundle = write_export(tmp_path / "e.zip", ana.identity, [(ana.identity, "Ana", "", True)], [case])
    (tmp_path / "m.txt").write_text("hello")
    replies = tmp_path / "replies.json"
    result = run_cli(
        "reply", "--key", ana.key, "--bundle", bundle, "--case", case.case,
        "--message-file", tmp_path / "m.txt", "-o", replies,
    )  # fmt: skip
    assert_one_line_error(result, contains="swapped")
    assert not replies.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.zip", "m.txt"]


def test_reply_refuses_a_reviewer_the_report_was_not_sealed_to(tmp_path, run_cli, reviewer_kit, reporter):
    """A server that adds its own key to a case must not get a readable copy of the replies."""
    ana, ben = reviewer_kit["ana"], reviewer_kit["ben"]
    case = CaseBuilder([ana.identity], reporter, {"what": "x"}).with_report()
    case.server_recipients = [ana.identity, ben.identity]  # ben stands in for the server's own key
    reviewers = [(ana.identity, "Ana", "", True), (ben.identity, "Ben", "", False)]
    bundle = write_export(tmp_path / "e.zip", ana.identity, reviewers, [case])
    (tmp_path / "m.txt").write_text("hello")
    replies = tmp_path / "replies.json"
    result = run_cli(
        "reply", "--key", ana.key, "--bundle", bundle, "--case", case.case,
        "--message-file", tmp_path / "m.txt", "-o", replies,
    )  # fmt: skip
    assert_one_line_error(result, contains="was not sealed to that key")
    assert not replies.exists()


def test_reply_errors(tmp_path, run_cli, reviewer_kit, two_cases):
    bundle, case_a, _ = two_cases
    ana, cat = reviewer_kit["ana"], reviewer_kit["cat"]
    message = tmp_path / "message.txt"
    out = tmp_path / "out.json"

    def reply(*extra, key=ana.key, case=case_a.case, message_file=message, **kwargs):
        return run_cli(
            "reply", "--key", key, "--bundle", bundle, "--case", case, "--message-file", message_file, "-o", out,
            *extra, **kwargs,
        )  # fmt: skip

    assert_one_line_error(reply("--outcome", "upheld"), status=2, contains="--status")
    assert_one_line_error(reply("--reason", "x", "--reason-file", message), status=2)
    assert_one_line_error(reply(case="1234"), status=2, contains="--case")
    assert_one_line_error(reply(case="ab" * 16), contains="not in this export")
    assert_one_line_error(reply(message_file=tmp_path / "missing.txt"), contains="missing.txt")
    (tmp_path / "empty.txt").write_text("")
    assert_one_line_error(reply(message_file=tmp_path / "empty.txt"), contains="needs text")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    assert_one_line_error(reply(message_file=tmp_path / "latin1.txt"), contains="UTF-8")
    assert_one_line_error(reply(key=cat.key), contains="exported for reviewer")
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    assert_one_line_error(reply(passphrase=wrong), contains="wrong passphrase")
    assert not out.exists()
    out.write_text("{not a reply file")
    assert_one_line_error(reply(), contains="reply file")
    assert out.read_text() == "{not a reply file"
    # An empty text is fine with a status change.
    out.unlink()
    result = reply("--status", "closed", "--outcome", "upheld", message_file=tmp_path / "empty.txt")
    assert result.returncode == 0, result.stderr
    assert parse_statement(read_reply_file(out)[0].statement).status == StatusChange("closed", "upheld", "")


@pytest.fixture
def signed_list(tmp_path, org, reviewer_kit):
    entries = [ListedReviewer(reviewer_kit[n].identity, n.title(), "", False) for n in ("ana", "ben")]
    path = tmp_path / "reviewers.signed.json"
    path.write_bytes(sign_reviewer_list(org, entries, 1, "2026-11-01"))
    return path


def test_verify_reply_file(tmp_path, run_cli, reviewer_kit, two_cases, signed_list, org):
    bundle, case_a, case_b = two_cases
    replies = tmp_path / "replies.json"
    for case in (case_a, case_b):
        result = run_cli(
            "reply", "--key", reviewer_kit["ana"].key, "--bundle", bundle, "--case", case.case,
            "--message-file", tmp_path / "message.txt", "-o", replies,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    checked = run_cli("verify", replies, "--reviewers", signed_list, "--org-fingerprint", org.public.fingerprint)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count(": OK") == 2 and "Ana" in checked.stdout
    alone = run_cli("verify", replies)
    assert alone.returncode == 0, alone.stderr
    assert "not who that is" in alone.stdout

    # A list without Ana: her replies are refused.
    ben_only = tmp_path / "ben-only.json"
    ben_only.write_bytes(
        sign_reviewer_list(org, [ListedReviewer(reviewer_kit["ben"].identity, "Ben", "", False)], 2, "2026-11-02")
    )
    refused = run_cli("verify", replies, "--reviewers", ben_only)
    assert_one_line_error(refused, contains="2 of 2 replies")
    assert refused.stdout.count("FAILED") == 2 and "not a known reviewer" in refused.stdout

    # One altered byte in a sealed copy: that reply fails, the other still checks.
    document = json.loads(replies.read_text())
    sealed = bytearray(unb64url(document["replies"][1]["for_reporter"]))
    sealed[10] ^= 1
    document["replies"][1]["for_reporter"] = b64url(bytes(sealed))
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    for extra in ((), ("--reviewers", signed_list)):
        result = run_cli("verify", tampered, *extra)
        assert_one_line_error(result, contains="1 of 2 replies")
        assert "reply 1: OK" in result.stdout and "reply 2: FAILED" in result.stdout
    assert_one_line_error(run_cli("verify", replies, "--org", signed_list), status=2, contains="--reviewers")
    other_org = generate_org_keys("Other")
    assert_one_line_error(
        run_cli("verify", replies, "--reviewers", signed_list, "--org-fingerprint", other_org.public.fingerprint),
        contains="not the expected",
    )
