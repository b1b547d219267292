"""The case workflow: which status may follow which, and recording a change.

One set of rules for online changes and for status changes carried in signed
replies. The statuses, outcomes and transitions come from the configuration
(STATUSES, OUTCOMES, STATUS_TRANSITIONS, CLOSED_STATUS in config/defaults.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from portal import audit
from portal.store import status_events
from portal.store.db import Connection, today

MAX_REASON_CHARS = 2000  # as a signed reply's reason (docs/format.md §8)


class TransitionError(Exception):
    """The workflow does not allow this change; the message says what is allowed."""


def status_keys() -> list[str]:
    return [key for key, _label in current_app.config["STATUSES"]]


def outcome_keys() -> list[str]:
    return [key for key, _label in current_app.config["OUTCOMES"]]


def closed_status() -> str:
    return str(current_app.config.get("CLOSED_STATUS", "closed"))


def allowed_next(current: str) -> list[str]:
    transitions: dict[str, list[str]] = current_app.config["STATUS_TRANSITIONS"]
    known = set(status_keys())
    return [status for status in transitions.get(current, []) if status in known]


def export_workflow() -> dict[str, Any]:
    """The workflow as an export's manifest v2 carries it (docs/format.md §10), so the
    offline kit checks a reply's status change before it leaves the offline machine."""
    transitions: dict[str, list[str]] = current_app.config["STATUS_TRANSITIONS"]
    known = status_keys()
    return {
        "statuses": [{"name": key, "label": str(label)} for key, label in current_app.config["STATUSES"]],
        "final": closed_status(),
        "transitions": {status: allowed_next(status) for status in known if status in transitions},
        "outcomes": [{"name": key, "label": str(label)} for key, label in current_app.config["OUTCOMES"]],
        "reason_required": True,
    }


def allowed_next_online(current: str) -> list[str]:
    """The statuses a reviewer may set from the workspace: all allowed ones but the
    final status, which only a signed reply can set (`check_online_transition`)."""
    return [status for status in allowed_next(current) if status != closed_status()]


def check_online_transition(current: str, new: str, outcome: str | None) -> None:
    """`check_transition` for a change made in the workspace. Closing is refused:
    it is final, starts the retention countdown, and the reporter must be able to
    verify who closed the case, so it comes only in a signed reply made offline (a
    server in the wrong hands, or an administrator signed in as a reviewer, cannot
    close a case)."""
    if new == closed_status():
        raise TransitionError(
            f"'{new}' is final, so a case is closed only by a signed reply from your offline computer "
            f"(the reply tool's --status {new} --outcome … --reason …), which the reporter can verify"
        )
    check_transition(current, new, outcome)


def check_transition(current: str, new: str, outcome: str | None) -> None:
    """Raise `TransitionError` unless `current` → `new` (with `outcome`) is allowed."""
    if new not in status_keys():
        raise TransitionError(f"'{new}' is not a status this portal knows ({', '.join(status_keys())})")
    allowed = allowed_next(current)
    if new not in allowed:
        raise TransitionError(
            f"a case that is '{current}' cannot move to '{new}'"
            + (f"; it can move to: {', '.join(allowed)}" if allowed else "; it cannot change any more")
        )
    if new == closed_status():
        if outcome not in outcome_keys():
            raise TransitionError(f"closing a case needs an outcome: one of {', '.join(outcome_keys())}")
    elif outcome is not None:
        raise TransitionError(f"only closing a case gives it an outcome; '{new}' takes none")


def record_status_change(
    conn: Connection,
    *,
    case_id: str,
    previous: str,
    status: str,
    outcome: str | None,
    reason: str,
    reviewer_id: int,
    actor: str,
    via: str,
    statement: bytes | None = None,
    signature: bytes | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the change inside the caller's transaction: the status event (what the
    reporter sees, signed when a reply carried it), the case's new status, and the
    audit entry. The reason goes to status_events only, not into the trail."""
    status_events.record_status(
        conn,
        case_id=case_id,
        day=today(),
        status=status,
        outcome=outcome,
        reason=reason,
        reviewer_id=reviewer_id,
        statement=statement,
        signature=signature,
    )
    audit.append(
        conn,
        actor=actor,
        action="status_changed",
        case_id=case_id,
        details={"from": previous, "to": status, "outcome": outcome, "via": via, **(extra or {})},
    )
