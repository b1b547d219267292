"""Replies from reviewers to reporters (docs/format.md §8).

A reply is four byte strings: the signed *statement* (what the server and the
reporter check), the reviewer's *signature* over it, *for_reporter* (the body sealed
to the reporter's reply key) and *for_reviewers* (the body in an envelope sealed to
every reviewer on the case). The statement commits to both copies by hash, so the
server can check a reply without reading it and cannot swap one reply's body into
another.

Who calls what:
- the reply tool (air-gapped): `make_reply`;
- the server on upload: `verify_reply_signature`, `check_reply_binding`, `check_sequence`;
- the reporter's view: `classify_replies` (the browser code follows the same rules);
- the case-folder writer: `verify_statement_signature` and `open_reply_for_reviewer`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nacl import bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from .envelope import KEY_ID_BYTES, SUBMISSION_ID_BYTES, new_submission_id, open_bytes, seal_bytes, sealed_size
from .errors import (
    BindingError,
    CandourError,
    FormatError,
    LimitError,
    NotARecipientError,
    SequenceError,
    SignatureError,
)
from .identity import PublicIdentity, ReviewerKeys, b64url
from .kdf import hash256
from .padding import pad, padded_size, unpad
from .strict_json import JsonReader, dumps_compact, is_day, is_hex

REPLY_FORMAT = "candour-reply"
BODY_FORMAT = "candour-reply-body"
# Statement v2 adds "feedback" after "status"; readers accept v1 (feedback = false) and v2.
STATEMENT_VERSION = 2
STATEMENT_VERSIONS = (1, 2)
BODY_VERSION = 1
SIGNATURE_CONTEXT = b"candour/v1 reply\x00"
MAX_TEXT_CHARS = 100_000
MAX_REASON_CHARS = 2_000
MAX_STATUS_CHARS = 64  # status and outcome names: short workflow identifiers
MAX_SEQ = 999_999_999  # bundle member names carry at most nine digits
KEY_BYTES = 32
HASH_BYTES = 32
SIGNATURE_BYTES = 64
# A statement holds fixed-size fields plus a reason of ≤ 2,000 characters; JSON
# escaping can make a character 12 bytes ("\ud83d\ude00"), hence the room.
MAX_STATEMENT_BYTES = 32 * 1024
# A body holds ≤ 100,000 characters; at ≤ 4 bytes each (escapes for control
# characters at most 6 per character) plus the fixed fields.
MAX_BODY_BYTES = 6 * MAX_TEXT_CHARS + 1024
MAX_FOR_REPORTER_BYTES = padded_size(MAX_BODY_BYTES) + bindings.crypto_box_SEALBYTES
MAX_FOR_REVIEWERS_BYTES = sealed_size(MAX_BODY_BYTES, 16)

_statement_json = JsonReader("the reply's statement")
_body_json = JsonReader("the reply's text")


@dataclass(frozen=True)
class StatusChange:
    """A status change carried by a reply. The portal's workflow decides which are allowed."""

    status: str
    outcome: str | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The `status` object of a statement."""
        return {"status": self.status, "outcome": self.outcome, "reason": self.reason}


@dataclass(frozen=True)
class SignedReply:
    """A reply as it travels in a reply file: statement, signature and the two sealed copies."""

    statement: bytes
    signature: bytes
    for_reporter: bytes
    for_reviewers: bytes


@dataclass(frozen=True)
class ReporterCopy:
    """What the reporter's view receives for one reply (no reviewers' copy)."""

    statement: bytes
    signature: bytes
    for_reporter: bytes


class HasReporterCopy(Protocol):
    """Anything with the three fields the reporter checks (`SignedReply`, `ReporterCopy`)."""

    statement: bytes
    signature: bytes
    for_reporter: bytes


@dataclass(frozen=True)
class ReplyStatement:
    """A parsed statement. `raw` is the exact signed bytes."""

    case: str
    reporter_reply_key: bytes
    reviewer: bytes
    reviewer_key_id: bytes
    seq: int
    day: str
    status: StatusChange | None
    for_reporter_hash: bytes
    for_reviewers_hash: bytes
    raw: bytes
    # v2: the reviewer marked this reply as feedback on the report (crypto.deadlines); v1: False.
    feedback: bool = False
    version: int = STATEMENT_VERSION

    @property
    def reviewer_key_id_hex(self) -> str:
        """The signer's key id as lowercase hex (as statements and member names write it)."""
        return self.reviewer_key_id.hex()


@dataclass(frozen=True)
class ReplyBody:
    """What a reply says."""

    case: str
    seq: int
    reviewer_key_id: bytes
    text: str


# --- checks shared by writing and reading ----------------------------------------------


def check_status_change(status: StatusChange | None) -> None:
    """Types and lengths of a status change (not whether the workflow allows it).

    Raises `FormatError` for a wrong type or empty status, `LimitError` for a name
    over 64 characters or a reason over 2,000.
    """
    if status is None:
        return
    if not isinstance(status, StatusChange):
        raise FormatError("a status change must be a StatusChange")
    if not isinstance(status.status, str) or not status.status:
        raise FormatError("a status change needs a status name")
    if status.outcome is not None and (not isinstance(status.outcome, str) or not status.outcome):
        raise FormatError("a status change's outcome is a name or null")
    if not isinstance(status.reason, str):
        raise FormatError("a status change's reason must be text")
    for name in (status.status, status.outcome or ""):
        if len(name) > MAX_STATUS_CHARS:
            raise LimitError(f"a status or outcome name is at most {MAX_STATUS_CHARS} characters")
    if len(status.reason) > MAX_REASON_CHARS:
        raise LimitError(
            f"the reason for a status change has {len(status.reason):,} characters; at most {MAX_REASON_CHARS:,}"
        )
    for text in (status.status, status.outcome or "", status.reason):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FormatError("a status change contains invalid Unicode") from exc


def _check_reply_inputs(
    case_id: str, reporter_reply_key: bytes, seq: int, day: str, text: str, status: StatusChange | None
) -> None:
    if not is_hex(case_id, SUBMISSION_ID_BYTES):
        raise FormatError(f"a case id is 32 lowercase hex characters, not {case_id!r}")
    if not isinstance(reporter_reply_key, bytes) or len(reporter_reply_key) != KEY_BYTES:
        raise FormatError("the reporter's reply key is 32 bytes")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise LimitError(f"a reply's sequence number is 1 to {MAX_SEQ:,}, not {seq!r}")
    if not is_day(day):
        raise FormatError(f"the day must be written YYYY-MM-DD, not {day!r}")
    if not isinstance(text, str):
        raise FormatError("a reply's text must be text")
    if len(text) > MAX_TEXT_CHARS:
        raise LimitError(f"a reply has at most {MAX_TEXT_CHARS:,} characters; this one has {len(text):,}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError("the reply's text contains invalid Unicode") from exc
    check_status_change(status)
    if not text and status is None:
        raise FormatError("a reply needs text unless it changes the case's status")


# --- writing ------------------------------------------------------------------------


def make_reply(
    reviewer_keys: ReviewerKeys,
    case_id: str,
    reporter_reply_key: bytes,
    case_recipients: Sequence[PublicIdentity],
    seq: int,
    day: str,
    text: str,
    status: StatusChange | None,
    *,
    feedback: bool = False,
) -> SignedReply:
    """Write and sign one reply (the air-gapped reply tool calls this); the statement is version 2.

    `reporter_reply_key` must come from the case's decrypted, signed report, never
    from the server's cleartext copy. `case_recipients` are the reviewers the case was
    sealed to; the author must be one of them. `seq` is the author's next number on
    this case. `feedback` marks the reply, inside the signed statement, as feedback on
    the report (it meets the feedback deadline; an acknowledgement does not). All
    checks run before any cryptography (`FormatError`, `LimitError`, `BindingError`
    if the author is not a recipient).
    """
    _check_reply_inputs(case_id, reporter_reply_key, seq, day, text, status)
    if not isinstance(feedback, bool):
        raise FormatError("a reply's feedback mark is true or false")
    if not case_recipients:
        raise FormatError("a reply is sealed to the reviewers on the case; the list is empty")
    author = reviewer_keys.public
    if author.key_id not in {recipient.key_id for recipient in case_recipients}:
        raise BindingError(
            f"you (key id {author.key_id.hex()}) are not among this case's reviewers, so the server would refuse "
            "your reply"
        )
    body = dumps_compact(
        {
            "format": BODY_FORMAT,
            "version": BODY_VERSION,
            "case": case_id,
            "seq": seq,
            "reviewer_key_id": author.key_id.hex(),
            "text": text,
        }
    )
    for_reporter = bindings.crypto_box_seal(pad(body), reporter_reply_key)
    # A fresh random id: the reviewers' copy is an envelope like any part, bound to nothing else.
    for_reviewers = seal_bytes(body, list(case_recipients), new_submission_id(), 0)
    statement = dumps_compact(
        {
            "format": REPLY_FORMAT,
            "version": STATEMENT_VERSION,
            "case": case_id,
            "reporter_reply_key": b64url(reporter_reply_key),
            "reviewer": b64url(author.sign_public_key),
            "reviewer_key_id": author.key_id.hex(),
            "seq": seq,
            "day": day,
            "status": None if status is None else status.to_json(),
            "feedback": feedback,
            "for_reporter_hash": b64url(hash256(for_reporter)),
            "for_reviewers_hash": b64url(hash256(for_reviewers)),
        }
    )
    signature = reviewer_keys.signing_key.sign(SIGNATURE_CONTEXT + statement).signature
    return SignedReply(statement=statement, signature=signature, for_reporter=for_reporter, for_reviewers=for_reviewers)


# --- reading --------------------------------------------------------------------------


_STATEMENT_KEYS_V1 = (
    "format",
    "version",
    "case",
    "reporter_reply_key",
    "reviewer",
    "reviewer_key_id",
    "seq",
    "day",
    "status",
    "for_reporter_hash",
    "for_reviewers_hash",
)
_STATEMENT_KEYS_V2 = (*_STATEMENT_KEYS_V1[:9], "feedback", *_STATEMENT_KEYS_V1[9:])


def parse_statement(statement_bytes: bytes) -> ReplyStatement:
    """Parse a statement strictly (no signature check). Raises `FormatError`/`LimitError`."""
    reader = _statement_json
    document = reader.loads(statement_bytes, MAX_STATEMENT_BYTES)
    if not isinstance(document, dict):
        raise reader.fail("the statement must be a JSON object")
    version = reader.header(document, "the statement", REPLY_FORMAT, STATEMENT_VERSIONS)
    keys = _STATEMENT_KEYS_V1 if version == 1 else _STATEMENT_KEYS_V2
    document = reader.obj(document, "the statement", keys)
    status = None
    if document["status"] is not None:
        status_json = reader.obj(document["status"], "'status'", ("status", "outcome", "reason"))
        status = StatusChange(
            status=reader.text(status_json["status"], "'status.status'", MAX_STATUS_CHARS, non_empty=True),
            outcome=reader.optional_text(status_json["outcome"], "'status.outcome'", MAX_STATUS_CHARS),
            reason=reader.text(status_json["reason"], "'status.reason'", MAX_REASON_CHARS),
        )
        if status.outcome == "":
            raise reader.fail("'status.outcome' is a name or null, not empty")
    return ReplyStatement(
        case=reader.hex_id(document["case"], "'case'", SUBMISSION_ID_BYTES),
        reporter_reply_key=reader.raw(document["reporter_reply_key"], "'reporter_reply_key'", byte_count=KEY_BYTES),
        reviewer=reader.raw(document["reviewer"], "'reviewer'", byte_count=KEY_BYTES),
        reviewer_key_id=reader.hex_bytes(document["reviewer_key_id"], "'reviewer_key_id'", KEY_ID_BYTES),
        seq=reader.integer(document["seq"], "'seq'", 1, MAX_SEQ),
        day=reader.day(document["day"], "'day'"),
        status=status,
        for_reporter_hash=reader.raw(document["for_reporter_hash"], "'for_reporter_hash'", byte_count=HASH_BYTES),
        for_reviewers_hash=reader.raw(document["for_reviewers_hash"], "'for_reviewers_hash'", byte_count=HASH_BYTES),
        raw=bytes(statement_bytes),
        feedback=False if version == 1 else reader.boolean(document["feedback"], "'feedback'"),
        version=version,
    )


def _find_reviewer(known_reviewers: Mapping[Any, PublicIdentity], key_id: bytes) -> PublicIdentity | None:
    # Accept maps keyed by the 8 key-id bytes or by their hex, whichever the caller keeps.
    found = known_reviewers.get(key_id)
    if found is None:
        found = known_reviewers.get(key_id.hex())
    return found


def verify_statement_signature(
    statement_bytes: bytes, signature: bytes, known_reviewers: Mapping[Any, PublicIdentity]
) -> ReplyStatement:
    """Parse a statement and check it is signed by the known reviewer it names.

    `known_reviewers` maps key id (8 bytes, or its hex) to `PublicIdentity`: the
    organisation-signed list, or the portal's active reviewers. Raises
    `FormatError`/`LimitError` (malformed), `SignatureError` (unknown signer or bad
    signature), `BindingError` (the `reviewer` key is not the one behind
    `reviewer_key_id`). Does not check the body hashes: see `verify_reply_signature`.
    """
    return _verify_statement(statement_bytes, signature, known_reviewers)[0]


def _verify_statement(
    statement_bytes: bytes, signature: bytes, known_reviewers: Mapping[Any, PublicIdentity]
) -> tuple[ReplyStatement, PublicIdentity]:
    statement = parse_statement(statement_bytes)
    identity = _find_reviewer(known_reviewers, statement.reviewer_key_id)
    if identity is None:
        raise SignatureError(
            f"the reply is signed by key id {statement.reviewer_key_id.hex()}, which is not a known reviewer"
        )
    if identity.key_id != statement.reviewer_key_id or identity.sign_public_key != statement.reviewer:
        raise BindingError(
            f"the reply names reviewer key id {statement.reviewer_key_id.hex()} but carries another reviewer's "
            "signing key"
        )
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise SignatureError("the reply's signature is not 64 bytes")
    try:
        VerifyKey(identity.sign_public_key).verify(SIGNATURE_CONTEXT + statement.raw, signature)
    except (BadSignatureError, CryptoError, ValueError) as exc:
        raise SignatureError(
            f"the reply's signature by {identity.name} ({identity.key_id.hex()}) does not verify: "
            "it was altered or forged"
        ) from exc
    return statement, identity


def _check_hash(data: bytes, expected: bytes, what: str) -> None:
    if hash256(data) != expected:
        raise BindingError(f"the {what} does not match the hash in the signed statement: it belongs to another reply")


def verify_reply_signature(reply: SignedReply, known_reviewers: Mapping[Any, PublicIdentity]) -> ReplyStatement:
    """Everything the server checks of one uploaded reply that needs no database.

    Signature and signer as in `verify_statement_signature`, size caps of both sealed
    copies (`LimitError`), and both hashes (`BindingError`). The caller then checks
    the case (`check_reply_binding`), the sequence (`check_sequence`), that the signer
    is a recipient of the case, and the status change against its workflow.
    """
    statement = verify_statement_signature(reply.statement, reply.signature, known_reviewers)
    if len(reply.for_reporter) > MAX_FOR_REPORTER_BYTES or len(reply.for_reviewers) > MAX_FOR_REVIEWERS_BYTES:
        raise LimitError("a sealed copy of the reply is larger than the format allows")
    _check_hash(reply.for_reporter, statement.for_reporter_hash, "reporter's copy of the reply")
    _check_hash(reply.for_reviewers, statement.for_reviewers_hash, "reviewers' copy of the reply")
    return statement


def check_reply_binding(statement: ReplyStatement, case_id: str, reporter_reply_key: bytes) -> None:
    """Check the statement is for this case and this reporter's reply key. Raises `BindingError`."""
    if statement.case != case_id:
        raise BindingError(f"the reply is for case {statement.case}, not for case {case_id}")
    if statement.reporter_reply_key != reporter_reply_key:
        raise BindingError(
            "the reply is sealed to a different reporter key than this case's: it was made for another reporter "
            "(or the key was swapped)"
        )


def check_sequence(previous_seq_by_reviewer: Mapping[Any, int], statement: ReplyStatement) -> None:
    """Check `statement.seq` is greater than the reviewer's last accepted reply on the case.

    `previous_seq_by_reviewer` maps key id (bytes or hex) to the last accepted seq on
    this case; a reviewer absent from it has 0. Raises `SequenceError` for a replay or
    an older number (seq ≤ last). A higher number than last + 1 is accepted: a reply
    file whose one reply the portal refused is not a dead end, the reviewer's next
    reply (with the next number) is accepted.
    """
    last = previous_seq_by_reviewer.get(statement.reviewer_key_id)
    if last is None:
        last = previous_seq_by_reviewer.get(statement.reviewer_key_id.hex(), 0)
    if statement.seq <= last:
        raise SequenceError(
            f"reply {statement.seq} from {statement.reviewer_key_id.hex()} is not newer than the last accepted "
            f"({last}): it is a replay or an old reply"
        )


def parse_body(body_bytes: bytes) -> ReplyBody:
    """Parse a reply body strictly. Raises `FormatError`/`LimitError`."""
    reader = _body_json
    document = reader.obj(
        reader.loads(body_bytes, MAX_BODY_BYTES),
        "the body",
        ("format", "version", "case", "seq", "reviewer_key_id", "text"),
    )
    reader.header(document, "the body", BODY_FORMAT, BODY_VERSION)
    return ReplyBody(
        case=reader.hex_id(document["case"], "'case'", SUBMISSION_ID_BYTES),
        seq=reader.integer(document["seq"], "'seq'", 1, MAX_SEQ),
        reviewer_key_id=reader.hex_bytes(document["reviewer_key_id"], "'reviewer_key_id'", KEY_ID_BYTES),
        text=reader.text(document["text"], "'text'", MAX_TEXT_CHARS),
    )


def _check_body_matches(body: ReplyBody, statement: ReplyStatement) -> None:
    if body.case != statement.case or body.seq != statement.seq or body.reviewer_key_id != statement.reviewer_key_id:
        raise BindingError(
            "the reply's text names another case, number or reviewer than its signed statement: "
            "it was moved from another reply"
        )
    if not body.text and statement.status is None:
        raise FormatError("the reply has no text and no status change")


def open_reply_for_reporter(
    reply: HasReporterCopy, reporter_reply_secret_key: bytes, reporter_reply_public_key: bytes
) -> ReplyBody:
    """Open the reporter's copy of a reply and bind it to its statement.

    Does not check the signature (see `verify_statement_signature`, or use
    `classify_replies` which does both). Raises `BindingError` if the statement is for
    another reply key or `for_reporter` does not match its hash, `NotARecipientError`
    if it does not open, `PaddingError`, `FormatError`, and `BindingError` if the
    body's case, seq or key id differ from the statement's.
    """
    statement = parse_statement(reply.statement)
    if statement.reporter_reply_key != reporter_reply_public_key:
        raise BindingError("the reply was sealed to another reporter's key")
    if len(reply.for_reporter) > MAX_FOR_REPORTER_BYTES:
        raise LimitError("the reporter's copy of the reply is larger than the format allows")
    _check_hash(reply.for_reporter, statement.for_reporter_hash, "reporter's copy of the reply")
    try:
        padded = bindings.crypto_box_seal_open(reply.for_reporter, reporter_reply_public_key, reporter_reply_secret_key)
    except CryptoError as exc:
        raise NotARecipientError("the reply does not open with your codename's key") from exc
    body = parse_body(unpad(padded))
    _check_body_matches(body, statement)
    return body


def open_reply_for_reviewer(
    reply_or_envelope: SignedReply | bytes,
    reviewer_keys: ReviewerKeys,
    statement: ReplyStatement | None = None,
) -> ReplyBody:
    """Open the reviewers' copy of a reply.

    Pass a `SignedReply` (its statement is parsed and bound), or the envelope bytes
    from a bundle member together with the verified `statement` from the bundle
    manifest (then the envelope's hash and the body are bound to it). Envelope bytes
    without a statement are opened and parsed but bound to nothing. Raises the
    envelope errors, `FormatError`, and `BindingError` for a hash or body mismatch.
    """
    if isinstance(reply_or_envelope, SignedReply):
        envelope = reply_or_envelope.for_reviewers
        statement = statement or parse_statement(reply_or_envelope.statement)
    else:
        envelope = bytes(reply_or_envelope)
    if len(envelope) > MAX_FOR_REVIEWERS_BYTES:
        raise LimitError("the reviewers' copy of the reply is larger than the format allows")
    if statement is not None:
        _check_hash(envelope, statement.for_reviewers_hash, "reviewers' copy of the reply")
    _, body_bytes = open_bytes(envelope, reviewer_keys)
    body = parse_body(body_bytes)
    if statement is not None:
        _check_body_matches(body, statement)
    return body


# --- the reporter's view ---------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedReply:
    """A reply that passed every check: show it as genuine."""

    statement: ReplyStatement
    body: ReplyBody
    reviewer: PublicIdentity
    state: str = "verified"


@dataclass(frozen=True)
class RejectedReply:
    """A reply that failed a check: show it as rejected with the reason, never its content."""

    position: int
    reason: str
    reviewer_key_id: bytes | None
    seq: int | None
    state: str = "rejected"


@dataclass(frozen=True)
class MissingReplies:
    """A gap in a reviewer's numbering, replies `first`..`last`: "a reply appears to be missing"."""

    reviewer_key_id: bytes
    first: int
    last: int
    state: str = "missing"

    @property
    def count(self) -> int:
        """How many replies appear to be missing."""
        return self.last - self.first + 1


ReplyView = VerifiedReply | RejectedReply | MissingReplies


def classify_replies(
    replies: Iterable[HasReporterCopy],
    *,
    case_id: str,
    reporter_reply_secret_key: bytes,
    reporter_reply_public_key: bytes,
    known_reviewers: Mapping[Any, PublicIdentity],
) -> list[ReplyView]:
    """The reporter's view of a case's replies; the browser code applies the same rules.

    1. Each reply, in the order given, is verified: signature by a known reviewer,
       case and reply key, hash of `for_reporter`, it opens, padding, body bound to
       the statement. Any failure gives `RejectedReply` with the reason.
    2. A verified reply whose (reviewer, seq) already appeared verified earlier in
       the list is rejected as a replay.
    3. For each reviewer, every number below one of their verified replies that no
       verified reply carries is missing. One `MissingReplies(first, last)` per run of
       missing numbers is placed immediately before the first verified reply (in list
       order) with a higher number; each number is announced once.

    Returns the views in display order: input order, with the gap markers inserted.
    """
    checked: list[VerifiedReply | RejectedReply] = []
    seen: set[tuple[bytes, int]] = set()
    for position, reply in enumerate(replies):
        try:
            statement, identity = _verify_statement(reply.statement, reply.signature, known_reviewers)
            check_reply_binding(statement, case_id, reporter_reply_public_key)
            body = open_reply_for_reporter(reply, reporter_reply_secret_key, reporter_reply_public_key)
        except CandourError as exc:
            key_id, seq = _best_effort_identity(reply.statement)
            checked.append(RejectedReply(position=position, reason=str(exc), reviewer_key_id=key_id, seq=seq))
            continue
        if (statement.reviewer_key_id, statement.seq) in seen:
            checked.append(
                RejectedReply(
                    position=position,
                    reason=f"this is a second copy of reply {statement.seq} from {identity.name}: a replay",
                    reviewer_key_id=statement.reviewer_key_id,
                    seq=statement.seq,
                )
            )
            continue
        seen.add((statement.reviewer_key_id, statement.seq))
        checked.append(VerifiedReply(statement=statement, body=body, reviewer=identity))

    present: dict[bytes, list[int]] = {}
    for key_id, seq in sorted(seen):
        present.setdefault(key_id, []).append(seq)
    considered_below: dict[bytes, int] = {}
    views: list[ReplyView] = []
    for view in checked:
        if isinstance(view, VerifiedReply):
            key_id, seq = view.statement.reviewer_key_id, view.statement.seq
            start = considered_below.get(key_id, 1)
            if seq > start:
                # Holes between the verified numbers in start..seq; work is bounded by the
                # number of replies, not by the (signed, but possibly huge) numbers.
                expected = start
                for number in present[key_id]:
                    if number < start:
                        continue
                    if number > seq:
                        break
                    if number > expected:
                        views.append(MissingReplies(reviewer_key_id=key_id, first=expected, last=number - 1))
                    expected = number + 1
                considered_below[key_id] = seq
        views.append(view)
    return views


def _best_effort_identity(statement_bytes: bytes) -> tuple[bytes | None, int | None]:
    # Only to label a rejected reply; nothing here is trusted.
    try:
        statement = parse_statement(statement_bytes)
    except CandourError:
        return None, None
    return statement.reviewer_key_id, statement.seq
