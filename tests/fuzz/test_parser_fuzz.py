"""Property-based fuzzing of every parser of hostile input in `crypto` (issue #7).

Each parser gets (a) arbitrary bytes or text and (b) structure-aware damage to a valid
object: flipped, dropped, inserted and duplicated bytes, truncation, JSON with
duplicate keys, swapped fields, numbers made huge/negative/float/bool, non-canonical
base64, wrong types, depth bombs and strings at their caps. The contract checked:

- the parser raises a `CandourError` subclass, or
- it succeeds, and then only on input that is still valid: an authenticated object
  that was changed never opens, and anything accepted meets the format's types and caps.

Any other exception (KeyError, TypeError, UnicodeDecodeError, zipfile.BadZipFile,
RecursionError…) fails the test. Reading a bundle into case folders never writes
outside the target folder.

CANDOUR_FUZZ_EXAMPLES sets the cases per parser (split across its tests); the default
keeps `make test` quick. docs/fuzzing.md records a full run of 10,000 per parser;
CANDOUR_FUZZ_COUNTS=path writes the cases each parser actually ran as JSON.
"""

from __future__ import annotations

import datetime
import functools
import io
import json
import math
import os
import string
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fuzz_support import (
    CASE_ID,
    ENVELOPE_PLAINTEXTS,
    KEY_PASSPHRASE,
    cheap_key_file_kdf,
    json_text_tricks,
    mutated_bytes,
    mutated_json,
    nasty_values,
    reply_body_bytes,
    seal_for_reporter,
    sign_list_body,
    sign_part0,
    to_json_bytes,
    valid_bundle,
    valid_bundle_parts,
    valid_envelopes,
    valid_followup_manifest,
    valid_key_file_document,
    valid_manifest,
    valid_replies,
    valid_reply,
    valid_reply_file,
    valid_reviewer_list,
    world,
    zip_bundle,
)

from crypto.bundle import MEMBER_NAME, Bundle, open_bundle
from crypto.casefolder import (
    MAX_FILE_NAME_BYTES,
    MAX_FILE_NAME_CHARS,
    numbered_name,
    safe_file_name,
    write_case_folders,
)
from crypto.codename import CODENAME_WORDS, normalise_codename
from crypto.envelope import MAGIC, open_envelope
from crypto.errors import CandourError
from crypto.identity import (
    MAX_MEMLIMIT,
    MAX_OPSLIMIT,
    b64url,
    load_private_key,
    parse_org_identity,
    parse_public_identity,
    unb64url,
)
from crypto.org import verify_reviewer_list
from crypto.reply import (
    MAX_REASON_CHARS,
    MAX_SEQ,
    MAX_STATUS_CHARS,
    MAX_TEXT_CHARS,
    SIGNATURE_CONTEXT,
    ReplyBody,
    ReplyStatement,
    ReporterCopy,
    SignedReply,
    VerifiedReply,
    classify_replies,
    open_reply_for_reporter,
    open_reply_for_reviewer,
    parse_body,
    parse_statement,
    verify_statement_signature,
)
from crypto.replyfile import read_reply_file
from crypto.strict_json import dumps_compact, is_day, is_hex
from crypto.submission import (
    FIELDS_BY_KIND,
    MAX_ATTACHMENT_SIZE,
    MAX_FIELD_CHARS,
    MAX_NAME_CHARS,
    MAX_TYPE_CHARS,
    REQUIRED_FIELD,
    SubmissionManifest,
    open_submission,
    parse_part0,
    verify_only_sinks,
)
from crypto.wordlist import word_index, words

EXAMPLES = int(os.environ.get("CANDOUR_FUZZ_EXAMPLES", "250"))
COUNTS: Counter[str] = Counter()
T = TypeVar("T")


def fuzz(share: float) -> Callable[[T], T]:
    """Hypothesis settings for a test that runs `share` of its parser's examples, reproducibly."""
    return settings(
        max_examples=max(1, math.ceil(EXAMPLES * share)),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def attempt(parser: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run one parser: its result, or None if it refused with a CandourError. Anything else propagates."""
    COUNTS[parser] += 1
    try:
        return call(*args, **kwargs)
    except CandourError as exc:
        assert str(exc), "every refusal carries a message a person can act on"
        return None


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    target = os.environ.get("CANDOUR_FUZZ_COUNTS")
    if target:
        Path(target).write_text(json.dumps(dict(sorted(COUNTS.items())), indent=2) + "\n", encoding="utf-8")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
arbitrary_json_bytes = st.one_of(
    st.binary(max_size=512),
    json_values.map(to_json_bytes),
    st.dictionaries(
        st.sampled_from(["format", "version", "signed", "signature", "replies", "case"]), nasty_values, max_size=6
    ).map(to_json_bytes),
)


def json_mutations(document: Any) -> st.SearchStrategy[bytes]:
    """Bytes of `document` after structural JSON damage, whole-text respellings or byte damage."""
    encoded = to_json_bytes(document)
    return st.one_of(
        mutated_json(document).map(to_json_bytes),
        st.sampled_from(json_text_tricks(encoded)),
        mutated_bytes(encoded),
    )


# --- envelope -----------------------------------------------------------------------------------


class ShortReads(io.RawIOBase):
    """A pipe-like stream that returns at most `step` bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        piece, self._data = bytes(self._data[:size]), self._data[size:]
        return piece


def _open(data: bytes, step: int | None) -> tuple[Any, bytes]:
    sink = io.BytesIO()
    source = io.BytesIO(data) if step is None else ShortReads(data, step)
    opened = open_envelope(source, sink, world().alice)  # type: ignore[arg-type]
    return opened, sink.getvalue()


envelope_prefixes = st.one_of(
    st.binary(max_size=256),
    st.binary(max_size=400).map(lambda b: MAGIC + b),
    st.tuples(
        st.integers(0, 255),
        st.integers(0, 255),
        st.binary(min_size=18, max_size=18),
        st.integers(0, 255),
        st.binary(max_size=2000),
    ).map(lambda t: MAGIC + bytes([1, 1]) + t[2] + bytes([t[1] % 64, t[0] % 17]) + t[4]),
)


@fuzz(0.3)
@given(data=envelope_prefixes)
def test_envelope_refuses_arbitrary_bytes(data: bytes) -> None:
    assert attempt("envelope", _open, data, None) is None


@fuzz(0.7)
@given(which=st.integers(0, 2), step=st.one_of(st.none(), st.integers(1, 70_000)), data=st.data())
def test_envelope_opens_only_unaltered(which: int, step: int | None, data: st.DataObject) -> None:
    original = valid_envelopes()[which]
    damaged = data.draw(mutated_bytes(original))
    result = attempt("envelope", _open, damaged, step)
    if damaged == original:
        assert result is not None and result[1] == ENVELOPE_PLAINTEXTS[which]
    else:
        assert result is None, "an altered envelope opened"


# --- submission part 0 ------------------------------------------------------------------------------


def check_manifest_valid(manifest: SubmissionManifest) -> None:
    """What any manifest parse_part0 accepts must satisfy (§7)."""
    assert manifest.kind in FIELDS_BY_KIND
    assert is_hex(manifest.case, 16) and is_hex(manifest.submission, 16) and is_day(manifest.day)
    assert len(manifest.reporter.reply_key) == 32 and len(manifest.reporter.sign_key) == 32
    assert list(manifest.fields) == list(FIELDS_BY_KIND[manifest.kind])
    assert all(isinstance(v, str) and len(v) <= MAX_FIELD_CHARS for v in manifest.fields.values())
    assert manifest.fields[REQUIRED_FIELD[manifest.kind]]
    for position, info in enumerate(manifest.attachments, start=1):
        assert info.part == position and type(info.size) is int and 0 <= info.size <= MAX_ATTACHMENT_SIZE
        assert isinstance(info.name, str) and len(info.name) <= MAX_NAME_CHARS
        assert isinstance(info.type, str) and len(info.type) <= MAX_TYPE_CHARS
        assert len(info.header_hash) == 32
        info.name.encode("utf-8")


@fuzz(0.2)
@given(data=arbitrary_json_bytes)
def test_part0_refuses_arbitrary_bytes(data: bytes) -> None:
    assert attempt("submission part 0", parse_part0, data) is None


@fuzz(0.3)
@given(data=st.data(), which=st.sampled_from([valid_manifest, valid_followup_manifest]))
def test_part0_wrapper_damage_never_changes_what_was_signed(data: st.DataObject, which: Callable[[], bytes]) -> None:
    manifest = which()
    plaintext = sign_part0(manifest, world().reporter)
    damaged = data.draw(json_mutations(json.loads(plaintext)))
    result = attempt("submission part 0", parse_part0, damaged)
    if result is not None:
        assert result.signed_bytes == manifest
        assert result.signature == unb64url(json.loads(plaintext)["signature"])


@fuzz(0.5)
@given(data=st.data(), which=st.sampled_from([valid_manifest, valid_followup_manifest]))
def test_part0_resigned_manifest_damage(data: st.DataObject, which: Callable[[], bytes]) -> None:
    # Re-signed by the reporter, so the manifest checks are reached rather than the signature.
    damaged = data.draw(json_mutations(json.loads(which())))
    result = attempt("submission part 0", parse_part0, sign_part0(damaged, world().reporter))
    if result is not None:
        check_manifest_valid(result)
        assert result.signed_bytes == damaged


# --- reply statements and bodies ------------------------------------------------------------------------


def check_statement_valid(statement: ReplyStatement) -> None:
    assert is_hex(statement.case, 16) and is_day(statement.day)
    assert len(statement.reporter_reply_key) == 32 and len(statement.reviewer) == 32
    assert len(statement.reviewer_key_id) == 8
    assert type(statement.seq) is int and 1 <= statement.seq <= MAX_SEQ
    assert len(statement.for_reporter_hash) == 32 and len(statement.for_reviewers_hash) == 32
    if statement.status is not None:
        assert isinstance(statement.status.status, str) and 1 <= len(statement.status.status) <= MAX_STATUS_CHARS
        assert statement.status.outcome is None or 1 <= len(statement.status.outcome) <= MAX_STATUS_CHARS
        assert isinstance(statement.status.reason, str) and len(statement.status.reason) <= MAX_REASON_CHARS


def check_body_valid(body: ReplyBody) -> None:
    assert is_hex(body.case, 16) and len(body.reviewer_key_id) == 8
    assert type(body.seq) is int and 1 <= body.seq <= MAX_SEQ
    assert isinstance(body.text, str) and len(body.text) <= MAX_TEXT_CHARS
    body.text.encode("utf-8")


@fuzz(0.25)
@given(data=arbitrary_json_bytes)
def test_statement_and_body_refuse_arbitrary_bytes(data: bytes) -> None:
    for parser, call in (("reply statement", parse_statement), ("reply body", parse_body)):
        result = attempt(parser, call, data)
        assert result is None or isinstance(result, (ReplyStatement, ReplyBody))


@fuzz(0.5)
@given(data=st.data())
def test_statement_damage(data: st.DataObject) -> None:
    reply = valid_reply()
    damaged = data.draw(json_mutations(json.loads(reply.statement)))
    parsed = attempt("reply statement", parse_statement, damaged)
    if parsed is not None:
        check_statement_valid(parsed)
    w = world()
    known = {w.alice.key_id: w.alice.public, w.bob.key_id: w.bob.public}
    verified = attempt("reply statement", verify_statement_signature, damaged, reply.signature, known)
    assert (verified is not None) == (damaged == reply.statement), "an altered statement verified"
    # Re-signed by its reviewer: the signature passes, so every check after it is reached.
    resigned = w.alice.signing_key.sign(SIGNATURE_CONTEXT + damaged).signature
    verified = attempt("reply statement", verify_statement_signature, damaged, resigned, known)
    if verified is not None:
        check_statement_valid(verified)
        assert verified.reviewer_key_id == w.alice.key_id and verified.reviewer == w.alice.public.sign_public_key


@fuzz(0.25)
@given(data=st.data())
def test_body_damage(data: st.DataObject) -> None:
    damaged = data.draw(json_mutations(json.loads(reply_body_bytes())))
    body = attempt("reply body", parse_body, damaged)
    if body is not None:
        check_body_valid(body)


def _reporter_copy(reply: SignedReply, for_reporter: bytes) -> ReporterCopy:
    """A reporter copy whose statement names `for_reporter`'s hash (unsigned: opening does not check it)."""
    from crypto.kdf import hash256

    statement = json.loads(reply.statement)
    statement["for_reporter_hash"] = b64url(hash256(for_reporter))
    return ReporterCopy(dumps_compact(statement), reply.signature, for_reporter)


@fuzz(0.25)
@given(data=st.data(), padded=st.booleans())
def test_reporter_copy_damage(data: st.DataObject, padded: bool) -> None:
    w = world()
    reply = valid_reply()
    keys = (w.reporter.reply_secret_key, w.reporter.reply_public_key)
    # The sealed copy itself: any change must stop it opening.
    damaged = data.draw(mutated_bytes(reply.for_reporter))
    opened = attempt("reply body", open_reply_for_reporter, _reporter_copy(reply, damaged), *keys)
    assert (opened is not None) == (damaged == reply.for_reporter)
    # The body inside, freshly sealed: padding and body checks are reached.
    body = data.draw(st.one_of(json_mutations(json.loads(reply_body_bytes())), st.binary(max_size=64)))
    sealed = seal_for_reporter(body, padded=padded)
    opened = attempt("reply body", open_reply_for_reporter, _reporter_copy(reply, sealed), *keys)
    if opened is not None:
        check_body_valid(opened)


@fuzz(0.25)
@given(data=st.data())
def test_reviewer_copy_damage(data: st.DataObject) -> None:
    reply = valid_reply()
    damaged = data.draw(mutated_bytes(reply.for_reviewers))
    altered = SignedReply(reply.statement, reply.signature, reply.for_reporter, damaged)
    opened = attempt("reply body", open_reply_for_reviewer, altered, world().alice)
    assert (opened is not None) == (damaged == reply.for_reviewers)


@fuzz(0.25)
@given(data=st.data())
def test_reporter_view_never_raises(data: st.DataObject) -> None:
    w = world()
    replies = []
    for reply in data.draw(st.lists(st.sampled_from(valid_replies()), min_size=1, max_size=4)):
        field = data.draw(st.sampled_from(["none", "statement", "signature", "for_reporter"]))
        if field != "none":
            reply = SignedReply(**{**reply.__dict__, field: data.draw(mutated_bytes(getattr(reply, field)))})
        replies.append(reply)
    COUNTS["reply statement"] += len(replies)
    views = classify_replies(
        replies,
        case_id=CASE_ID.hex(),
        reporter_reply_secret_key=w.reporter.reply_secret_key,
        reporter_reply_public_key=w.reporter.reply_public_key,
        known_reviewers={w.alice.key_id: w.alice.public, w.bob.key_id: w.bob.public},
    )
    originals = {(r.statement, r.signature, r.for_reporter) for r in valid_replies()}
    for view in views:
        if isinstance(view, VerifiedReply):
            assert any(view.statement.raw == statement for statement, _, _ in originals)
    for reply, view in zip(replies, (v for v in views if v.state != "missing"), strict=True):
        if (reply.statement, reply.signature, reply.for_reporter) not in originals:
            assert view.state == "rejected"


# --- reply file --------------------------------------------------------------------------------------------


def _reply_file(data: bytes, via_path: bool) -> list[SignedReply]:
    if not via_path:
        return read_reply_file(data)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "replies.json"
        path.write_bytes(data)
        return read_reply_file(path)


def check_reply_file_valid(replies: list[SignedReply]) -> None:
    assert len(replies) <= 1000
    for reply in replies:
        assert all(
            isinstance(getattr(reply, f), bytes) for f in ("statement", "signature", "for_reporter", "for_reviewers")
        )
        assert len(reply.signature) == 64


@fuzz(0.3)
@given(data=arbitrary_json_bytes, via_path=st.booleans())
def test_reply_file_arbitrary_bytes(data: bytes, via_path: bool) -> None:
    result = attempt("reply file", _reply_file, data, via_path)
    if result is not None:
        check_reply_file_valid(result)


@fuzz(0.7)
@given(data=st.data(), via_path=st.booleans())
def test_reply_file_damage(data: st.DataObject, via_path: bool) -> None:
    damaged = data.draw(json_mutations(json.loads(valid_reply_file())))
    result = attempt("reply file", _reply_file, damaged, via_path)
    if result is not None:
        check_reply_file_valid(result)


# --- export bundle -----------------------------------------------------------------------------------------


def read_everything(bundle: Bundle) -> None:
    """What the reviewer tool does with an opened bundle, minus the files: open every part and reply."""
    w = world()
    known = bundle.known_reviewers()
    for case in bundle.cases:
        reporter = None
        for submission in case.submissions:
            try:
                opened = open_submission(
                    bundle.part_sources(submission),
                    w.alice,
                    expected_case=case.case,
                    expected_reporter=reporter,
                    attachment_sink_factory=verify_only_sinks,
                )
            except CandourError:
                continue
            reporter = reporter or opened.reporter
        for reply in case.replies:
            try:
                statement = verify_statement_signature(reply.statement, reply.signature, known)
                open_reply_for_reviewer(bundle.read_member(reply.member), w.alice, statement)
            except CandourError:
                continue


def _open_and_read(data: bytes) -> Bundle:
    with open_bundle(io.BytesIO(data), world().alice) as bundle:
        read_everything(bundle)
        return bundle


@functools.cache
def original_cases() -> tuple[Any, ...]:
    with open_bundle(io.BytesIO(valid_bundle()), world().alice) as bundle:
        return bundle.cases


@fuzz(0.15)
@given(data=st.one_of(st.binary(max_size=2048), st.binary(max_size=2048).map(lambda b: b"PK\x03\x04" + b)))
def test_bundle_arbitrary_bytes(data: bytes) -> None:
    assert attempt("bundle", _open_and_read, data) is None


@fuzz(0.35)
@given(data=st.data())
def test_bundle_zip_damage(data: st.DataObject) -> None:
    original = valid_bundle()
    damaged = data.draw(mutated_bytes(original, max_ops=3))
    bundle = attempt("bundle", _open_and_read, damaged)
    if bundle is not None:
        # The manifest is sealed: whatever ZIP damage got through cannot have changed it.
        assert bundle.cases == original_cases()


@fuzz(0.3)
@given(data=st.data())
def test_bundle_manifest_damage(data: st.DataObject) -> None:
    # Re-sealed to the reviewer, so the manifest's JSON checks are reached, not just its MAC.
    parts = valid_bundle_parts()
    manifest = data.draw(json_mutations(parts.manifest))
    bundle = attempt("bundle", _open_and_read, zip_bundle(dumps_compact(parts.bundle_json), manifest, parts.members))
    if bundle is not None:
        for name in bundle._manifest.members:
            assert MEMBER_NAME.fullmatch(name)
            assert name in parts.members


@fuzz(0.1)
@given(data=st.data())
def test_bundle_json_damage(data: st.DataObject) -> None:
    parts = valid_bundle_parts()
    bundle_json = data.draw(json_mutations(parts.bundle_json))
    bundle = attempt("bundle", _open_and_read, zip_bundle(bundle_json, dumps_compact(parts.manifest), parts.members))
    if bundle is not None:
        assert bundle.cases == original_cases()


HOSTILE_MEMBER_NAMES = (
    "../escape.cnd",
    "/etc/passwd",
    "cases/../../escape.cnd",
    "C:\\escape.cnd",
    "cases\\00000000000000000000000000000000\\x.cnd",
    "bundle.json/../x",
    "manifest.cnd ",
    "BUNDLE.JSON",
    "cases/",
    "",
    ".",
    "..",
    "cases/00000000000000000000000000000000/00000000000000000000000000000000/64.cnd",
    "cases/00000000000000000000000000000000/00000000000000000000000000000000/00.cnd",
    "cases/00000000000000000000000000000000/replies/0000000000000000-0.cnd",
    "cases/00000000000000000000000000000000/00000000000000000000000000000000/1.cnd\n",
    "cases/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/00000000000000000000000000000000/1.cnd",
    "con.cnd",
    "cases/\u0430" + "0" * 31 + "/" + "0" * 32 + "/1.cnd",
)


@fuzz(0.1)
@given(
    name=st.one_of(st.sampled_from(HOSTILE_MEMBER_NAMES), st.text(max_size=80)),
    mode=st.sampled_from(["add", "rename", "duplicate"]),
    data=st.data(),
)
def test_bundle_member_names(name: str, mode: str, data: st.DataObject) -> None:
    parts = valid_bundle_parts()
    members = dict(parts.members)
    victim = data.draw(st.sampled_from(sorted(members)))
    if mode == "rename":
        members[name] = members.pop(victim)
    else:
        members[name] = members[victim] if mode == "duplicate" else b"hostile"
    manifest = dumps_compact(parts.manifest)
    try:
        archive = zip_bundle(dumps_compact(parts.bundle_json), manifest, members)
    except (ValueError, UnicodeEncodeError):
        return  # zipfile itself will not write this name; nothing to read
    bundle = attempt("bundle", _open_and_read, archive)
    if bundle is not None:
        # Only names that zipfile reads back as the original (a NUL truncates) can pass.
        assert name.split("\x00")[0] in parts.members


# --- signed reviewer list ----------------------------------------------------------------------------------------


@fuzz(0.2)
@given(data=arbitrary_json_bytes, fingerprint=st.one_of(st.none(), st.text(max_size=80)))
def test_reviewer_list_arbitrary_bytes(data: bytes, fingerprint: str | None) -> None:
    assert attempt("reviewer list", verify_reviewer_list, data, fingerprint) is None


@fuzz(0.3)
@given(data=st.data())
def test_reviewer_list_document_damage(data: st.DataObject) -> None:
    original = valid_reviewer_list()
    damaged = data.draw(json_mutations(json.loads(original)))
    result = attempt("reviewer list", verify_reviewer_list, damaged, world().org.public.fingerprint)
    if result is not None:
        # The body is signed: only its wrapping can have changed.
        assert result.body == unb64url(json.loads(original)["body"])


@fuzz(0.5)
@given(data=st.data(), fingerprint=st.one_of(st.none(), st.just("org"), st.text(max_size=60)))
def test_reviewer_list_resigned_body_damage(data: st.DataObject, fingerprint: str | None) -> None:
    body = unb64url(json.loads(valid_reviewer_list())["body"])
    damaged = data.draw(json_mutations(json.loads(body)))
    expected = world().org.public.fingerprint if fingerprint == "org" else fingerprint
    result = attempt("reviewer list", verify_reviewer_list, sign_list_body(damaged), expected)
    if result is not None:
        assert type(result.serial) is int and result.serial >= 1 and is_day(result.issued)
        assert 0 < len(result.organisation) <= 200
        result.organisation.encode("utf-8")
        assert len({r.key_id for r in result.reviewers}) == len(result.reviewers) <= 1000
        for reviewer in result.reviewers:
            assert isinstance(reviewer.display_name, str) and 0 < len(reviewer.display_name) <= 200
            assert isinstance(reviewer.role, str) and len(reviewer.role) <= 200
            assert isinstance(reviewer.required, bool)
            (reviewer.display_name + reviewer.role).encode("utf-8")


# --- public identity lines -----------------------------------------------------------------------------------------


def _line_mutations(line: str, prefix: str) -> st.SearchStrategy[str]:
    blob = unb64url(line[len(prefix) :])
    return st.one_of(
        mutated_bytes(line.encode("ascii")).map(lambda b: b.decode("utf-8", "replace")),
        mutated_bytes(blob).map(lambda b: prefix + b64url(b)),
        st.sampled_from([f"# comment\n{line}\n", f"{line}\n{line}", f"  {line}  ", line.upper(), line + "=", prefix]),
    )


@fuzz(0.3)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.text(string.ascii_letters + string.digits + "-_", max_size=300).map(lambda t: "candour-reviewer-1:" + t),
    )
)
def test_identity_arbitrary_text(text: str) -> None:
    assert attempt("identity line", parse_public_identity, text) is None
    assert attempt("identity line", parse_org_identity, text.replace("candour-reviewer-1:", "candour-org-1:")) is None


@fuzz(0.7)
@given(data=st.data(), org=st.booleans())
def test_identity_damage(data: st.DataObject, org: bool) -> None:
    w = world()
    identity = w.org.public if org else w.alice.public
    prefix = "candour-org-1:" if org else "candour-reviewer-1:"
    line = identity.to_line()
    damaged = data.draw(_line_mutations(line, prefix))
    result = attempt("identity line", parse_org_identity if org else parse_public_identity, damaged)
    if result is not None:
        assert result == identity  # self-signed: nothing else can pass


# --- codenames --------------------------------------------------------------------------------------------


def check_codename(result: str) -> None:
    words = result.split(" ")
    assert len(words) == CODENAME_WORDS and all(word in word_index() for word in words)
    assert normalise_codename(result) == result


@fuzz(0.4)
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(["abandon", "zoo", "ZOO", "\uff41bandon", "-", "\n", ""]), max_size=12).map(" ".join),
    )
)
def test_codename_arbitrary_text(text: str) -> None:
    result = attempt("codename", normalise_codename, text)
    if result is not None:
        check_codename(result)


@fuzz(0.6)
@given(data=st.data())
def test_codename_damage(data: st.DataObject) -> None:
    codename = " ".join(data.draw(st.lists(st.sampled_from(words()), min_size=8, max_size=8)))
    damaged = data.draw(mutated_bytes(codename.encode())).decode("utf-8", "replace")
    result = attempt("codename", normalise_codename, damaged)
    if result is not None:
        check_codename(result)


# --- private key files --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def _load_key(key_dir: Path, data: bytes, passphrase: str) -> Any:
    path = key_dir / "fuzzed.key"
    path.write_bytes(data)
    return load_private_key(path, passphrase)


def _check_key_load(key_dir: Path, data: bytes, passphrase: str = KEY_PASSPHRASE) -> None:
    with cheap_key_file_kdf() as kdf:
        keys = attempt("key file", _load_key, key_dir, data, passphrase)
    for opslimit, memlimit in kdf.requested:
        assert 1 <= opslimit <= MAX_OPSLIMIT and 8192 <= memlimit <= MAX_MEMLIMIT, "a key file set the KDF cost"
    if keys is not None:
        assert keys.seed == world().alice.seed and keys.public == world().alice.public


@fuzz(0.2)
@given(data=arbitrary_json_bytes)
def test_key_file_arbitrary_bytes(key_dir: Path, data: bytes) -> None:
    _check_key_load(key_dir, data)


@fuzz(0.7)
@given(data=st.data())
def test_key_file_damage(key_dir: Path, data: st.DataObject) -> None:
    _check_key_load(key_dir, data.draw(json_mutations(valid_key_file_document())))


@fuzz(0.1)
@given(
    passphrase=st.one_of(
        st.text(max_size=40), st.text(st.characters(codec=None, categories=["Cs", "Cc", "Lo"]), max_size=8)
    )
)
def test_key_file_any_passphrase(key_dir: Path, passphrase: str) -> None:
    _check_key_load(key_dir, to_json_bytes(valid_key_file_document()), passphrase)


# --- case folders: nothing escapes the target folder ----------------------------------------------------------------

hostile_names = st.one_of(
    st.sampled_from(
        [
            "../../escape.txt",
            "/etc/passwd",
            "..",
            ".",
            "",
            "a\x00b.txt",
            "CON",
            "con.txt",
            "NUL.tar.gz",
            "COM1",
            "lpt\u00b9.doc",
            "C:\\Windows\\x.exe",
            "\\\\server\\share",
            "report.txt",
            "case.html",
            "..\\..\\x",
            "gpj.\u202eexe",
            " .hidden ",
            "x" * 300,
            "\U0001f600" * 100 + ".txt",
            "a." + "\u00e9" * 99,
            "name.\U0001f600\U0001f600\U0001f600\U0001f600",
            ".candour-tmp-x.part",
        ]
    ),
    st.text(max_size=120),
)


@fuzz(1.0)
@given(name=hostile_names, others=st.lists(hostile_names, max_size=3))
def test_safe_file_name_stays_in_its_folder(name: str, others: list[str]) -> None:
    COUNTS["casefolder names"] += 1
    taken: set[str] = set()
    for candidate in [name, *others, name]:
        safe = numbered_name(safe_file_name(candidate, "attachment-1"), taken)
        assert safe not in ("", ".", "..") and "/" not in safe and "\\" not in safe and "\x00" not in safe
        assert len(safe.encode("utf-8")) <= 255 and len(safe) <= MAX_FILE_NAME_CHARS + 8
        assert len(safe_file_name(candidate, "attachment-1").encode("utf-8")) <= MAX_FILE_NAME_BYTES
        assert os.path.normpath(os.path.join("/folder", safe)).startswith("/folder/")


def _files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*")}


@fuzz(0.02)
@given(names=st.lists(hostile_names, min_size=1, max_size=3))
def test_case_folders_write_only_inside_the_target(names: list[str]) -> None:
    from tests.support.fuzz_support import CaseBuilder

    w = world()
    case = CaseBuilder([w.alice.public], w.reporter, {"what": "names"})
    names = [name[:255] for name in names]
    case.with_report(attachments=[(name, b"x") for name in names])
    case.with_followup("2026-11-21", "more", attachments=[(names[0], b"y")])
    parts = valid_bundle_parts()
    parts.manifest["cases"] = [case.entry()]
    archive = zip_bundle(dumps_compact(parts.bundle_json), dumps_compact(parts.manifest), dict(case.blobs))
    COUNTS["casefolder"] += 1
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        out = root / "inside" / "out"
        (root / "inside").mkdir()
        with open_bundle(io.BytesIO(archive), w.alice) as bundle:
            summary = write_case_folders(bundle, w.alice, out, datetime.date(2026, 12, 1))
        assert not summary.unreadable, summary.unreadable
        for path in _files_under(root):
            assert path.resolve().is_relative_to(out.resolve()) or path == root / "inside", path
        saved = sorted(p.name for p in (out / case.case / "attachments").iterdir())
        assert len(saved) == len(names)
