"""`python -m crypto decrypt`: the readable case folder (docs/format.md §11)."""

import datetime
import html.parser
import os
import unicodedata
from pathlib import Path

import pytest
from cli_support import assert_one_line_error
from export_builder import CaseBuilder, write_export

from crypto.bundle import BundleCase, TimelineEntry, timeline_entry
from crypto.casefolder import case_deadline, clean_text, numbered_name, safe_file_name
from crypto.codename import derive_reporter_keys, generate_codename
from crypto.files import TEMP_PREFIX
from crypto.reply import StatusChange
from crypto.submission import ReporterPublic

NASTY_NAMES = [
    "../../etc/passwd",
    "con.txt",
    "dir/with/slashes.pdf",
    "back\\slash.doc",
    "nul\x00byte.txt",
    "new\nline.txt",
    "x" * 250 + ".pdf",  # the manifest allows 255 characters; the folder allows 100
    ".bashrc",
    "..",
    "",
    "evil\u202egpj.exe",
    "photo.jpg",
    "PHOTO.JPG",
    "photo.jpg",
]
MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'


def all_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


class TagCollector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_self_contained(page: str) -> None:
    """No script, no embedded or external resource; links are relative and stay local."""
    collector = TagCollector()
    collector.feed(page)
    for tag, attrs in collector.tags:
        assert tag not in ("script", "img", "iframe", "object", "embed", "form", "base", "audio", "video", "svg")
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "src" not in attrs and "style" not in attrs
        for name in ("href",):
            value = attrs.get(name)
            if value is not None:
                assert ":" not in value and not value.startswith("/"), value
        if tag == "link":
            assert attrs["rel"] == "stylesheet" and attrs["href"] in ("style.css", "../style.css")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


@pytest.fixture(scope="module")
def reporter():
    return derive_reporter_keys(generate_codename(), bytes(16))


@pytest.fixture(scope="module")
def bundle_for_ben(tmp_path_factory, reviewer_kit, reporter):
    """Three cases exported for Ben: one full, one sealed to Ana only, one with a tampered attachment."""
    ana, ben = reviewer_kit["ana"], reviewer_kit["ben"]
    both = [ana.identity, ben.identity]
    full = CaseBuilder(both, reporter, {field: f"{field}: {MARKUP}" for field in ("category", "what", "who")})
    full.with_report(attachments=[(name, f"file {i}".encode()) for i, name in enumerate(NASTY_NAMES)])
    full.with_followup("2026-11-22", f"More: {MARKUP}", attachments=[("../../x.txt", b"follow-up file")])
    full.reply(ana.keys, 1, "2026-11-23", f"Reply from Ana {MARKUP}", StatusChange("acknowledged", None, "seen"))
    full.reply(ben.keys, 1, "2026-11-24", "Reply from Ben")
    full.status = "<b>acknowledged</b>"  # server-supplied text is escaped too
    other_reporter = derive_reporter_keys(generate_codename(), bytes(16))
    full.with_followup("2026-11-25", "forged by someone else", reporter=other_reporter)

    ana_only = CaseBuilder([ana.identity], reporter, {"what": "for Ana only"}, created="2026-11-21").with_report()

    tampered = CaseBuilder(both, reporter, {"what": "tampered"}, created="2026-11-22")
    tampered.with_report(attachments=[("evidence.bin", os.urandom(200_000))])
    member = next(name for name in tampered.blobs if name.endswith("/1.cnd"))
    damaged = bytearray(tampered.blobs[member])
    damaged[-100] ^= 1
    tampered.blobs[member] = bytes(damaged)

    path = tmp_path_factory.mktemp("export") / "export.zip"
    reviewers = [(ana.identity, "Ana Silva", "Chair", True), (ben.identity, "Ben <Jones>", "Adviser", False)]
    write_export(path, ben.identity, reviewers, [full, ana_only, tampered])
    return path, full, ana_only, tampered


@pytest.fixture(scope="module")
def decrypted(tmp_path_factory, run_cli, reviewer_kit, bundle_for_ben):
    path, *_ = bundle_for_ben
    out = tmp_path_factory.mktemp("cases")
    result = run_cli("decrypt", "--key", reviewer_kit["ben"].key, path, "--out", out, "--today", "2026-11-28")
    return result, out


def test_decrypt_summary_and_exit_status(decrypted, bundle_for_ben) -> None:
    result, out = decrypted
    _, full, ana_only, tampered = bundle_for_ben
    assert result.returncode == 0, result.stderr
    assert "1 cases decrypted, 2 could not be read" in result.stdout
    assert result.stderr == ""
    assert sorted(p.name for p in out.iterdir()) == sorted([full.case, "index.html", "style.css"])
    index = (out / "index.html").read_text()
    assert ana_only.case in index and "not sealed to your key" in index
    assert tampered.case in index and "failed authentication" in index


def test_case_folder_layout(decrypted, bundle_for_ben) -> None:
    _, out = decrypted
    _, full, _, _ = bundle_for_ben
    case_dir = out / full.case
    names = sorted(p.relative_to(case_dir).as_posix() for p in case_dir.rglob("*") if p.is_file())
    assert "case.html" in names and "report.txt" in names
    assert "replies.txt" in names and "timeline.txt" in names
    assert "followups/1-2026-11-22/message.txt" in names
    assert "followups/1-2026-11-22/attachments/x.txt" in names
    assert not any(name.startswith("followups/2-") for name in names)  # the forged follow-up is not written
    report = (case_dir / "report.txt").read_text()
    assert f"what: {MARKUP}" in report  # text files keep the reporter's words
    replies = (case_dir / "replies.txt").read_text()
    assert "Reply from Ana" in replies and "Reply from Ben" in replies
    assert "Ana Silva" in replies and "signature verified" in replies
    assert "Status change: acknowledged" in replies
    timeline = (case_dir / "timeline.txt").read_text()
    assert "received" in timeline and "recorded by the server (unsigned)" in timeline
    assert "signed by Ana Silva" in timeline
    html_page = (case_dir / "case.html").read_text()
    assert "NOT VERIFIED" in html_page and "different codename" in html_page
    for path in case_dir.rglob("*"):
        assert not path.name.startswith(TEMP_PREFIX)
        assert (path.stat().st_mode & 0o077) == 0, path  # plaintext is the owner's only


def test_attachment_names_are_safe_and_stay_inside(decrypted, bundle_for_ben) -> None:
    _, out = decrypted
    _, full, _, _ = bundle_for_ben
    attachments = out / full.case / "attachments"
    saved = sorted(p.name for p in attachments.iterdir())
    assert len(saved) == len(NASTY_NAMES)  # none lost, none overwritten
    contents = sorted((attachments / name).read_bytes() for name in saved)
    assert contents == sorted(f"file {i}".encode() for i in range(len(NASTY_NAMES)))
    for name in saved:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert all(ord(c) >= 32 and c != "\u202e" for c in name)
        assert len(name) <= 100 and len(name.encode()) <= 200
        assert name.split(".")[0].upper() not in ("CON", "NUL")
    assert len({name.casefold() for name in saved}) == len(saved)
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())
    assert not (out.parent / "etc").exists() and not (out.parent / "x.txt").exists()


def test_reporter_markup_is_escaped_everywhere(decrypted, bundle_for_ben) -> None:
    _, out = decrypted
    _, full, _, _ = bundle_for_ben
    for page_path in (out / "index.html", out / full.case / "case.html"):
        page = page_path.read_text()
        assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
        assert_self_contained(page)
    case_page = (out / full.case / "case.html").read_text()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in case_page
    assert "&lt;b&gt;acknowledged&lt;/b&gt;" in case_page
    assert "Ben &lt;Jones&gt;" in case_page
    css = (out / "style.css").read_text()
    assert "url(" not in css and "@import" not in css


def test_bundle_for_another_reviewer_fails_cleanly(tmp_path, run_cli, reviewer_kit, bundle_for_ben) -> None:
    path, *_ = bundle_for_ben
    out = tmp_path / "out"
    result = run_cli("decrypt", "--key", reviewer_kit["ana"].key, path, "--out", out)
    assert_one_line_error(result, contains="exported for reviewer")
    assert not out.exists()
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip at all")
    assert_one_line_error(run_cli("decrypt", "--key", reviewer_kit["ben"].key, garbage, "--out", out))
    assert_one_line_error(run_cli("decrypt", "--key", reviewer_kit["ben"].key, tmp_path / "none.zip", "--out", out))
    assert_one_line_error(run_cli("decrypt", "--key", reviewer_kit["ben"].key, path), status=2)
    assert not out.exists()


def test_overdue_cases_come_first(tmp_path, run_cli, reviewer_kit, reporter) -> None:
    ana = reviewer_kit["ana"]
    me = [ana.identity]
    on_time = CaseBuilder(me, reporter, {"what": "fine"}, created="2026-11-26", acknowledge_by="2026-12-03")
    late_ack = CaseBuilder(me, reporter, {"what": "late"}, created="2026-11-01", acknowledge_by="2026-11-08")
    acknowledged = CaseBuilder(me, reporter, {"what": "ack"}, created="2026-11-01", acknowledge_by="2026-11-08")
    acknowledged.status = "acknowledged"
    acknowledged.timeline.append(timeline_entry(day="2026-11-05", status="acknowledged", by=ana.identity.key_id))
    late_close = CaseBuilder(
        me, reporter, {"what": "old"}, created="2026-08-01", acknowledge_by="2026-08-08", feedback_by="2026-10-30"
    )
    late_close.status = "under_review"
    closed = CaseBuilder(me, reporter, {"what": "done"}, created="2026-07-01", feedback_by="2026-09-01")
    closed.status = "closed"
    closed.timeline.append(
        timeline_entry(day="2026-08-20", status="closed", outcome="upheld", reason="Found true", by=ana.identity.key_id)
    )
    cases = [on_time, late_ack, acknowledged, late_close, closed]
    for case in cases:
        case.with_report()
    bundle = write_export(tmp_path / "e.zip", ana.identity, [(ana.identity, "Ana", "", True)], cases)
    out = tmp_path / "out"
    result = run_cli("decrypt", "--key", ana.key, bundle, "--out", out, "--today", "2026-11-28")
    assert result.returncode == 0, result.stderr
    assert "5 cases decrypted, 0 could not be read" in result.stdout
    index = (out / "index.html").read_text()
    positions = {case.case: index.index(case.case) for case in cases}
    order = sorted(positions, key=positions.get)
    assert set(order[:2]) == {late_ack.case, late_close.case}  # the two overdue cases lead
    assert order[-1] == closed.case
    assert index.count('class="overdue"') == 2
    assert "not acknowledged by 2026-11-08" in index and "no feedback given by 2026-10-30" in index


def test_case_deadline_rules() -> None:
    def case(status, ack, feedback, timeline=()):
        return BundleCase(
            case="0" * 32,
            created="2026-01-01",
            status=status,
            outcome=None,
            sealed_on="browser",
            acknowledge_by=ack,
            feedback_by=feedback,
            recipients=(),
            reporter=ReporterPublic(bytes(32), bytes(32)),
            timeline=tuple(
                TimelineEntry(**dict(e, by=bytes.fromhex(e["by"]), statement=None, signature=None)) for e in timeline
            ),
            submissions=(),
            replies=(),
        )

    today = datetime.date(2026, 3, 10)
    key = bytes(8)
    ack = timeline_entry(day="2026-01-05", status="acknowledged", by=key)
    close = timeline_entry(day="2026-02-01", status="closed", outcome="upheld", reason="Found true", by=key)
    bare_close = timeline_entry(day="2026-02-01", status="closed", outcome="upheld", by=key)
    assert case_deadline(case("received", "2026-03-09", "2026-06-01"), today).overdue
    assert not case_deadline(case("received", "2026-03-10", "2026-06-01"), today).overdue  # the day itself is fine
    # The status alone says nothing: a reviewer's status change (or reply) acknowledges.
    assert case_deadline(case("acknowledged", "2026-03-01", "2026-06-01"), today).overdue
    assert not case_deadline(case("acknowledged", "2026-03-01", "2026-06-01", [ack]), today).overdue
    # Acknowledging is not feedback.
    late = case_deadline(case("under_review", "2026-01-08", "2026-03-09", [ack]), today)
    assert late.overdue and "no feedback given by 2026-03-09" in late.description
    # Closing counts as feedback only with an outcome and a reason.
    assert not case_deadline(case("closed", "2026-01-08", "2026-03-09", [close]), today).overdue
    assert case_deadline(case("closed", "2026-01-08", "2026-03-09", [bare_close]), today).overdue
    assert case_deadline(case("closed", None, None), today).description == "closed"


def test_swapped_reply_key_is_flagged(tmp_path, run_cli, reviewer_kit, reporter) -> None:
    ana = reviewer_kit["ana"]
    attacker = derive_reporter_keys(generate_codename(), bytes(16))
    case = CaseBuilder([ana.identity], reporter, {"what": "x"}).with_report()
    case.server_reporter = ReporterPublic(attacker.reply_public_key, reporter.sign_public_key)
    bundle = write_export(tmp_path / "e.zip", ana.identity, [(ana.identity, "Ana", "", True)], [case])
    out = tmp_path / "out"
    assert run_cli("decrypt", "--key", ana.key, bundle, "--out", out).returncode == 0
    page = (out / case.case / "case.html").read_text()
    assert 'class="warning"' in page and "swapped" in page


def test_decrypting_again_replaces_the_case_folder(tmp_path, run_cli, reviewer_kit, reporter) -> None:
    ana = reviewer_kit["ana"]
    first = CaseBuilder([ana.identity], reporter, {"what": "first"}).with_report()
    second = CaseBuilder([ana.identity], reporter, {"what": "second"}).with_report()
    reviewers = [(ana.identity, "Ana", "", True)]
    out = tmp_path / "out"
    bundle = write_export(tmp_path / "1.zip", ana.identity, reviewers, [first])
    assert run_cli("decrypt", "--key", ana.key, bundle, "--out", out).returncode == 0
    (out / first.case / "stale.txt").write_text("from before")
    first.with_followup("2026-11-27", "a new follow-up")
    bundle = write_export(tmp_path / "2.zip", ana.identity, reviewers, [first, second])
    assert run_cli("decrypt", "--key", ana.key, bundle, "--out", out).returncode == 0
    assert not (out / first.case / "stale.txt").exists()
    assert (out / first.case / "followups" / "1-2026-11-27" / "message.txt").exists()
    bundle = write_export(tmp_path / "3.zip", ana.identity, reviewers, [second])
    assert run_cli("decrypt", "--key", ana.key, bundle, "--out", out).returncode == 0
    index = (out / "index.html").read_text()
    assert "earlier exports" in index and first.case in index
    assert not any(p.name.startswith(TEMP_PREFIX) for p in out.iterdir())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("con.txt", "_con.txt"),
        ("NUL", "_NUL"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("a/b\\c.txt", "a_b_c.txt"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        ("new\nline.txt", "newline.txt"),
        (".hidden", "hidden"),
        ("..", "fallback"),
        ("", "fallback"),
        ("   ", "fallback"),
        ("trailing. . ", "trailing"),
        ('what?<>:"|*.pdf', "what_______.pdf"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("report.pdf", "report.pdf"),
    ],
)
def test_safe_file_name(name, expected) -> None:
    assert safe_file_name(name, "fallback") == expected


def test_safe_file_name_caps_length_and_keeps_the_extension() -> None:
    name = safe_file_name("x" * 300 + ".pdf", "f")
    assert len(name) == 100 and name.endswith(".pdf")
    wide = safe_file_name("é" * 150 + ".txt", "f")
    assert len(wide.encode("utf-8")) <= 200 and wide.endswith(".txt")


def test_numbered_names_ignore_case() -> None:
    taken: set[str] = set()
    assert [numbered_name(n, taken) for n in ("a.pdf", "A.pdf", "a.pdf", "b")] == [
        "a.pdf",
        "A (2).pdf",
        "a (3).pdf",
        "b",
    ]


def test_clean_text_defuses_terminal_escapes() -> None:
    assert clean_text("ok\n\ttab\x1b[2J\rbell\x07") == "ok\n\ttab\\x1b[2J\\x0dbell\\x07"


def test_cases_are_published_in_batches(tmp_path, reviewer_kit, reporter, monkeypatch) -> None:
    """Several batches, an unreadable case in the middle of one: every readable case is
    written whole, the unreadable one leaves nothing, and no staging folder remains."""
    import crypto.casefolder as casefolder
    import crypto.casefolder.write as casefolder_write
    from crypto.bundle import open_bundle

    monkeypatch.setattr(casefolder_write, "CASES_PER_BATCH", 2)
    ana, ben = reviewer_kit["ana"], reviewer_kit["ben"]
    cases = [CaseBuilder([ana.identity], reporter, {"what": f"case {n}"}).with_report() for n in range(5)]
    not_mine = CaseBuilder([ben.identity], reporter, {"what": "for Ben only"}).with_report()
    cases.insert(3, not_mine)
    bundle_path = write_export(tmp_path / "e.zip", ana.identity, [(ana.identity, "Ana", "", True)], cases)
    out = tmp_path / "out"
    with open_bundle(bundle_path, ana.keys) as bundle:
        summary = casefolder.write_case_folders(bundle, ana.keys, out, datetime.date(2026, 11, 28))
    assert [r.case.case for r in summary.written] == [c.case for c in cases if c is not not_mine]
    assert [u.case.case for u in summary.unreadable] == [not_mine.case]
    for case in cases:
        if case is not_mine:
            assert not (out / case.case).exists()
        else:
            files = {p.name for p in (out / case.case).iterdir()}
            assert files == {"case.html", "report.txt", "replies.txt", "timeline.txt"}
            assert case.fields["what"] in (out / case.case / "report.txt").read_text()
    assert not any(p.name.startswith(TEMP_PREFIX) for p in out.iterdir())


def test_clean_text_table_matches_the_character_rule() -> None:
    sample = "".join(chr(c) for c in range(0, 0x3000)) + "\u202e\u2028\u2029\ufeff\U0001f600"
    expected = "".join(
        c
        if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Cs")
        else (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")
        for c in sample.replace("\r\n", "\n")
    )
    assert clean_text(sample) == expected
