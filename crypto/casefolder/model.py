"""What a decrypted case turned into, and its deadlines by the one rule (crypto.deadlines)."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..bundle import BundleCase, BundleSubmission, TimelineEntry
from ..deadlines import DeadlineEvent, deadlines_from_due
from ..errors import CandourError
from ..identity import PublicIdentity
from ..reply import (
    parse_statement,
)
from ..submission import OpenedSubmission

if TYPE_CHECKING:
    from ..casebook import Casebook

REPORT_FIELD_LABELS = (
    ("category", "Category"),
    ("what", "What happened"),
    ("when", "When"),
    ("where", "Where"),
    ("who", "Who was involved"),
    ("outcome", "What the reporter hopes will happen"),
)
DIR_MODE = 0o700
CLOSED_STATUS = "closed"  # the final status when the export carries no workflow (manifest v1)


# --- what a case turned into ---------------------------------------------------------------


@dataclass(frozen=True)
class ReadSubmission:
    """A submission that verified, with the safe names its attachments were saved under."""

    opened: OpenedSubmission
    attachment_names: Mapping[int, str]
    folder: str  # relative to the case folder: "" for the report, "followups/<n>-<day>"


@dataclass(frozen=True)
class UnreadSubmission:
    submission: BundleSubmission
    reason: str


@dataclass(frozen=True)
class ReplyView:
    seq: int | None
    day: str | None
    author: str
    key_id: str
    verified: bool
    result: str
    text: str | None
    status: str | None


@dataclass(frozen=True)
class TimelineView:
    entry: TimelineEntry
    by: str
    verification: str


@dataclass(frozen=True)
class Deadline:
    overdue: bool
    description: str
    sort_key: str


@dataclass(frozen=True)
class Trust:
    """Whom signatures are checked against while reading one export, and what every page must say about it.

    `known`: key id → identity of the reviewers whose signatures count (the pinned,
    organisation-signed list; in the unsigned mode the server's own list). `warning`:
    shown on every page that shows a verification (the unsigned mode). `casebook`: pins
    each case's reporter and report (None only for library callers that opt out).
    """

    known: Mapping[bytes, PublicIdentity]
    names: Mapping[bytes, str]
    label: str
    warning: str | None = None
    casebook: "Casebook | None" = None
    final_status: str = CLOSED_STATUS


@dataclass(frozen=True)
class CaseResult:
    case: BundleCase
    report: ReadSubmission
    followups: tuple[ReadSubmission | UnreadSubmission, ...]
    replies: tuple[ReplyView, ...]
    timeline: tuple[TimelineView, ...]
    warnings: tuple[str, ...]
    deadline: Deadline
    # The unsigned-list mode's warning (Trust.warning), shown wherever a verification is.
    trust_warning: str | None = None


@dataclass(frozen=True)
class UnreadableCase:
    case: BundleCase
    reason: str
    # The casebook refused it: the server sent a different report under a known case id.
    refused: bool = False


@dataclass(frozen=True)
class DecryptSummary:
    written: tuple[CaseResult, ...]
    unreadable: tuple[UnreadableCase, ...]
    index_path: Path


# --- deadlines -------------------------------------------------------------------------------


def deadline_events(case: BundleCase, final_status: str = CLOSED_STATUS) -> list[DeadlineEvent]:
    """What reviewers did on `case`, as the export reports it, for the deadline rule.

    Replies (their statements' day and feedback mark) and the timeline's status changes
    made by a reviewer (`by` set; the server's own first entry is not an action).
    """
    events = []
    for reply in case.replies:
        try:
            statement = parse_statement(reply.statement)
        except CandourError:
            continue
        events.append(
            DeadlineEvent(
                datetime.date.fromisoformat(statement.day),
                "reply",
                feedback=statement.feedback,
                label=f"reply {statement.seq} of {statement.day}" + (" (feedback)" if statement.feedback else ""),
            )
        )
    for entry in case.timeline:
        if entry.by is None:
            continue
        final = entry.status == final_status and bool(entry.outcome) and bool(entry.reason.strip())
        events.append(
            DeadlineEvent(
                datetime.date.fromisoformat(entry.day),
                "status",
                final_with_reason=final,
                label=f"status '{entry.status}' on {entry.day}",
            )
        )
    return events


def case_deadline(case: BundleCase, today: datetime.date, final_status: str = CLOSED_STATUS) -> Deadline:
    """The case's deadlines by crypto.deadlines' rule, from the due days the server gave.

    Acknowledged: by any reviewer reply or status change. Feedback: only by a reply
    marked as feedback, or by closing with an outcome and a reason.
    """
    if case.acknowledge_by is None and case.feedback_by is None:
        return Deadline(False, "closed" if case.status == final_status else "no deadline given", "3")
    ack_due = datetime.date.fromisoformat(case.acknowledge_by) if case.acknowledge_by else None
    feedback_due = datetime.date.fromisoformat(case.feedback_by) if case.feedback_by else None
    far = datetime.date.max
    rule = deadlines_from_due(ack_due or far, feedback_due or far, deadline_events(case, final_status), today)
    checked = [(rule.acknowledge, "acknowledged", "acknowledge") if ack_due else None]
    checked.append((rule.feedback, "feedback given", "give feedback") if feedback_due else None)
    missed, upcoming, met = [], [], []
    for item in checked:
        if item is None:
            continue
        deadline, done, todo = item
        if deadline.overdue:
            verb = "not acknowledged" if todo == "acknowledge" else "no feedback given"
            missed.append((deadline.due.isoformat(), f"{verb} by {deadline.due.isoformat()}"))
        elif deadline.met_on is None:
            upcoming.append((deadline.due.isoformat(), f"{todo} by {deadline.due.isoformat()}"))
        else:
            met.append(f"{done} {deadline.met_on.isoformat()} ({deadline.met_by})")
    if missed:
        return Deadline(True, "OVERDUE: " + "; ".join(text for _, text in missed), "0" + min(d for d, _ in missed))
    if upcoming:
        first = min(upcoming)
        return Deadline(False, "; ".join([first[1], *met]), "1" + first[0])
    return Deadline(False, "; ".join(met), "2")
