"""The reporter's two deadlines, by the one rule (`crypto.deadlines`), as the queue and
the offline index apply it: acknowledged by any reviewer's reply or status change;
feedback given only by a reply whose signed statement marks it as feedback (stored as
`replies.feedback` when the reply was accepted) or by closing with an outcome and a
reason. Each met deadline names what met it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from crypto.deadlines import Deadline, DeadlineEvent, deadlines_from_due
from portal.i18n import gettext as _
from portal.store import cases as case_store
from portal.store.reviewers import Reviewer


def _who(reviewer: Reviewer | None) -> str:
    return reviewer.display_name if reviewer is not None else str(_("an unknown reviewer"))


def deadline_events(
    replies: Sequence[case_store.StoredReply],
    status_events: Sequence[case_store.StatusEvent],
    closed_status: str,
) -> list[DeadlineEvent]:
    """What reviewers did on the case (status events the server recorded at intake,
    which name no reviewer, meet nothing), each labelled for the page."""
    events = [
        DeadlineEvent(
            date.fromisoformat(reply.day),
            "reply",
            feedback=reply.feedback,
            label=str(_("reply %(seq)s from %(reviewer)s", seq=reply.seq, reviewer=_who(reply.reviewer))),
        )
        for reply in replies
    ]
    for event in status_events:
        if event.reviewer is None:
            continue
        final = event.status == closed_status and event.outcome is not None and bool((event.reason or "").strip())
        events.append(
            DeadlineEvent(
                date.fromisoformat(event.day),
                "status",
                final_with_reason=final,
                label=str(
                    _("closing the case with its outcome, by %(reviewer)s", reviewer=_who(event.reviewer))
                    if final
                    else _("a status change by %(reviewer)s", reviewer=_who(event.reviewer))
                ),
            )
        )
    return events


def reporter_deadlines(
    case: case_store.CaseView, events: Sequence[DeadlineEvent], today: str
) -> tuple[Deadline | None, Deadline | None]:
    """(acknowledge, feedback) from the case's stored due days (NULL on a case created
    closed: no deadline to show), as the queue computes them."""
    day = date.fromisoformat(today)

    def one(due: str | None, for_feedback: bool) -> Deadline | None:
        if due is None:
            return None
        both = deadlines_from_due(date.fromisoformat(due), date.fromisoformat(due), events, day)
        return both.feedback if for_feedback else both.acknowledge

    return one(case.acknowledge_by, False), one(case.feedback_by, True)
