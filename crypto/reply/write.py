"""Writing one reply on the air-gapped machine: checks before any cryptography, then seal and sign."""

from collections.abc import Sequence

from nacl import bindings

from ..envelope import SUBMISSION_ID_BYTES, new_submission_id, seal_bytes
from ..errors import (
    BindingError,
    FormatError,
    LimitError,
)
from ..identity import PublicIdentity, ReviewerKeys, b64url
from ..kdf import hash256
from ..padding import pad
from ..strict_json import dumps_compact, is_day, is_hex
from .schema import (
    BODY_FORMAT,
    BODY_VERSION,
    KEY_BYTES,
    MAX_REASON_CHARS,
    MAX_SEQ,
    MAX_STATUS_CHARS,
    MAX_TEXT_CHARS,
    REPLY_FORMAT,
    SIGNATURE_CONTEXT,
    STATEMENT_VERSION,
    SignedReply,
    StatusChange,
)

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
