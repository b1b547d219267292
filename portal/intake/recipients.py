"""Who a submission is sealed to: the one rule for both paths.

A report goes to every active required reviewer plus the active reviewers the
reporter ticked (by key id); a follow-up goes to the case's reviewers that are still
active. The browser path checks that the envelopes name exactly these key ids; the
server path seals to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crypto.envelope import MAX_STANZAS
from portal.intake.refusals import Refusal, SubmissionRefused
from portal.store.reviewers import Reviewer

REVIEWER_FIELD = "reviewer"


def report_recipients(active: Sequence[Reviewer], chosen_key_ids: Iterable[str]) -> list[Reviewer]:
    """The required reviewers, then the chosen ones, each once; refuses an unknown or
    removed key id, nobody at all, and more than an envelope can carry."""
    by_key = {reviewer.key_id: reviewer for reviewer in active}
    chosen: dict[str, Reviewer] = {reviewer.key_id: reviewer for reviewer in active if reviewer.required}
    for key_id in chosen_key_ids:
        if key_id not in by_key:
            raise SubmissionRefused(Refusal.UNKNOWN_REVIEWER, "reviewers")
        chosen[key_id] = by_key[key_id]
    return _checked(list(chosen.values()))


def followup_recipients(case_reviewers: Sequence[Reviewer]) -> list[Reviewer]:
    """The case's reviewers who can still receive messages."""
    active = [reviewer for reviewer in case_reviewers if reviewer.active]
    if not active:
        raise SubmissionRefused(Refusal.NO_RECIPIENTS_LEFT)
    return _checked(active)


def key_ids(reviewers: Sequence[Reviewer]) -> frozenset[bytes]:
    return frozenset(bytes.fromhex(reviewer.key_id) for reviewer in reviewers)


def _checked(reviewers: list[Reviewer]) -> list[Reviewer]:
    if not reviewers:
        raise SubmissionRefused(Refusal.NO_REVIEWERS, "reviewers")
    if len(reviewers) > MAX_STANZAS:
        raise SubmissionRefused(Refusal.TOO_MANY_REVIEWERS, "reviewers")
    return reviewers
