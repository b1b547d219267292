"""crypto.deadlines: the one deadline rule (CONTRACT: shared rules, issue 11 §6)."""

import datetime

import pytest

from crypto.deadlines import (
    ACKNOWLEDGE_DAYS,
    FEEDBACK_DAYS,
    DeadlineEvent,
    case_deadlines,
    deadlines_from_due,
)

CREATED = datetime.date(2026, 1, 1)


def day(offset: int) -> datetime.date:
    return CREATED + datetime.timedelta(days=offset)


def test_defaults_are_seven_and_ninety_days() -> None:
    result = case_deadlines(CREATED, [], CREATED)
    assert (ACKNOWLEDGE_DAYS, FEEDBACK_DAYS) == (7, 90)
    assert result.acknowledge.due == day(7)
    assert result.feedback.due == day(90)
    assert not result.acknowledge.met and not result.feedback.met
    assert not result.overdue


def test_nothing_done_becomes_overdue_the_day_after_due() -> None:
    assert case_deadlines(CREATED, [], day(7)).acknowledge.overdue_days == 0
    assert case_deadlines(CREATED, [], day(8)).acknowledge.overdue_days == 1
    late = case_deadlines(CREATED, [], day(100))
    assert late.acknowledge.overdue_days == 93
    assert late.feedback.overdue_days == 10
    assert late.overdue


def test_an_acknowledging_reply_meets_only_the_first_deadline() -> None:
    result = case_deadlines(CREATED, [DeadlineEvent(day(2), "reply")], day(95))
    assert result.acknowledge.met_on == day(2)
    assert result.acknowledge.met_by == "a reply"
    assert not result.feedback.met
    assert result.feedback.overdue_days == 5


def test_a_status_change_acknowledges_but_is_not_feedback() -> None:
    result = case_deadlines(CREATED, [DeadlineEvent(day(3), "status")], day(91))
    assert result.acknowledge.met_on == day(3)
    assert result.acknowledge.met_by == "a status change"
    assert result.feedback.overdue_days == 1


def test_a_feedback_reply_meets_both() -> None:
    result = case_deadlines(CREATED, [DeadlineEvent(day(10), "reply", feedback=True, label="reply 1 by Ana")], day(95))
    assert result.acknowledge.met_on == day(10)
    assert result.acknowledge.met_late
    assert not result.acknowledge.overdue
    assert result.feedback.met_on == day(10)
    assert result.feedback.met_by == "reply 1 by Ana"
    assert result.next_due() is None


def test_closing_needs_outcome_and_reason_to_count_as_feedback() -> None:
    bare_close = DeadlineEvent(day(20), "status")
    assert not case_deadlines(CREATED, [bare_close], day(30)).feedback.met
    reasoned = DeadlineEvent(day(40), "status", final_with_reason=True)
    result = case_deadlines(CREATED, [bare_close, reasoned], day(95))
    assert result.acknowledge.met_on == day(20)
    assert result.feedback.met_on == day(40)
    assert result.feedback.met_by == "closing with an outcome and a reason"


def test_feedback_flag_on_a_status_event_does_not_count() -> None:
    # Only replies carry the feedback flag; a status event needs final_with_reason.
    result = case_deadlines(CREATED, [DeadlineEvent(day(5), "status", feedback=True)], day(95))
    assert not result.feedback.met


def test_earliest_event_wins_whatever_the_order() -> None:
    events = [DeadlineEvent(day(6), "reply", label="second"), DeadlineEvent(day(4), "status", label="first")]
    assert case_deadlines(CREATED, events, day(50)).acknowledge.met_by == "first"


def test_configured_periods_and_fixed_due_days() -> None:
    result = case_deadlines(CREATED, [], day(4), acknowledge_days=3, feedback_days=30)
    assert result.acknowledge.due == day(3)
    assert result.acknowledge.overdue_days == 1
    assert result.next_due() == result.acknowledge
    fixed = deadlines_from_due(day(3), day(30), iter([DeadlineEvent(day(1), "reply")]), day(31))
    assert fixed.acknowledge.met and fixed.feedback.overdue_days == 1
    with pytest.raises(ValueError):
        case_deadlines(CREATED, [], CREATED, acknowledge_days=-1)
