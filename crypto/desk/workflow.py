"""The organisation's workflow as the Desk checks replies against it (crypto.workflow).

Export manifest v2 carries it; an export without one (v1) gets the portal's default
workflow (config/defaults.py), so a reply is still checked offline before it travels.
"""

from ..reply import StatusChange
from ..workflow import NEW_ALIASES, Choice, Workflow, WorkflowError, current_status

DEFAULT_WORKFLOW = Workflow(
    statuses=(
        Choice("new", "New"),
        Choice("acknowledged", "Acknowledged"),
        Choice("in_progress", "In progress"),
        Choice("awaiting_reporter", "Waiting for more information from you"),
        Choice("closed", "Closed"),
    ),
    final="closed",
    transitions={
        "new": ("acknowledged", "in_progress", "closed"),
        "acknowledged": ("in_progress", "awaiting_reporter", "closed"),
        "in_progress": ("awaiting_reporter", "closed"),
        "awaiting_reporter": ("in_progress", "closed"),
        "closed": (),
    },
    outcomes=(
        Choice("upheld", "Upheld"),
        Choice("partly_upheld", "Partly upheld"),
        Choice("not_upheld", "Not upheld"),
        Choice("referred", "Referred to another body"),
        Choice("withdrawn", "Withdrawn by the reporter"),
    ),
    reason_required=True,
)

__all__ = ["DEFAULT_WORKFLOW", "WorkflowError", "allowed", "checked_change", "is_new"]


def _current(workflow: Workflow, status: str) -> str:
    return current_status(workflow, status)


def is_new(workflow: Workflow, status: str) -> bool:
    return _current(workflow, status) == "new" or status in NEW_ALIASES


def allowed(workflow: Workflow, current: str) -> list[Choice]:
    return list(workflow.allowed_from(_current(workflow, current)))


def checked_change(workflow: Workflow, current: str, change: StatusChange | None) -> StatusChange | None:
    """The change with its names resolved, or WorkflowError listing the valid choices."""
    if change is None:
        return None
    try:
        status, outcome = workflow.check_change(
            _current(workflow, current), change.status, change.outcome, change.reason
        )
    except WorkflowError as exc:
        raise WorkflowError(_on_screen(str(exc))) from None
    return StatusChange(status, outcome, change.reason)


def _on_screen(message: str) -> str:
    """crypto.workflow words its refusals for the command line; the Desk has fields, not flags."""
    for flag, field in (("leave --outcome out", "choose no outcome"), ("--outcome", "an outcome"),
                        ("give --reason", "write one"), ("--reason", "a reason")):  # fmt: skip
        message = message.replace(flag, field)
    return message
