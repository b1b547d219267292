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

from .read import (
    check_reply_binding,
    check_sequence,
    open_reply_for_reporter,
    open_reply_for_reviewer,
    parse_body,
    parse_statement,
    verify_reply_signature,
    verify_statement_signature,
)
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
    STATEMENT_VERSION,
    STATEMENT_VERSIONS,
    HasReporterCopy,
    ReplyBody,
    ReplyStatement,
    ReporterCopy,
    SignedReply,
    StatusChange,
)
from .view import MissingReplies, RejectedReply, ReplyView, VerifiedReply, classify_replies
from .write import check_status_change, make_reply

__all__ = [
    "BODY_FORMAT",
    "BODY_VERSION",
    "HASH_BYTES",
    "HasReporterCopy",
    "KEY_BYTES",
    "MAX_BODY_BYTES",
    "MAX_FOR_REPORTER_BYTES",
    "MAX_FOR_REVIEWERS_BYTES",
    "MAX_REASON_CHARS",
    "MAX_SEQ",
    "MAX_STATEMENT_BYTES",
    "MAX_STATUS_CHARS",
    "MAX_TEXT_CHARS",
    "MissingReplies",
    "REPLY_FORMAT",
    "RejectedReply",
    "ReplyBody",
    "ReplyStatement",
    "ReplyView",
    "ReporterCopy",
    "SIGNATURE_BYTES",
    "SIGNATURE_CONTEXT",
    "STATEMENT_VERSION",
    "STATEMENT_VERSIONS",
    "SignedReply",
    "StatusChange",
    "VerifiedReply",
    "check_reply_binding",
    "check_sequence",
    "check_status_change",
    "classify_replies",
    "make_reply",
    "open_reply_for_reporter",
    "open_reply_for_reviewer",
    "parse_body",
    "parse_statement",
    "verify_reply_signature",
    "verify_statement_signature",
]
