"""crypto.submission: sealing part 0, and every check §7 asks of a reader."""

import io
import json
import os

import pytest

from crypto.envelope import EnvelopeSealer, new_submission_id, seal_bytes
from crypto.errors import (
    BindingError,
    FormatError,
    LimitError,
    NotARecipientError,
    PayloadError,
    SignatureError,
)
from crypto.identity import ReviewerKeys, b64url
from crypto.strict_json import dumps_compact
from crypto.submission import (
    MAX_ATTACHMENTS,
    MAX_FIELD_CHARS,
    SIGNATURE_CONTEXT,
    AttachmentInfo,
    ReporterPublic,
    attachment_info_from_sealed,
    build_manifest,
    check_fields,
    open_submission,
    parse_part0,
    seal_submission_text_part,
    verify_only_sinks,
)

DAY = "2026-11-25"
REPORT_FIELDS = {"category": "fraud", "what": "Invoices were split to dodge approval.", "who": "Z. Q."}


def seal_attachment(recipients, submission_id, part, data, name="evidence.pdf", type_="application/pdf"):
    sink = io.BytesIO()
    sealer = EnvelopeSealer(sink, recipients, submission_id, part)
    # Write in uneven pieces, as a request body arrives.
    for offset in range(0, len(data), 50_000):
        sealer.write(data[offset : offset + 50_000])
    return attachment_info_from_sealed(sealer.finish(), name, type_), sink.getvalue()


def make_submission(recipients, reporter, *, kind="report", case=None, fields=None, files=(), submission_id=None):
    """Seal attachments first, then part 0, as the portal does; return (id, {index: bytes})."""
    submission_id = submission_id or new_submission_id()
    parts = {}
    infos = []
    for index, data in enumerate(files, start=1):
        info, sealed = seal_attachment(recipients, submission_id, index, data, name=f"file{index}.bin")
        infos.append(info)
        parts[index] = sealed
    part0 = io.BytesIO()
    seal_submission_text_part(
        part0,
        recipients,
        submission_id,
        kind,
        case,
        DAY,
        reporter,
        REPORT_FIELDS if fields is None and kind == "report" else (fields or {"message": "More detail."}),
        infos,
    )
    parts[0] = part0.getvalue()
    return submission_id, parts


def seal_signed_manifest(manifest_bytes, signing_key, recipients, submission_id):
    """Part 0 for an arbitrary (possibly malformed) manifest, properly signed."""
    signature = signing_key.sign(SIGNATURE_CONTEXT + manifest_bytes).signature
    wrapper = dumps_compact({"signed": b64url(manifest_bytes), "signature": b64url(signature)})
    return seal_bytes(wrapper, recipients, submission_id, 0)


def manifest_dict(submission_id, reporter, /, **changes):
    manifest = json.loads(
        build_manifest(submission_id, "report", None, DAY, ReporterPublic.from_keys(reporter), REPORT_FIELDS, [])
    )
    manifest.update(changes)
    return manifest


class RecordingSinks:
    """A sink factory that records what happened to each sink."""

    def __init__(self):
        self.events = []

    def __call__(self, info):
        outer = self

        class Sink:
            def __init__(self):
                self.data = bytearray()

            def write(self, data):
                self.data += data

            def commit(self):
                outer.events.append(("commit", info.part))
                return ("stored", info.part, bytes(self.data))

            def discard(self):
                outer.events.append(("discard", info.part))

        return Sink()


class ExplodingSink(io.RawIOBase):
    """Proves no cryptography ran: validation must fail before anything is written."""

    def write(self, data):
        raise AssertionError("part 0 was written although its input was invalid")


# --- round trips ------------------------------------------------------------------


def test_report_round_trip_one_reviewer(reviewers, reporter):
    alice = reviewers[0]
    submission_id, parts = make_submission([alice.public], reporter)
    opened = open_submission(parts, alice)
    assert opened.kind == "report"
    assert opened.case == opened.submission == submission_id.hex()
    assert opened.day == DAY
    assert opened.fields["what"] == REPORT_FIELDS["what"]
    assert opened.fields["when"] == ""  # missing optional fields are carried as empty strings
    assert set(opened.fields) == {"category", "what", "when", "where", "who", "outcome"}
    assert opened.reply_key == reporter.reply_public_key
    assert opened.sign_key == reporter.sign_public_key
    assert opened.attachments == ()


def test_report_with_attachments_opens_for_each_of_three_reviewers(reviewers, reporter):
    files = [os.urandom(200_000), b"", "naïve résumé".encode()]
    submission_id, parts = make_submission([r.public for r in reviewers], reporter, files=files)
    for reviewer in reviewers:
        opened = open_submission(parts, reviewer)
        assert [a.location for a in opened.attachments] == files
        assert [a.info.part for a in opened.attachments] == [1, 2, 3]
        assert [a.info.size for a in opened.attachments] == [len(f) for f in files]
        assert opened.attachments[0].info.name == "file1.bin"


def test_parts_can_be_paths_or_stream_openers(tmp_path, reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"x" * 70_000])
    path0 = tmp_path / "0.cnd"
    path0.write_bytes(parts[0])
    opened = open_submission({0: path0, 1: lambda: io.BytesIO(parts[1])}, alice)
    assert opened.attachments[0].location == b"x" * 70_000


def test_followup_round_trip(reviewers, reporter):
    recipients = [r.public for r in reviewers]
    case_id, report_parts = make_submission(recipients, reporter)
    report = open_submission(report_parts, reviewers[1])
    followup_id, parts = make_submission(
        recipients, reporter, kind="followup", case=case_id.hex(), fields={"message": "One more thing."}
    )
    opened = open_submission(parts, reviewers[1], expected_case=report.case, expected_reporter=report.reporter)
    assert opened.kind == "followup"
    assert opened.case == case_id.hex()
    assert opened.submission == followup_id.hex()
    assert opened.fields == {"message": "One more thing."}


def test_sinks_are_committed_only_after_everything_verified(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"a" * 10, b"b" * 20])
    sinks = RecordingSinks()
    opened = open_submission(parts, alice, attachment_sink_factory=sinks)
    assert sinks.events == [("commit", 1), ("commit", 2)]
    assert opened.attachments[1].location == ("stored", 2, b"b" * 20)


def test_verify_only_sinks_keep_nothing(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"a" * 10])
    opened = open_submission(parts, alice, attachment_sink_factory=verify_only_sinks)
    assert opened.attachments[0].location is None


# --- binding failures ---------------------------------------------------------------


def test_report_opened_under_the_wrong_case_is_refused(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter)
    with pytest.raises(BindingError, match="belongs to case"):
        open_submission(parts, alice, expected_case=new_submission_id().hex())


def test_followup_for_another_case_is_refused(reviewers, reporter):
    alice = reviewers[0]
    case_id, _ = make_submission([alice.public], reporter)
    _, parts = make_submission([alice.public], reporter, kind="followup", case=new_submission_id().hex())
    with pytest.raises(BindingError, match="belongs to case"):
        open_submission(parts, alice, expected_case=case_id.hex(), expected_reporter=ReporterPublic.from_keys(reporter))


def test_followup_by_a_different_codename_is_refused(reviewers, reporter, other_reporter):
    alice = reviewers[0]
    case_id, report_parts = make_submission([alice.public], reporter)
    report = open_submission(report_parts, alice)
    _, parts = make_submission([alice.public], other_reporter, kind="followup", case=case_id.hex())
    with pytest.raises(BindingError, match="different codename"):
        open_submission(parts, alice, expected_case=case_id.hex(), expected_reporter=report.reporter)


def test_report_with_a_swapped_reporter_key_is_refused(reviewers, reporter, other_reporter):
    # The server's cleartext copy of the reporter keys differs from the signed one.
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter)
    with pytest.raises(BindingError, match="different codename"):
        open_submission(parts, alice, expected_reporter=ReporterPublic.from_keys(other_reporter))


def test_followup_needs_its_case_and_reporter(reviewers, reporter):
    alice = reviewers[0]
    case_id, _ = make_submission([alice.public], reporter)
    _, parts = make_submission([alice.public], reporter, kind="followup", case=case_id.hex())
    with pytest.raises(BindingError, match="expected_case"):
        open_submission(parts, alice, expected_reporter=ReporterPublic.from_keys(reporter))
    with pytest.raises(BindingError, match="open the report first"):
        open_submission(parts, alice, expected_case=case_id.hex())


def test_attachment_grafted_from_another_submission_is_refused(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"original"])
    _, other_parts = make_submission([alice.public], reporter, files=[b"forged"])
    sinks = RecordingSinks()
    with pytest.raises(BindingError, match="grafted from another submission"):
        open_submission({0: parts[0], 1: other_parts[1]}, alice, attachment_sink_factory=sinks)
    assert ("commit", 1) not in sinks.events


def test_attachment_resealed_with_the_same_id_and_index_is_refused(reviewers, reporter):
    # The server knows the submission id and part index; it cannot match the signed header hash.
    alice = reviewers[0]
    submission_id, parts = make_submission([alice.public], reporter, files=[b"original"])
    _, forged = seal_attachment([alice.public], submission_id, 1, b"forged")
    with pytest.raises(BindingError, match="hash the reporter signed"):
        open_submission({**parts, 1: forged}, alice)


def test_attachments_swapped_between_indices_are_refused(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"one", b"two"])
    with pytest.raises(BindingError, match="says it is part"):
        open_submission({0: parts[0], 1: parts[2], 2: parts[1]}, alice)


def test_missing_attachment_is_refused(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"one", b"two"])
    del parts[2]
    with pytest.raises(BindingError, match="part 2 listed in the signed manifest is missing"):
        open_submission(parts, alice)


def test_missing_part_zero_is_refused(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"one"])
    del parts[0]
    with pytest.raises(BindingError, match="no part 0"):
        open_submission(parts, alice)


def test_extra_unlisted_part_is_refused(reviewers, reporter):
    alice = reviewers[0]
    submission_id, parts = make_submission([alice.public], reporter, files=[b"one"])
    _, extra = seal_attachment([alice.public], submission_id, 2, b"smuggled")
    with pytest.raises(BindingError, match="not listed"):
        open_submission({**parts, 2: extra}, alice)


def test_part_zero_moved_to_another_envelope_is_refused(reviewers, reporter):
    # A server that re-seals a copied part 0 under a new submission id.
    alice = reviewers[0]
    submission_id = new_submission_id()
    manifest = build_manifest(submission_id, "report", None, DAY, ReporterPublic.from_keys(reporter), REPORT_FIELDS, [])
    moved = seal_signed_manifest(manifest, reporter.signing_key, [alice.public], new_submission_id())
    with pytest.raises(BindingError, match="moved from another submission"):
        open_submission({0: moved}, alice)


def test_attachment_given_as_part_zero_is_refused(reviewers, reporter):
    alice = reviewers[0]
    _, parts = make_submission([alice.public], reporter, files=[b"one"])
    with pytest.raises(BindingError, match="given as part 0 is part 1"):
        open_submission({0: parts[1]}, alice)


@pytest.mark.parametrize("signed_size", [3, 5])
def test_attachment_of_another_size_than_signed_is_refused(reviewers, reporter, signed_size):
    alice = reviewers[0]
    submission_id = new_submission_id()
    info, sealed = seal_attachment([alice.public], submission_id, 1, b"four")
    lying = AttachmentInfo(info.part, info.name, info.type, signed_size, info.header_hash)
    manifest = build_manifest(
        submission_id, "report", None, DAY, ReporterPublic.from_keys(reporter), REPORT_FIELDS, [lying]
    )
    part0 = seal_signed_manifest(manifest, reporter.signing_key, [alice.public], submission_id)
    sinks = RecordingSinks()
    with pytest.raises(BindingError, match="not the file the reporter"):
        open_submission({0: part0, 1: sealed}, alice, attachment_sink_factory=sinks)
    assert sinks.events == [("discard", 1)]


def test_failure_in_a_later_attachment_discards_earlier_ones(reviewers, reporter):
    alice = reviewers[0]
    submission_id, parts = make_submission([alice.public], reporter, files=[b"one", b"two"])
    damaged = bytearray(parts[2])
    damaged[-1] ^= 1
    sinks = RecordingSinks()
    with pytest.raises(PayloadError):
        open_submission({**parts, 2: bytes(damaged)}, alice, attachment_sink_factory=sinks)
    assert sorted(sinks.events) == [("discard", 1), ("discard", 2)]


def test_manifest_altered_after_signing_is_refused(reviewers, reporter, other_reporter):
    alice = reviewers[0]
    submission_id = new_submission_id()
    manifest = manifest_dict(submission_id, reporter)
    signed = build_manifest(submission_id, "report", None, DAY, ReporterPublic.from_keys(reporter), REPORT_FIELDS, [])
    signature = reporter.signing_key.sign(SIGNATURE_CONTEXT + signed).signature
    manifest["fields"]["what"] = "Nothing happened."
    tampered = dumps_compact({"signed": b64url(dumps_compact(manifest)), "signature": b64url(signature)})
    part0 = seal_bytes(tampered, [alice.public], submission_id, 0)
    with pytest.raises(SignatureError, match="altered"):
        open_submission({0: part0}, alice)


def test_manifest_signed_by_a_key_other_than_its_own_is_refused(reviewers, reporter, other_reporter):
    alice = reviewers[0]
    submission_id = new_submission_id()
    manifest = build_manifest(submission_id, "report", None, DAY, ReporterPublic.from_keys(reporter), REPORT_FIELDS, [])
    part0 = seal_signed_manifest(manifest, other_reporter.signing_key, [alice.public], submission_id)
    with pytest.raises(SignatureError):
        open_submission({0: part0}, alice)


def test_signature_without_the_context_label_is_refused(reviewers, reporter):
    alice = reviewers[0]
    submission_id = new_submission_id()
    manifest = build_manifest(submission_id, "report", None, DAY, ReporterPublic.from_keys(reporter), REPORT_FIELDS, [])
    signature = reporter.signing_key.sign(manifest).signature
    wrapper = dumps_compact({"signed": b64url(manifest), "signature": b64url(signature)})
    with pytest.raises(SignatureError):
        open_submission({0: seal_bytes(wrapper, [alice.public], submission_id, 0)}, alice)


def test_reviewer_not_on_the_case_cannot_open(reviewers, reporter):
    _, parts = make_submission([reviewers[0].public], reporter)
    with pytest.raises(NotARecipientError):
        open_submission(parts, reviewers[1])


# --- strict manifest structure --------------------------------------------------------


@pytest.mark.parametrize(
    "change, error",
    [
        ({"version": 2}, FormatError),
        ({"version": True}, FormatError),
        ({"format": "candour-reply"}, FormatError),
        ({"kind": "complaint"}, FormatError),
        ({"day": "2026-13-01"}, FormatError),
        ({"day": "20261125"}, FormatError),
        ({"case": "AB" * 16}, FormatError),
        ({"extra": 1}, FormatError),
        ({"fields": {"what": "x"}}, FormatError),
        ({"fields": {**dict.fromkeys(["category", "when", "where", "who", "outcome"], ""), "what": ""}}, FormatError),
        ({"fields": {**dict.fromkeys(["category", "when", "where", "who", "outcome"], ""), "what": 5}}, FormatError),
        (
            {"attachments": [{"part": 2, "name": "a", "type": "", "size": 1, "header_hash": b64url(bytes(32))}]},
            FormatError,
        ),
        (
            {"attachments": [{"part": 1, "name": "a", "type": "", "size": -1, "header_hash": b64url(bytes(32))}]},
            LimitError,
        ),
        (
            {"attachments": [{"part": 1, "name": "a", "type": "", "size": 1.0, "header_hash": b64url(bytes(32))}]},
            FormatError,
        ),
        (
            {"attachments": [{"part": 1, "name": "a", "type": "", "size": 1, "header_hash": b64url(bytes(31))}]},
            FormatError,
        ),
        ({"reporter": {"reply_key": b64url(bytes(32)), "sign_key": "not base64!"}}, FormatError),
    ],
)
def test_malformed_manifests_are_refused(reviewers, reporter, change, error):
    alice = reviewers[0]
    submission_id = new_submission_id()
    manifest = manifest_dict(submission_id, reporter, **change)
    part0 = seal_signed_manifest(dumps_compact(manifest), reporter.signing_key, [alice.public], submission_id)
    with pytest.raises(error):
        open_submission({0: part0}, alice)


def test_duplicate_keys_in_the_manifest_are_refused(reviewers, reporter):
    alice = reviewers[0]
    submission_id = new_submission_id()
    text = dumps_compact(manifest_dict(submission_id, reporter))
    doubled = text[:-1] + b',"kind":"followup"}'
    part0 = seal_signed_manifest(doubled, reporter.signing_key, [alice.public], submission_id)
    with pytest.raises(FormatError, match="appears twice"):
        open_submission({0: part0}, alice)


def test_part_zero_that_is_not_the_wrapper_is_refused(reviewers):
    alice = reviewers[0]
    submission_id = new_submission_id()
    for plaintext in (b"not json", b'{"signed":"AA"}', b'{"signed":"AA","signature":"AA","x":1}', b"[]"):
        with pytest.raises(FormatError):
            open_submission({0: seal_bytes(plaintext, [alice.public], submission_id, 0)}, alice)


def test_oversized_part_zero_is_refused_while_decrypting(reviewers):
    alice = reviewers[0]
    submission_id = new_submission_id()
    huge = b'{"signed":"' + b"A" * 2_000_000 + b'","signature":"AA"}'
    with pytest.raises(LimitError):
        open_submission({0: seal_bytes(huge, [alice.public], submission_id, 0)}, alice)


def test_parse_part0_checks_signature_directly(reporter):
    submission_id = new_submission_id()
    manifest = build_manifest(submission_id, "report", None, DAY, ReporterPublic.from_keys(reporter), REPORT_FIELDS, [])
    signature = reporter.signing_key.sign(SIGNATURE_CONTEXT + manifest).signature
    good = dumps_compact({"signed": b64url(manifest), "signature": b64url(signature)})
    assert parse_part0(good).submission == submission_id.hex()
    bad = dumps_compact({"signed": b64url(manifest), "signature": b64url(bytes(64))})
    with pytest.raises(SignatureError):
        parse_part0(bad)


# --- validation before cryptography ---------------------------------------------------


def seal_into_exploding_sink(reviewer, reporter, **kwargs):
    arguments = dict(
        recipients=[reviewer.public],
        submission_id=new_submission_id(),
        kind="report",
        case_id=None,
        day=DAY,
        reporter_keys=reporter,
        fields=REPORT_FIELDS,
        attachments=[],
    )
    arguments.update(kwargs)
    seal_submission_text_part(ExplodingSink(), **arguments)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"fields": {"what": ""}}, FormatError, "'what' field"),
        ({"fields": {"category": "x"}}, FormatError, "'what' field"),
        ({"fields": {"what": "x", "secret": "y"}}, FormatError, "no field 'secret'"),
        ({"fields": {"what": "x" * (MAX_FIELD_CHARS + 1)}}, LimitError, "100,000"),
        ({"kind": "followup", "case_id": "00" * 16, "fields": {"what": "x"}}, FormatError, "no field 'what'"),
        ({"kind": "followup", "case_id": "00" * 16, "fields": {}}, FormatError, "'message' field"),
        ({"kind": "followup", "case_id": None, "fields": {"message": "x"}}, FormatError, "name its case"),
        ({"kind": "report", "case_id": "00" * 16}, FormatError, "case id is its submission id"),
        ({"kind": "appeal"}, FormatError, "report"),
        ({"day": "25/11/2026"}, FormatError, "YYYY-MM-DD"),
    ],
)
def test_invalid_submissions_are_refused_before_sealing(reviewers, reporter, kwargs, error, message):
    with pytest.raises(error, match=message):
        seal_into_exploding_sink(reviewers[0], reporter, **kwargs)


def test_manifest_over_one_mebibyte_is_refused(reviewers, reporter):
    # Six fields of 100,000 characters fit the per-field cap but not the manifest cap.
    fields = {name: "é" * MAX_FIELD_CHARS for name in ("category", "what", "when", "where", "who", "outcome")}
    with pytest.raises(LimitError, match="1,048,576"):
        seal_into_exploding_sink(reviewers[0], reporter, fields=fields)


def test_too_many_attachments_are_refused(reviewers, reporter):
    infos = [AttachmentInfo(i, "f", "t", 1, bytes(32)) for i in range(1, MAX_ATTACHMENTS + 2)]
    with pytest.raises(LimitError, match="63"):
        seal_into_exploding_sink(reviewers[0], reporter, attachments=infos)


def test_attachments_out_of_order_are_refused(reviewers, reporter):
    infos = [AttachmentInfo(2, "f", "t", 1, bytes(32)), AttachmentInfo(1, "f", "t", 1, bytes(32))]
    with pytest.raises(FormatError, match="in order"):
        seal_into_exploding_sink(reviewers[0], reporter, attachments=infos)


def test_attachment_name_over_255_characters_is_refused(reviewers):
    sealer = EnvelopeSealer(io.BytesIO(), [reviewers[0].public], new_submission_id(), 1)
    sealer.write(b"data")
    sealed = sealer.finish()
    assert attachment_info_from_sealed(sealed, "n" * 255, "text/plain").name == "n" * 255
    with pytest.raises(LimitError, match="255"):
        attachment_info_from_sealed(sealed, "n" * 256, "text/plain")


def test_part_zero_sealed_as_an_attachment_is_refused(reviewers):
    sealer = EnvelopeSealer(io.BytesIO(), [reviewers[0].public], new_submission_id(), 0)
    with pytest.raises(LimitError, match="part 1"):
        attachment_info_from_sealed(sealer.finish(), "a", "b")


def test_sealed_report_is_padded_like_any_short_report(reviewers, reporter):
    alice = reviewers[0]
    _, short = make_submission([alice.public], reporter, fields={"what": "x"})
    _, longer = make_submission([alice.public], reporter, fields={"what": "x" * 5000})
    assert len(short[0]) == len(longer[0])


def test_sealer_writes_only_what_readers_accept() -> None:
    """docs/format.md §1.3/§7: line ends become LF, each TAB spaces to the next 8th column, the
    category loses its outer white space, other forbidden characters are refused, and a
    device's file name is made a label."""
    fields = check_fields("report", {"category": " Bullying ", "what": "one\r\ntwo\rthree\tfour"})
    assert fields["category"] == "Bullying" and fields["what"] == "one\ntwo\nthree   four"
    assert check_fields("followup", {"message": "Name\tRole\nSam Smith-Jones\tHR"})["message"] == (
        "Name    Role\nSam Smith-Jones HR"
    )
    with pytest.raises(FormatError):
        check_fields("report", {"category": "a\tb", "what": "x"})
    with pytest.raises(LimitError, match="once its tabs are spaces"):
        check_fields("report", {"what": "a" * (MAX_FIELD_CHARS - 10) + "\t\t\t"})
    with pytest.raises(FormatError):
        check_fields("followup", {"message": "x\u202ey"})
    sealer = EnvelopeSealer(io.BytesIO(), [ReviewerKeys("Alice", bytes(32)).public], new_submission_id(), 1)
    sealer.write(b"abc")
    sealed = sealer.finish()
    assert attachment_info_from_sealed(sealed, " gpj.\u202eexe ", "image/jpeg").name == "gpj.exe"
    assert attachment_info_from_sealed(sealed, "\u200e", "").name == "attachment"
