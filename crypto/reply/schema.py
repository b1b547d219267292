"""A reply's names, caps and parsed forms (docs/format.md §8)."""

from dataclasses import dataclass
from typing import Any, Protocol

from nacl import bindings

from ..envelope import sealed_size
from ..padding import padded_size
from ..strict_json import JsonReader

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
