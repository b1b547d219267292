"""crypto.reply: writing replies and every check the server and the reporter make (§8)."""

import json
import os

import pytest

from crypto.envelope import new_submission_id
from crypto.errors import (
    BindingError,
    FormatError,
    LimitError,
    NotARecipientError,
    PaddingError,
    SequenceError,
    SignatureError,
)
from crypto.identity import b64url, generate_reviewer_keys
from crypto.kdf import hash256
from crypto.reply import (
    MAX_REASON_CHARS,
    MAX_TEXT_CHARS,
    SIGNATURE_CONTEXT,
    MissingReplies,
    RejectedReply,
    ReporterCopy,
    SignedReply,
    StatusChange,
    VerifiedReply,
    check_reply_binding,
    check_sequence,
    classify_replies,
    make_reply,
    open_reply_for_reporter,
    open_reply_for_reviewer,
    parse_statement,
    verify_reply_signature,
    verify_statement_signature,
)
from crypto.strict_json import dumps_compact

DAY = "2026-11-26"


@pytest.fixture
def case_id():
    return new_submission_id().hex()


@pytest.fixture
def known(reviewers):
    return {r.key_id: r.public for r in reviewers}


def reply(reviewer, case_id, reporter, recipients, seq=1, text="Thank you, we are looking into it.", status=None):
    return make_reply(reviewer, case_id, reporter.reply_public_key, recipients, seq, DAY, text, status)


def resign(reviewer, statement_dict, original):
    """A statement altered and properly re-signed by `reviewer` (a dishonest but registered signer)."""
    statement = dumps_compact(statement_dict)
    signature = reviewer.signing_key.sign(SIGNATURE_CONTEXT + statement).signature
    return SignedReply(statement, signature, original.for_reporter, original.for_reviewers)


def open_as_reporter(signed, reporter):
    return open_reply_for_reporter(signed, reporter.reply_secret_key, reporter.reply_public_key)


# --- round trips ----------------------------------------------------------------------


def test_round_trip_one_reviewer(reviewers, reporter, case_id, known):
    alice = reviewers[0]
    signed = reply(alice, case_id, reporter, [alice.public])
    statement = verify_reply_signature(signed, known)
    check_reply_binding(statement, case_id, reporter.reply_public_key)
    check_sequence({}, statement)
    assert statement.seq == 1 and statement.day == DAY and statement.status is None
    assert statement.reviewer_key_id == alice.key_id
    body = open_as_reporter(signed, reporter)
    assert body.text == "Thank you, we are looking into it."
    assert body == open_reply_for_reviewer(signed, alice)


def test_round_trip_three_reviewers_each_read_the_reviewers_copy(reviewers, reporter, case_id, known):
    recipients = [r.public for r in reviewers]
    status = StatusChange("acknowledged", None, "We have received your report.")
    signed = reply(reviewers[1], case_id, reporter, recipients, seq=4, text="", status=status)
    statement = verify_reply_signature(signed, known)
    assert statement.status == status
    for reviewer in reviewers:
        body = open_reply_for_reviewer(signed, reviewer)
        assert (body.case, body.seq, body.reviewer_key_id, body.text) == (case_id, 4, reviewers[1].key_id, "")
    # A bundle gives the envelope and the statement separately.
    assert open_reply_for_reviewer(signed.for_reviewers, reviewers[2], statement).seq == 4


def test_known_reviewers_may_be_keyed_by_hex(reviewers, reporter, case_id):
    alice = reviewers[0]
    signed = reply(alice, case_id, reporter, [alice.public])
    assert verify_reply_signature(signed, {alice.key_id.hex(): alice.public}).seq == 1


def test_reporter_copy_is_padded(reviewers, reporter, case_id):
    alice = reviewers[0]
    short = reply(alice, case_id, reporter, [alice.public], text="ok")
    longer = reply(alice, case_id, reporter, [alice.public], text="x" * 5000)
    assert len(short.for_reporter) == len(longer.for_reporter) == 16 * 1024 + 48


# --- the server's checks ------------------------------------------------------------


def test_unknown_signer_is_refused(reviewers, reporter, case_id):
    outsider = generate_reviewer_keys("Mallory")
    signed = reply(outsider, case_id, reporter, [outsider.public])
    with pytest.raises(SignatureError, match="not a known reviewer"):
        verify_reply_signature(signed, {r.key_id: r.public for r in reviewers})


def test_tampered_statement_is_refused(reviewers, reporter, case_id, known):
    alice = reviewers[0]
    signed = reply(alice, case_id, reporter, [alice.public])
    tampered = signed.statement.replace(b'"seq":1', b'"seq":2')
    with pytest.raises(SignatureError, match="does not verify"):
        verify_reply_signature(
            SignedReply(tampered, signed.signature, signed.for_reporter, signed.for_reviewers), known
        )


def test_signature_by_another_reviewer_is_refused(reviewers, reporter, case_id, known):
    alice, bob = reviewers[0], reviewers[1]
    signed = reply(alice, case_id, reporter, [alice.public, bob.public])
    bobs_signature = bob.signing_key.sign(SIGNATURE_CONTEXT + signed.statement).signature
    with pytest.raises(SignatureError):
        verify_reply_signature(
            SignedReply(signed.statement, bobs_signature, signed.for_reporter, signed.for_reviewers), known
        )


def test_reviewer_key_and_key_id_mismatch_is_refused(reviewers, reporter, case_id, known):
    alice, bob = reviewers[0], reviewers[1]
    signed = reply(alice, case_id, reporter, [alice.public])
    statement = json.loads(signed.statement)
    statement["reviewer_key_id"] = bob.key_id.hex()  # Alice's key, Bob's key id
    with pytest.raises(BindingError, match="another reviewer's signing key"):
        verify_reply_signature(resign(alice, statement, signed), known)


@pytest.mark.parametrize("field", ["for_reporter", "for_reviewers"])
def test_sealed_copy_swapped_between_replies_is_refused(reviewers, reporter, case_id, known, field):
    alice = reviewers[0]
    first = reply(alice, case_id, reporter, [alice.public], seq=1, text="first")
    second = reply(alice, case_id, reporter, [alice.public], seq=2, text="second")
    swapped = SignedReply(**{**first.__dict__, field: getattr(second, field)})
    with pytest.raises(BindingError, match="hash in the signed statement"):
        verify_reply_signature(swapped, known)


def test_reply_for_another_case_is_refused(reviewers, reporter, case_id, known):
    alice = reviewers[0]
    statement = verify_reply_signature(reply(alice, case_id, reporter, [alice.public]), known)
    with pytest.raises(BindingError, match="not for case"):
        check_reply_binding(statement, new_submission_id().hex(), reporter.reply_public_key)


def test_reply_to_another_reporter_key_is_refused(reviewers, reporter, other_reporter, case_id, known):
    alice = reviewers[0]
    statement = verify_reply_signature(reply(alice, case_id, other_reporter, [alice.public]), known)
    with pytest.raises(BindingError, match="different reporter key"):
        check_reply_binding(statement, case_id, reporter.reply_public_key)


def test_replayed_and_older_sequence_numbers_are_refused_higher_ones_accepted(reviewers, reporter, case_id, known):
    alice, bob = reviewers[0], reviewers[1]
    recipients = [alice.public, bob.public]
    statement = parse_statement(reply(alice, case_id, reporter, recipients, seq=3).statement)
    check_sequence({alice.key_id: 2}, statement)
    check_sequence({alice.key_id.hex(): 2}, statement)
    with pytest.raises(SequenceError, match="replay"):
        check_sequence({alice.key_id: 3}, statement)
    with pytest.raises(SequenceError, match="replay or an old reply"):
        check_sequence({alice.key_id: 7}, statement)
    # After a refused reply 2 the next one, 3, is accepted (issue 11 §4): not a dead end.
    check_sequence({alice.key_id: 1}, statement)
    check_sequence({bob.key_id: 2}, statement)  # another reviewer's count is not this one's


def test_statement_v2_carries_the_feedback_mark(reviewers, reporter, case_id, known):
    import json

    alice = reviewers[0]
    signed = make_reply(
        alice, case_id, reporter.reply_public_key, [alice.public], 1, DAY, "Our findings", None, feedback=True
    )
    document = json.loads(signed.statement)
    assert document["version"] == 2
    assert list(document)[8:10] == ["status", "feedback"]
    statement = verify_reply_signature(signed, known)
    assert statement.feedback is True and statement.version == 2
    plain = parse_statement(reply(alice, case_id, reporter, [alice.public]).statement)
    assert plain.feedback is False and plain.version == 2


def test_statement_v1_is_still_read_as_not_feedback(reviewers, reporter, case_id):
    import json

    alice = reviewers[0]
    document = json.loads(reply(alice, case_id, reporter, [alice.public]).statement)
    del document["feedback"]
    document["version"] = 1
    v1 = json.dumps(document, separators=(",", ":")).encode()
    statement = parse_statement(v1)
    assert statement.version == 1 and statement.feedback is False
    with pytest.raises(FormatError, match="unknown key 'feedback'"):
        parse_statement(json.dumps({**document, "feedback": True}, separators=(",", ":")).encode())
    with pytest.raises(FormatError, match="lacks 'feedback'"):
        parse_statement(json.dumps({**document, "version": 2}, separators=(",", ":")).encode())
    with pytest.raises(FormatError, match="must be a boolean|true or false"):
        parse_statement(json.dumps({**document, "version": 2, "feedback": 1}, separators=(",", ":")).encode())
    with pytest.raises(FormatError, match="version 3"):
        parse_statement(json.dumps({**document, "version": 3}, separators=(",", ":")).encode())


# --- the reporter's checks --------------------------------------------------------------


def test_reporter_copy_for_another_reporter_is_refused(reviewers, reporter, other_reporter, case_id):
    alice = reviewers[0]
    signed = reply(alice, case_id, other_reporter, [alice.public])
    with pytest.raises(BindingError, match="another reporter"):
        open_as_reporter(signed, reporter)


def test_reporter_copy_that_does_not_open_is_refused(reviewers, reporter, case_id, known):
    # A dishonest signer seals to one key and names another in the statement.
    alice = reviewers[0]
    other_key = os.urandom(32)
    signed = make_reply(alice, case_id, other_key, [alice.public], 1, DAY, "hi", None)
    statement = json.loads(signed.statement)
    statement["reporter_reply_key"] = b64url(reporter.reply_public_key)
    with pytest.raises(NotARecipientError):
        open_as_reporter(resign(alice, statement, signed), reporter)


def test_body_moved_between_replies_is_refused(reviewers, reporter, case_id, known):
    # The signer (or anyone who can make a new statement) reuses reply 1's body as reply 2.
    alice = reviewers[0]
    first = reply(alice, case_id, reporter, [alice.public], seq=1, text="first")
    statement = json.loads(first.statement)
    statement["seq"] = 2
    moved = resign(alice, statement, first)
    with pytest.raises(BindingError, match="moved from another reply"):
        open_as_reporter(moved, reporter)
    with pytest.raises(BindingError, match="moved from another reply"):
        open_reply_for_reviewer(moved, alice)


def test_reporter_copy_with_bad_padding_is_refused(reviewers, reporter, case_id):
    from nacl import bindings

    alice = reviewers[0]
    signed = reply(alice, case_id, reporter, [alice.public])
    unpadded = bindings.crypto_box_seal(b'{"x":1}', reporter.reply_public_key)
    statement = json.loads(signed.statement)
    statement["for_reporter_hash"] = b64url(hash256(unpadded))
    forged = resign(alice, statement, SignedReply(signed.statement, signed.signature, unpadded, signed.for_reviewers))
    with pytest.raises(PaddingError):
        open_as_reporter(forged, reporter)


def test_reviewers_copy_checked_against_the_bundle_statement(reviewers, reporter, case_id, known):
    alice = reviewers[0]
    first = reply(alice, case_id, reporter, [alice.public], seq=1, text="first")
    second = reply(alice, case_id, reporter, [alice.public], seq=2, text="second")
    statement = verify_statement_signature(first.statement, first.signature, known)
    with pytest.raises(BindingError):
        open_reply_for_reviewer(second.for_reviewers, alice, statement)


def test_reviewer_not_on_the_case_cannot_read_it(reviewers, reporter, case_id):
    alice, bob = reviewers[0], reviewers[1]
    with pytest.raises(NotARecipientError):
        open_reply_for_reviewer(reply(alice, case_id, reporter, [alice.public]), bob)


# --- strict statements and inputs ---------------------------------------------------------


@pytest.mark.parametrize(
    "change, error",
    [
        ({"version": 3}, FormatError),
        ({"version": 1}, FormatError),
        ({"feedback": "yes"}, FormatError),
        ({"format": "candour-reply-body"}, FormatError),
        ({"seq": 0}, LimitError),
        ({"seq": 1_000_000_000}, LimitError),
        ({"seq": "1"}, FormatError),
        ({"seq": True}, FormatError),
        ({"day": "2026-02-30"}, FormatError),
        ({"case": "x" * 32}, FormatError),
        ({"reviewer_key_id": "00" * 9}, FormatError),
        ({"reporter_reply_key": b64url(bytes(31))}, FormatError),
        ({"reporter_reply_key": b64url(bytes(32)) + "="}, FormatError),
        ({"status": {"status": "closed", "outcome": None}}, FormatError),
        ({"status": {"status": "", "outcome": None, "reason": ""}}, FormatError),
        ({"status": {"status": "closed", "outcome": None, "reason": "r" * (MAX_REASON_CHARS + 1)}}, LimitError),
        ({"status": {"status": "closed", "outcome": "", "reason": ""}}, FormatError),
        ({"status": "closed"}, FormatError),
        ({"note": "hello"}, FormatError),
    ],
)
def test_malformed_statements_are_refused(reviewers, reporter, case_id, known, change, error):
    alice = reviewers[0]
    signed = reply(alice, case_id, reporter, [alice.public])
    statement = {**json.loads(signed.statement), **change}
    with pytest.raises(error):
        verify_reply_signature(resign(alice, statement, signed), known)


def test_statement_with_duplicate_keys_is_refused(reviewers, reporter, case_id):
    alice = reviewers[0]
    signed = reply(alice, case_id, reporter, [alice.public])
    with pytest.raises(FormatError, match="appears twice"):
        parse_statement(signed.statement[:-1] + b',"seq":2}')


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"text": ""}, FormatError, "needs text"),
        ({"text": "x" * (MAX_TEXT_CHARS + 1)}, LimitError, "100,000"),
        ({"seq": 0}, LimitError, "sequence"),
        ({"day": "yesterday"}, FormatError, "YYYY-MM-DD"),
        ({"case_id": "ABC"}, FormatError, "case id"),
        ({"reporter_reply_key": b"short"}, FormatError, "32 bytes"),
        ({"status": StatusChange("closed", None, "r" * (MAX_REASON_CHARS + 1))}, LimitError, "2,000"),
        ({"status": StatusChange("c" * 65)}, LimitError, "64"),
        ({"status": StatusChange("")}, FormatError, "status name"),
    ],
)
def test_make_reply_checks_its_inputs(reviewers, reporter, case_id, kwargs, error, message):
    alice = reviewers[0]
    arguments = dict(
        reviewer_keys=alice,
        case_id=case_id,
        reporter_reply_key=reporter.reply_public_key,
        case_recipients=[alice.public],
        seq=1,
        day=DAY,
        text="hello",
        status=None,
    )
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        make_reply(**arguments)


def test_author_must_be_a_recipient_of_the_case(reviewers, reporter, case_id):
    with pytest.raises(BindingError, match="not among this case's reviewers"):
        reply(reviewers[0], case_id, reporter, [reviewers[1].public])


# --- the reporter's view ------------------------------------------------------------------


def classify(replies, reporter, case_id, known):
    return classify_replies(
        replies,
        case_id=case_id,
        reporter_reply_secret_key=reporter.reply_secret_key,
        reporter_reply_public_key=reporter.reply_public_key,
        known_reviewers=known,
    )


def copy(signed):
    return ReporterCopy(signed.statement, signed.signature, signed.for_reporter)


def test_classify_all_verified(reviewers, reporter, case_id, known):
    alice, bob = reviewers[0], reviewers[1]
    recipients = [alice.public, bob.public]
    replies = [
        reply(alice, case_id, reporter, recipients, seq=1, text="a1"),
        reply(bob, case_id, reporter, recipients, seq=1, text="b1"),
        reply(alice, case_id, reporter, recipients, seq=2, text="a2"),
    ]
    views = classify([copy(r) for r in replies], reporter, case_id, known)
    assert [v.state for v in views] == ["verified"] * 3
    assert [v.body.text for v in views] == ["a1", "b1", "a2"]
    assert views[1].reviewer == bob.public


def test_classify_marks_rejections_gaps_and_replays(reviewers, reporter, other_reporter, case_id, known):
    alice, bob = reviewers[0], reviewers[1]
    recipients = [alice.public, bob.public]
    outsider = generate_reviewer_keys("Mallory")
    a1 = reply(alice, case_id, reporter, recipients, seq=1, text="a1")
    a2 = reply(alice, case_id, reporter, recipients, seq=2, text="a2")
    a5 = reply(alice, case_id, reporter, recipients, seq=5, text="a5")
    b3 = reply(bob, case_id, reporter, recipients, seq=3, text="b3")
    forged = reply(outsider, case_id, reporter, [outsider.public], seq=1, text="forged")
    other_case = reply(alice, new_submission_id().hex(), reporter, recipients, seq=3, text="elsewhere")
    other_key = reply(alice, case_id, other_reporter, recipients, seq=4, text="someone else")
    swapped = SignedReply(a2.statement, a2.signature, a1.for_reporter, a2.for_reviewers)
    views = classify(
        [copy(r) for r in (a1, forged, swapped, b3, other_case, a5, a1, other_key)], reporter, case_id, known
    )
    summary = []
    for view in views:
        if isinstance(view, MissingReplies):
            summary.append(("missing", view.reviewer_key_id, view.first, view.last))
        elif isinstance(view, RejectedReply):
            summary.append(("rejected", view.position))
        else:
            assert isinstance(view, VerifiedReply)
            summary.append(("verified", view.body.text))
    assert summary == [
        ("verified", "a1"),
        ("rejected", 1),  # unknown signer
        ("rejected", 2),  # for_reporter swapped from another reply
        ("missing", bob.key_id, 1, 2),
        ("verified", "b3"),
        ("rejected", 4),  # another case
        ("missing", alice.key_id, 2, 4),  # reply 2 was rejected, 3 and 4 never arrived for this case
        ("verified", "a5"),
        ("rejected", 6),  # a replayed copy of reply 1
        ("rejected", 7),  # sealed to another reporter
    ]
    reasons = {view.position: view.reason for view in views if isinstance(view, RejectedReply)}
    assert "not a known reviewer" in reasons[1]
    assert "hash" in reasons[2]
    assert "not for case" in reasons[4]
    assert "replay" in reasons[6]
    assert "different reporter key" in reasons[7]
    assert views[2].reviewer_key_id == alice.key_id and views[2].seq == 2


def test_classify_announces_each_gap_once_whatever_the_order(reviewers, reporter, case_id, known):
    alice = reviewers[0]
    a = {n: reply(alice, case_id, reporter, [alice.public], seq=n, text=str(n)) for n in (1, 3, 6)}
    views = classify([copy(a[6]), copy(a[3]), copy(a[1])], reporter, case_id, known)
    markers = [(v.first, v.last) for v in views if isinstance(v, MissingReplies)]
    assert markers == [(2, 2), (4, 5)]
    assert [v.state for v in views] == ["missing", "missing", "verified", "verified", "verified"]


def test_classify_is_cheap_for_a_huge_signed_sequence_number(reviewers, reporter, case_id, known):
    alice = reviewers[0]
    huge = reply(alice, case_id, reporter, [alice.public], seq=999_999_999)
    views = classify([copy(huge)], reporter, case_id, known)
    assert isinstance(views[0], MissingReplies) and views[0].count == 999_999_998


def test_reporter_copy_too_short_to_be_a_sealed_box_is_refused(reviewers, reporter, case_id, known):
    alice = reviewers[0]
    signed = reply(alice, case_id, reporter, [alice.public])
    statement = json.loads(signed.statement)
    statement["for_reporter_hash"] = b64url(hash256(b"x"))
    forged = resign(alice, statement, SignedReply(signed.statement, signed.signature, b"x", signed.for_reviewers))
    with pytest.raises(NotARecipientError):
        open_as_reporter(forged, reporter)
    views = classify([forged], reporter, case_id, known)
    assert [v.state for v in views] == ["rejected"]
