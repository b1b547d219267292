"""crypto.bundle: writing export bundles, and everything the reader refuses (§10)."""

import io
import json
import zipfile

import pytest

from crypto.bundle import (
    BUNDLE_JSON,
    MANIFEST_MEMBER,
    BundleWriter,
    bundle_manifest,
    case_entry,
    member_name_for_part,
    member_name_for_reply,
    open_bundle,
    reply_entry,
    reviewer_entry,
    submission_entry,
    timeline_entry,
)
from crypto.envelope import EnvelopeSealer, new_submission_id, seal_bytes
from crypto.errors import BundleError, NotARecipientError
from crypto.reply import StatusChange, make_reply, open_reply_for_reviewer, verify_statement_signature
from crypto.strict_json import dumps_compact
from crypto.submission import (
    ReporterPublic,
    attachment_info_from_sealed,
    open_submission,
    seal_submission_text_part,
)

DAY = "2026-11-28"


class NonSeekableSink(io.RawIOBase):
    """A response stream: write only, no tell, no seek."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, data):
        self.data += data
        return len(data)

    def seekable(self):
        return False

    def tell(self):
        raise OSError("not seekable")


@pytest.fixture
def export(reviewers, reporter):
    """Two cases as a server holds them: blobs by member name plus the manifest pieces."""
    alice, bob = reviewers[0], reviewers[1]
    recipients = [alice.public, bob.public]
    blobs = {}
    cases = []
    replies_made = []

    # Case 1: a report with an attachment, a follow-up, two replies and a status change.
    case1 = new_submission_id()
    attachment = io.BytesIO()
    sealer = EnvelopeSealer(attachment, recipients, case1, 1)
    sealer.write(b"%PDF-1.7 evidence" * 5000)
    info = attachment_info_from_sealed(sealer.finish(), "evidence.pdf", "application/pdf")
    part0 = io.BytesIO()
    seal_submission_text_part(
        part0, recipients, case1, "report", None, "2026-11-20", reporter, {"what": "fraud"}, [info]
    )
    blobs[member_name_for_part(case1, case1, 0)] = part0.getvalue()
    blobs[member_name_for_part(case1, case1, 1)] = attachment.getvalue()
    followup = new_submission_id()
    part0 = io.BytesIO()
    seal_submission_text_part(
        part0, recipients, followup, "followup", case1.hex(), "2026-11-22", reporter, {"message": "more"}, []
    )
    blobs[member_name_for_part(case1, followup, 0)] = part0.getvalue()
    status = StatusChange("acknowledged", None, "received")
    reply1 = make_reply(alice, case1.hex(), reporter.reply_public_key, recipients, 1, "2026-11-23", "Thanks", status)
    reply2 = make_reply(bob, case1.hex(), reporter.reply_public_key, recipients, 1, "2026-11-24", "Hello", None)
    replies_made += [reply1, reply2]
    reply_entries = []
    for signed in (reply1, reply2):
        entry = reply_entry(case1, signed.statement, signed.signature)
        blobs[entry["member"]] = signed.for_reviewers
        reply_entries.append(entry)
    cases.append(
        case_entry(
            case=case1,
            created="2026-11-20",
            status="acknowledged",
            outcome=None,
            sealed_on="browser",
            acknowledge_by="2026-11-27",
            feedback_by="2027-02-20",
            recipients=[alice.key_id, bob.key_id.hex()],
            reporter=ReporterPublic.from_keys(reporter),
            timeline=[
                timeline_entry(day="2026-11-20", status="new"),
                timeline_entry(
                    day="2026-11-23",
                    status="acknowledged",
                    reason="received",
                    by=alice.key_id,
                    statement=reply1.statement,
                    signature=reply1.signature,
                ),
            ],
            submissions=[
                submission_entry(case1, case1, "report", "2026-11-20", [0, 1]),
                submission_entry(case1, followup, "followup", "2026-11-22", [0]),
            ],
            replies=reply_entries,
        )
    )

    # Case 2: a report sealed to Alice only, on the server path.
    case2 = new_submission_id()
    part0 = io.BytesIO()
    seal_submission_text_part(
        part0, [alice.public], case2, "report", None, "2026-11-25", reporter, {"what": "second"}, []
    )
    blobs[member_name_for_part(case2, case2, 0)] = part0.getvalue()
    cases.append(
        case_entry(
            case=case2.hex(),
            created="2026-11-25",
            status="new",
            outcome=None,
            sealed_on="server",
            acknowledge_by=None,
            feedback_by=None,
            recipients=[alice.key_id],
            reporter=ReporterPublic.from_keys(reporter),
            timeline=[],
            submissions=[submission_entry(case2, case2, "report", "2026-11-25", [0])],
            replies=[],
        )
    )
    reviewers_list = [
        reviewer_entry(alice.public, "Alice A.", "independent adviser", True),
        reviewer_entry(bob.public, "Bob B.", "board member", False),
    ]
    return {"blobs": blobs, "cases": cases, "reviewers": reviewers_list, "replies": replies_made}


def manifest_for(reviewer, export, **changes):
    manifest = bundle_manifest(
        reviewer_key_id=reviewer.key_id,
        day=DAY,
        since=0,
        until=42,
        reviewers=export["reviewers"],
        cases=export["cases"],
    )
    manifest.update(changes)
    return manifest


def write_bundle(sink, reviewer, export, manifest=None):
    writer = BundleWriter(sink, reviewer.public, DAY)
    for name, blob in export["blobs"].items():
        writer.add_member(name, io.BytesIO(blob))
    writer.finish(manifest or manifest_for(reviewer, export))


def write_raw_bundle(path, reviewer, manifest, members, *, bundle_json=None, extra=()):
    """A bundle made without BundleWriter's checks (what a dishonest server could send)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(
            BUNDLE_JSON,
            dumps_compact(
                bundle_json
                or {"format": "candour-bundle", "version": 1, "reviewer_key_id": reviewer.key_id.hex(), "day": DAY}
            ),
        )
        for name, blob in members.items():
            archive.writestr(name, blob)
        for name, blob, compress in extra:
            archive.writestr(name, blob, compress_type=compress)
        archive.writestr(
            MANIFEST_MEMBER, seal_bytes(dumps_compact(manifest), [reviewer.public], new_submission_id(), 0)
        )


# --- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("seekable", [True, False])
def test_round_trip(tmp_path, reviewers, reporter, export, seekable):
    alice = reviewers[0]
    path = tmp_path / "export.zip"
    if seekable:
        with open(path, "wb") as sink:
            write_bundle(sink, alice, export)
    else:
        sink = NonSeekableSink()
        write_bundle(sink, alice, export)
        path.write_bytes(sink.data)

    with open_bundle(path, alice) as bundle:
        assert bundle.day == DAY and (bundle.since, bundle.until) == (0, 42)
        assert bundle.reviewer_key_id == alice.key_id
        assert [r.display_name for r in bundle.reviewers] == ["Alice A.", "Bob B."]
        assert len(bundle) == 2
        case1, case2 = list(bundle)
        assert case1.recipients == (alice.key_id, reviewers[1].key_id)
        assert case1.timeline[1].by == alice.key_id and case1.timeline[0].statement is None
        assert case2.sealed_on == "server" and case2.acknowledge_by is None

        report = open_submission(bundle.part_sources(case1.report), alice, expected_case=case1.case)
        assert report.fields["what"] == "fraud"
        assert report.attachments[0].location == b"%PDF-1.7 evidence" * 5000
        assert report.reporter == case1.reporter
        followup = open_submission(
            bundle.part_sources(case1.followups[0]), alice, expected_case=case1.case, expected_reporter=report.reporter
        )
        assert followup.fields["message"] == "more"

        known = bundle.known_reviewers()
        texts = []
        for reply in case1.replies:
            statement = verify_statement_signature(reply.statement, reply.signature, known)
            texts.append(open_reply_for_reviewer(bundle.read_member(reply.member), alice, statement).text)
        assert texts == ["Thanks", "Hello"]
        assert open_submission(bundle.part_sources(case2.report), alice).fields["what"] == "second"


def test_zip_members_carry_only_the_day(tmp_path, reviewers, export):
    path = tmp_path / "export.zip"
    with open(path, "wb") as sink:
        write_bundle(sink, reviewers[0], export)
    with zipfile.ZipFile(path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 11, 28, 0, 0, 0)}
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
        assert json.loads(archive.read(BUNDLE_JSON)) == {
            "format": "candour-bundle",
            "version": 1,
            "reviewer_key_id": reviewers[0].key_id.hex(),
            "day": DAY,
        }


def test_bundle_for_another_reviewer_is_refused_before_any_cryptography(tmp_path, reviewers, export):
    alice, bob = reviewers[0], reviewers[1]
    path = tmp_path / "export.zip"
    with open(path, "wb") as sink:
        write_bundle(sink, alice, export)
    with pytest.raises(BundleError, match=f"exported for reviewer {alice.key_id.hex()}, not for you"):
        open_bundle(path, bob)
    # With a manifest.cnd that is not even an envelope, the answer is the same: no crypto ran.
    garbage = tmp_path / "garbage.zip"
    with zipfile.ZipFile(garbage, "w") as archive:
        archive.writestr(
            BUNDLE_JSON,
            dumps_compact(
                {"format": "candour-bundle", "version": 1, "reviewer_key_id": alice.key_id.hex(), "day": DAY}
            ),
        )
        archive.writestr(MANIFEST_MEMBER, b"not an envelope")
    with pytest.raises(BundleError, match="not for you"):
        open_bundle(garbage, bob)


def test_bundle_json_claiming_the_wrong_reviewer_fails_at_the_envelope(tmp_path, reviewers, export):
    alice, bob = reviewers[0], reviewers[1]
    path = tmp_path / "export.zip"
    write_raw_bundle(
        path,
        alice,
        manifest_for(alice, export),
        export["blobs"],
        bundle_json={"format": "candour-bundle", "version": 1, "reviewer_key_id": bob.key_id.hex(), "day": DAY},
    )
    with pytest.raises(NotARecipientError):
        open_bundle(path, bob)


def test_sealed_manifest_must_agree_with_bundle_json(tmp_path, reviewers, export):
    alice = reviewers[0]
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest_for(alice, export, day="2026-11-01"), export["blobs"])
    with pytest.raises(BundleError, match="another reviewer or day"):
        open_bundle(path, alice)


# --- members ------------------------------------------------------------------------------


def test_unlisted_member_is_refused(tmp_path, reviewers, export):
    alice = reviewers[0]
    extra = member_name_for_part(new_submission_id(), new_submission_id(), 0)
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest_for(alice, export), {**export["blobs"], extra: b"smuggled"})
    with pytest.raises(BundleError, match="does not list"):
        open_bundle(path, alice)


def test_missing_member_is_refused(tmp_path, reviewers, export):
    alice = reviewers[0]
    members = dict(export["blobs"])
    members.pop(next(name for name in members if "/replies/" in name))
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest_for(alice, export), members)
    with pytest.raises(BundleError, match="listed in the manifest but missing"):
        open_bundle(path, alice)


@pytest.mark.parametrize(
    "name",
    [
        "../evil.cnd",
        "/etc/passwd",
        "cases/../../home/user/.bashrc",
        "cases/" + "a" * 32 + "/../../x.cnd",
        "cases/" + "a" * 32 + "/" + "b" * 32 + "/64.cnd",
        "cases/" + "a" * 32 + "/" + "b" * 32 + "/01.cnd",
        "cases/" + "A" * 32 + "/" + "b" * 32 + "/0.cnd",
        "cases/" + "a" * 32 + "/replies/" + "c" * 16 + "-0.cnd",
        "cases/" + "a" * 32 + "/" + "b" * 32 + "/0.cnd/",
        "cases\\" + "a" * 32 + "\\" + "b" * 32 + "\\0.cnd",
        "readme.txt",
    ],
)
def test_member_with_a_bad_name_is_refused(tmp_path, reviewers, export, name):
    alice = reviewers[0]
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest_for(alice, export), {**export["blobs"], name: b"x"})
    with pytest.raises(BundleError, match="no bundle may hold"):
        open_bundle(path, alice)


def test_duplicate_member_is_refused(tmp_path, reviewers, export):
    alice = reviewers[0]
    name = next(iter(export["blobs"]))
    path = tmp_path / "export.zip"
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate it is asked to write
        write_raw_bundle(
            path, alice, manifest_for(alice, export), export["blobs"], extra=[(name, b"second", zipfile.ZIP_STORED)]
        )
    with pytest.raises(BundleError, match="twice"):
        open_bundle(path, alice)


def test_compressed_member_is_refused(tmp_path, reviewers, export):
    alice = reviewers[0]
    members = dict(export["blobs"])
    name, blob = members.popitem()
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest_for(alice, export), members, extra=[(name, blob, zipfile.ZIP_DEFLATED)])
    with pytest.raises(BundleError, match="compressed"):
        open_bundle(path, alice)


def test_not_a_zip_is_refused(tmp_path, reviewers):
    path = tmp_path / "export.zip"
    path.write_bytes(b"PK\x03\x04 but not really")
    with pytest.raises(BundleError, match="not a readable bundle"):
        open_bundle(path, reviewers[0])
    with pytest.raises(BundleError, match="no bundle at"):
        open_bundle(tmp_path / "absent.zip", reviewers[0])


def test_open_member_refuses_unlisted_names(tmp_path, reviewers, export):
    alice = reviewers[0]
    path = tmp_path / "export.zip"
    with open(path, "wb") as sink:
        write_bundle(sink, alice, export)
    with open_bundle(path, alice) as bundle:
        with pytest.raises(BundleError, match="not a member listed"):
            bundle.open_member(MANIFEST_MEMBER)


# --- manifest validation -------------------------------------------------------------------


def first_case(manifest):
    return manifest["cases"][0]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda m: m.update(version=3), "version 3"),
        (lambda m: m.update(version=2), "lacks .signed_list."),
        (lambda m: m.update(since=50), "'since'"),
        (lambda m: m.update(until=-1), "'until'"),
        (lambda m: m.update(cases="all"), "must be a list"),
        (lambda m: m["cases"].append(dict(m["cases"][0])), "listed twice"),
        (lambda m: first_case(m).update(sealed_on="carrier pigeon"), "sealed_on"),
        (lambda m: first_case(m).update(created="2026-11-31"), "created"),
        (lambda m: first_case(m).update(status=""), "must not be empty"),
        (lambda m: first_case(m).update(recipients=[]), "at least 1"),
        (lambda m: first_case(m).update(recipients=["00" * 8] * 17), "at most 16"),
        (lambda m: first_case(m).update(recipients=["00" * 8, "00" * 8]), "recipient twice"),
        (lambda m: first_case(m).update(secret="x"), "unknown key 'secret'"),
        (lambda m: first_case(m)["timeline"][0].update(reason="r" * 2001), "2,000"),
        (lambda m: first_case(m)["timeline"][1].update(signature=None), "statement without a signature"),
        (lambda m: first_case(m)["submissions"][0].update(kind="appeal"), "'report' or 'followup'"),
        (lambda m: first_case(m)["submissions"][1].update(kind="report"), "report whose id is not the case id"),
        (lambda m: first_case(m)["submissions"][0]["parts"].pop(0), "no part 0"),
        (
            lambda m: first_case(m)["submissions"][0]["parts"].append({"index": 2, "member": "x"}),
            "not a valid bundle member name",
        ),
        (lambda m: m["reviewers"][0].update(key_id=m["reviewers"][1]["key_id"]), "does not belong to its identity"),
        (lambda m: m["reviewers"][0].update(identity="candour-reviewer-1:AAAA"), "identity is invalid"),
    ],
)
def test_malformed_manifests_are_refused(tmp_path, reviewers, export, mutate, message):
    alice = reviewers[0]
    manifest = json.loads(dumps_compact(manifest_for(alice, export)))
    mutate(manifest)
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest, export["blobs"])
    with pytest.raises(BundleError, match=message):
        open_bundle(path, alice)


def test_part_filed_under_another_case_is_refused(tmp_path, reviewers, export):
    # Both cases' report members exist, but case 1's report points at case 2's blob.
    alice = reviewers[0]
    manifest = json.loads(dumps_compact(manifest_for(alice, export)))
    case1, case2 = manifest["cases"]
    case1["submissions"][0]["parts"][0]["member"], case2["submissions"][0]["parts"][0]["member"] = (
        case2["submissions"][0]["parts"][0]["member"],
        case1["submissions"][0]["parts"][0]["member"],
    )
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest, export["blobs"])
    with pytest.raises(BundleError, match="filed under another name"):
        open_bundle(path, alice)


def test_reply_filed_under_another_case_is_refused(tmp_path, reviewers, export):
    alice = reviewers[0]
    manifest = json.loads(dumps_compact(manifest_for(alice, export)))
    case1, case2 = manifest["cases"]
    case2["replies"].append(case1["replies"].pop())
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest, export["blobs"])
    with pytest.raises(BundleError, match="filed under another case"):
        open_bundle(path, alice)


def test_member_listed_twice_is_refused(tmp_path, reviewers, export):
    alice = reviewers[0]
    manifest = json.loads(dumps_compact(manifest_for(alice, export)))
    replies = first_case(manifest)["replies"]
    replies.append(dict(replies[0]))
    path = tmp_path / "export.zip"
    write_raw_bundle(path, alice, manifest, export["blobs"])
    with pytest.raises(BundleError, match="listed twice"):
        open_bundle(path, alice)


# --- the writer's own checks -----------------------------------------------------------------


def test_writer_refuses_bad_and_duplicate_names(reviewers):
    writer = BundleWriter(io.BytesIO(), reviewers[0].public, DAY)
    with pytest.raises(BundleError, match="not a valid bundle member name"):
        writer.add_member("../../etc/passwd", io.BytesIO(b"x"))
    name = member_name_for_reply("ab" * 16, "cd" * 8, 3)
    assert name == f"cases/{'ab' * 16}/replies/{'cd' * 8}-3.cnd"
    writer.add_member(name, io.BytesIO(b"x"))
    with pytest.raises(BundleError, match="already added"):
        writer.add_member(name, io.BytesIO(b"y"))


def test_writer_refuses_a_manifest_that_does_not_match_its_members(reviewers, export):
    alice = reviewers[0]
    writer = BundleWriter(io.BytesIO(), alice.public, DAY)
    names = list(export["blobs"])
    for name in names[:-1]:
        writer.add_member(name, io.BytesIO(export["blobs"][name]))
    with pytest.raises(BundleError, match="missing"):
        writer.finish(manifest_for(alice, export))

    writer = BundleWriter(io.BytesIO(), alice.public, DAY)
    for name in names:
        writer.add_member(name, io.BytesIO(export["blobs"][name]))
    writer.add_member(member_name_for_part(new_submission_id(), new_submission_id(), 0), io.BytesIO(b"x"))
    with pytest.raises(BundleError, match="does not list"):
        writer.finish(manifest_for(alice, export))


def test_writer_refuses_a_manifest_for_another_reviewer(reviewers, export):
    alice, bob = reviewers[0], reviewers[1]
    writer = BundleWriter(io.BytesIO(), alice.public, DAY)
    for name, blob in export["blobs"].items():
        writer.add_member(name, io.BytesIO(blob))
    with pytest.raises(BundleError, match="another reviewer or day"):
        writer.finish(manifest_for(bob, export))


def test_member_names():
    case, submission = "0f" * 16, bytes(range(16))
    assert member_name_for_part(case, submission, 12) == f"cases/{case}/{submission.hex()}/12.cnd"
    with pytest.raises(BundleError):
        member_name_for_part(case, submission, 64)
    with pytest.raises(BundleError):
        member_name_for_part("../" + case[3:], submission, 0)
    with pytest.raises(BundleError):
        member_name_for_reply(case, "cd" * 8, 0)


def test_many_cases_read_in_one_pass(tmp_path, reviewers, reporter):
    """500 cases: every case opened through one ZIP handle; a regression guard, not a benchmark."""
    alice = reviewers[0]
    path = tmp_path / "many.zip"
    cases = []
    with open(path, "wb") as sink:
        writer = BundleWriter(sink, alice.public, DAY)
        for number in range(500):
            case = new_submission_id()
            part0 = io.BytesIO()
            seal_submission_text_part(
                part0, [alice.public], case, "report", None, DAY, reporter, {"what": str(number)}, []
            )
            part0.seek(0)
            writer.add_member(member_name_for_part(case, case, 0), part0)
            cases.append(
                case_entry(
                    case=case,
                    created=DAY,
                    status="new",
                    outcome=None,
                    sealed_on="browser",
                    acknowledge_by=None,
                    feedback_by=None,
                    recipients=[alice.key_id],
                    reporter=ReporterPublic.from_keys(reporter),
                    timeline=[],
                    submissions=[submission_entry(case, case, "report", DAY, [0])],
                    replies=[],
                )
            )
        writer.finish(
            bundle_manifest(reviewer_key_id=alice.key_id, day=DAY, since=0, until=500, reviewers=[], cases=cases)
        )
    with open_bundle(path, alice) as bundle:
        whats = [open_submission(bundle.part_sources(c.report), alice).fields["what"] for c in bundle]
    assert whats == [str(n) for n in range(500)]


class NonSeekableSource(io.RawIOBase):
    """A blob arriving from a pipe: size unknown in advance, so the member is written as ZIP64."""

    def __init__(self, data):
        self._stream = io.BytesIO(data)

    def readable(self):
        return True

    def seekable(self):
        return False

    def readinto(self, buffer):
        data = self._stream.read(min(len(buffer), 1000))  # short reads, as a pipe gives
        buffer[: len(data)] = data
        return len(data)


def test_members_of_unknown_size_into_a_non_seekable_sink(tmp_path, reviewers, reporter, export):
    alice = reviewers[0]
    sink = NonSeekableSink()
    writer = BundleWriter(sink, alice.public, DAY)
    for name, blob in export["blobs"].items():
        assert writer.add_member(name, NonSeekableSource(blob)) == len(blob)
    writer.finish(manifest_for(alice, export))
    path = tmp_path / "export.zip"
    path.write_bytes(sink.data)
    with open_bundle(path, alice) as bundle:
        case1 = bundle.cases[0]
        report = open_submission(bundle.part_sources(case1.report), alice, expected_case=case1.case)
        assert report.attachments[0].location == b"%PDF-1.7 evidence" * 5000
