"""What the Desk holds about a case once it is read (in memory only), and its deadlines."""

import datetime
from dataclasses import dataclass, field

from ..bundle import BundleSubmission
from ..deadlines import DeadlineEvent, Deadlines, case_deadlines, deadlines_from_due
from ..identity import PublicIdentity
from ..workflow import Workflow
from . import trust
from .workflow import is_new

REPORT_FIELDS = (
    ("category", "Category"),
    ("what", "What happened"),
    ("when", "When"),
    ("where", "Where"),
    ("who", "Who was involved"),
    ("outcome", "What the reporter would like to happen"),
)


@dataclass(frozen=True)
class Attachment:
    submission_id: str
    part: int
    name: str
    type: str
    size: int


@dataclass(frozen=True)
class Followup:
    day: str
    text: str | None
    attachments: tuple[Attachment, ...]
    problem: str | None = None


@dataclass(frozen=True)
class ReplyItem:
    seq: int | None
    day: str | None
    signer: str
    key_id: str
    verified: bool
    verification: str
    text: str | None
    status: str | None
    feedback: bool = False


@dataclass(frozen=True)
class TimelineItem:
    day: str
    status: str
    outcome: str | None
    reason: str
    verification: str
    verified: bool


@dataclass
class DeskCase:
    case_id: str
    created: str
    status: str
    outcome: str | None
    acknowledge_by: str | None
    feedback_by: str | None
    fields: dict[str, str]
    attachments: tuple[Attachment, ...]
    followups: tuple[Followup, ...]
    replies: tuple[ReplyItem, ...]
    timeline: tuple[TimelineItem, ...]
    warnings: tuple[str, ...]
    export_name: str
    submissions: dict[str, BundleSubmission]
    reply_key: bytes
    sealed_to: tuple[bytes, ...]
    search_text: str
    my_seqs: tuple[int, ...] = ()
    recipients: tuple[PublicIdentity, ...] = ()
    list_mode: str = trust.UNSIGNED_LIST_MODE

    @property
    def short_id(self) -> str:
        return self.case_id[:8]

    @property
    def category(self) -> str:
        return self.fields.get("category", "")


@dataclass(frozen=True)
class Deadline:
    overdue_days: int
    label: str
    sort_key: tuple[int, str]


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unreadable: int = 0
    refused: int = 0  # cases whose report differs from the pinned one: earlier copy kept
    warnings: list[str] = field(default_factory=list)
    # What the audit trail records about accounts and reviewers since the last export.
    account_changes: list[str] = field(default_factory=list)


def _events(case: "DeskCase", workflow: Workflow) -> list[DeadlineEvent]:
    """What reviewers did, as the one deadline rule (crypto.deadlines) counts it."""
    events = []
    for reply in case.replies:
        if reply.day and reply.seq is not None:
            label = f"reply {reply.seq} by {reply.signer}" + (" (feedback)" if reply.feedback else "")
            events.append(DeadlineEvent(datetime.date.fromisoformat(reply.day), "reply", reply.feedback, False, label))
    for entry in case.timeline:
        if is_new(workflow, entry.status):
            continue
        final = entry.status == workflow.final and bool(entry.outcome) and bool(entry.reason.strip())
        label = f"status {workflow.label_of(entry.status)}"
        events.append(DeadlineEvent(datetime.date.fromisoformat(entry.day), "status", False, final, label))
    return events


def case_deadlines_of(case: "DeskCase", today: datetime.date, workflow: Workflow) -> Deadlines:
    """The export's due days when it gives them, else the default periods from the received day."""
    events = _events(case, workflow)
    if case.acknowledge_by and case.feedback_by:
        acknowledge = datetime.date.fromisoformat(case.acknowledge_by)
        return deadlines_from_due(acknowledge, datetime.date.fromisoformat(case.feedback_by), events, today)
    return case_deadlines(datetime.date.fromisoformat(case.created), events, today)


def case_deadline(case: "DeskCase", today: datetime.date, workflow: Workflow) -> Deadline:
    """What the queue shows: the next unmet deadline; overdue first, most overdue first."""
    deadlines = case_deadlines_of(case, today, workflow)
    if deadlines.overdue:
        late = max(deadlines.acknowledge.overdue_days, deadlines.feedback.overdue_days)
        what = "acknowledge" if deadlines.acknowledge.overdue else "feedback"
        return Deadline(late, f"{what} OVERDUE by {late} day{'s' if late != 1 else ''}", (0, f"{-late:08d}"))
    upcoming = deadlines.next_due()
    if upcoming is None:
        return Deadline(0, f"feedback given ({deadlines.feedback.met_by})", (3, ""))
    what = "acknowledge" if upcoming is deadlines.acknowledge else "feedback"
    return Deadline(0, f"{what} by {upcoming.due.isoformat()}", (1, upcoming.due.isoformat()))
