"""The reporter's view of a case's replies: verified, rejected or missing (the browser applies the same rules)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import (
    CandourError,
)
from ..identity import PublicIdentity
from .read import (
    _verify_statement,
    check_reply_binding,
    open_reply_for_reporter,
    parse_statement,
)
from .schema import HasReporterCopy, ReplyBody, ReplyStatement

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
