"""Reading a reply: the statement strictly, its signature and bindings, and either sealed copy."""

from collections.abc import Mapping
from typing import Any

from nacl import bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from ..envelope import KEY_ID_BYTES, SUBMISSION_ID_BYTES, open_bytes
from ..errors import (
    BindingError,
    FormatError,
    LimitError,
    NotARecipientError,
    SequenceError,
    SignatureError,
)
from ..identity import PublicIdentity, ReviewerKeys
from ..kdf import hash256
from ..padding import unpad
from .schema import (
    BODY_FORMAT,
    BODY_VERSION,
    HASH_BYTES,
    KEY_BYTES,
    MAX_BODY_BYTES,
    MAX_FOR_REPORTER_BYTES,
    MAX_FOR_REVIEWERS_BYTES,
    MAX_REASON_CHARS,
    MAX_SEQ,
    MAX_STATEMENT_BYTES,
    MAX_STATUS_CHARS,
    MAX_TEXT_CHARS,
    REPLY_FORMAT,
    SIGNATURE_BYTES,
    SIGNATURE_CONTEXT,
    STATEMENT_VERSIONS,
    HasReporterCopy,
    ReplyBody,
    ReplyStatement,
    SignedReply,
    StatusChange,
    _body_json,
    _statement_json,
)

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
