"""crypto.replyfile: the reply file's structure, caps and atomic appends (§9)."""

import json
import os

import pytest

from crypto.envelope import new_submission_id
from crypto.errors import ReplyFileError, SequenceError
from crypto.identity import b64url
from crypto.reply import SignedReply, make_reply, verify_reply_signature
from crypto.replyfile import (
    MAX_REPLIES,
    MAX_REPLY_FILE_BYTES,
    append_to_reply_file,
    read_reply_file,
    reply_file_bytes,
    reply_to_json,
    write_reply_file,
)

DAY = "2026-11-27"


@pytest.fixture
def replies(reviewers, reporter):
    alice, bob = reviewers[0], reviewers[1]
    case_id = new_submission_id().hex()
    recipients = [alice.public, bob.public]
    return [
        make_reply(alice, case_id, reporter.reply_public_key, recipients, 1, DAY, "first", None),
        make_reply(bob, case_id, reporter.reply_public_key, recipients, 1, DAY, "from bob", None),
        make_reply(alice, case_id, reporter.reply_public_key, recipients, 2, DAY, "second", None),
    ]


def test_append_creates_the_file_and_round_trips(tmp_path, replies, reviewers):
    path = tmp_path / "replies.json"
    for count, reply in enumerate(replies, start=1):
        assert append_to_reply_file(path, reply) == count
    read_back = read_reply_file(path)
    assert read_back == replies
    assert read_reply_file(path.read_bytes()) == replies
    known = {r.key_id: r.public for r in reviewers}
    assert [verify_reply_signature(r, known).seq for r in read_back] == [1, 1, 2]
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["replies.json"]  # no temporary file left


def test_append_refuses_a_duplicate_number(tmp_path, replies, reviewers, reporter):
    path = tmp_path / "replies.json"
    append_to_reply_file(path, replies[0])
    with pytest.raises(SequenceError, match="already in the reply file"):
        append_to_reply_file(path, replies[0])
    case_id = json.loads(replies[0].statement)["case"]
    alice = reviewers[0]
    again = make_reply(alice, case_id, reporter.reply_public_key, [alice.public], 1, DAY, "other text", None)
    with pytest.raises(SequenceError, match="next number"):
        append_to_reply_file(path, again)
    assert read_reply_file(path) == [replies[0]]


def test_failed_append_leaves_the_old_file(tmp_path, replies):
    path = tmp_path / "replies.json"
    write_reply_file(path, replies[:1])
    before = path.read_bytes()
    broken = SignedReply(replies[1].statement, b"short", replies[1].for_reporter, replies[1].for_reviewers)
    with pytest.raises(ReplyFileError, match="64 bytes"):
        append_to_reply_file(path, broken)
    assert path.read_bytes() == before


def test_reply_count_cap(replies):
    with pytest.raises(ReplyFileError, match="1,000"):
        reply_file_bytes([replies[0]] * (MAX_REPLIES + 1))
    # The count is checked before any entry is decoded, so empty entries suffice.
    document = {"format": "candour-reply-file", "version": 1, "replies": [{}] * (MAX_REPLIES + 1)}
    with pytest.raises(ReplyFileError, match="1,000"):
        read_reply_file(json.dumps(document).encode())


def test_size_cap_is_checked_before_parsing(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(MAX_REPLY_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ReplyFileError, match="64 MiB"):
        read_reply_file(path)
    with pytest.raises(ReplyFileError, match="64 MiB"):
        read_reply_file(b" " * (MAX_REPLY_FILE_BYTES + 1))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ReplyFileError, match="no reply file"):
        read_reply_file(tmp_path / "nothing.json")


def good_document(replies):
    return json.loads(reply_file_bytes(replies))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(format="candour-bundle"), "not a 'candour-reply-file'"),
        (lambda d: d.update(version=2), "version 2"),
        (lambda d: d.pop("replies"), "lacks 'replies'"),
        (lambda d: d.update(extra=True), "unknown key 'extra'"),
        (lambda d: d.update(replies={}), "must be a list"),
        (lambda d: d["replies"].append("x"), "must be a JSON object"),
        (lambda d: d["replies"][0].pop("for_reviewers"), "lacks 'for_reviewers'"),
        (lambda d: d["replies"][0].update(signature=b64url(bytes(63))), "64 bytes"),
        (lambda d: d["replies"][0].update(statement="not*base64"), "base64url"),
        (lambda d: d["replies"][0].update(statement=d["replies"][0]["statement"] + "=="), "base64url"),
        (lambda d: d["replies"][0].update(statement=b64url(bytes(40_000))), "longer than"),
        (lambda d: d["replies"][0].update(for_reporter=5), "base64url string"),
    ],
)
def test_malformed_reply_files_are_refused(replies, mutate, message):
    document = good_document(replies)
    mutate(document)
    with pytest.raises(ReplyFileError, match=message):
        read_reply_file(json.dumps(document).encode())


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"[]", b"\xef\xbb\xbf{}", b"\xff\xfe", b'{"format":"candour-reply-file","format":"x"}'],
)
def test_garbage_is_a_reply_file_error(data):
    with pytest.raises(ReplyFileError):
        read_reply_file(data)


def test_bad_statement_inside_is_left_for_the_per_reply_check(replies):
    # The file is well formed; the server refuses that one reply and keeps the others.
    document = good_document(replies)
    document["replies"][0]["statement"] = b64url(b"not a statement")
    parsed = read_reply_file(json.dumps(document).encode())
    assert parsed[0].statement == b"not a statement"
    assert parsed[1:] == replies[1:]
    assert reply_to_json(parsed[1]) == document["replies"][1]
