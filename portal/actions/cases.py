"""Case operations done in the workspace: an online status change, one transaction
with its status event and audit entry (see `portal.actions`)."""

from __future__ import annotations

import os

from portal import audit, workflow
from portal.store import status_events
from portal.store.db import Connection


def change_status_online(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    case_id: str,
    *,
    status: str,
    outcome: str | None,
    reason: str,
    reviewer_id: int,
    actor: str,
) -> str:
    """Move a case to `status` from the workspace (unsigned; never the final status).
    Returns the status it had. Raises `workflow.TransitionError`."""
    with audit.audited_transaction(conn, instance_path):
        # Read inside the write lock: another reviewer may have just changed it.
        current = status_events.current_status(conn, case_id) or ""
        workflow.check_online_transition(current, status, outcome)
        workflow.record_status_change(
            conn,
            case_id=case_id,
            previous=current,
            status=status,
            outcome=outcome,
            reason=reason,
            reviewer_id=reviewer_id,
            actor=actor,
            via="online",
        )
    return current
