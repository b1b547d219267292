"""The organisation's workflow as the Desk checks replies against it.

Export manifest v2 carries it (`"workflow"`: statuses with labels, the final status,
allowed transitions, outcomes, whether a reason is required). An export without it
(v1) gets the portal's default workflow (config/defaults.py), so a reply is still
checked offline, before it travels.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import FormatError
from ..reply import StatusChange

DEFAULT_WORKFLOW: dict[str, Any] = {
    "statuses": [
        {"name": "new", "label": "New"},
        {"name": "acknowledged", "label": "Acknowledged"},
        {"name": "in_progress", "label": "In progress"},
        {"name": "awaiting_reporter", "label": "Waiting for more information from the reporter"},
        {"name": "closed", "label": "Closed"},
    ],
    "final": "closed",
    "transitions": {
        "new": ["acknowledged", "in_progress", "closed"],
        "acknowledged": ["in_progress", "awaiting_reporter", "closed"],
        "in_progress": ["awaiting_reporter", "closed"],
        "awaiting_reporter": ["in_progress", "closed"],
        "closed": [],
    },
    "outcomes": [
        {"name": "upheld", "label": "Upheld"},
        {"name": "partly_upheld", "label": "Partly upheld"},
        {"name": "not_upheld", "label": "Not upheld"},
        {"name": "referred", "label": "Referred to another body"},
        {"name": "withdrawn", "label": "Withdrawn by the reporter"},
    ],
    "reason_required": True,
}
# The status a case has before anyone acted on it, under either name.
NEW_ALIASES = frozenset({"new", "received"})


class WorkflowError(FormatError):
    """A reply the workflow does not allow; the message lists the valid choices."""


@dataclass(frozen=True)
class Workflow:
    labels: Mapping[str, str]
    final: str
    transitions: Mapping[str, tuple[str, ...]]
    outcomes: Mapping[str, str]
    reason_required: bool

    def is_new(self, status: str) -> bool:
        return status in NEW_ALIASES

    def label(self, status: str) -> str:
        return self.labels.get(status, status)

    def allowed(self, current: str) -> list[tuple[str, str]]:
        key = "new" if self.is_new(current) and current not in self.transitions else current
        return [(name, self.label(name)) for name in self.transitions.get(key, ())]

    def resolve(self, name: str, choices: Mapping[str, str]) -> str | None:
        """Accept the internal name or the label the workspace shows (any case)."""
        wanted = name.strip().casefold()
        for key, label in choices.items():
            if wanted in (key.casefold(), label.casefold()):
                return key
        return None

    def check(self, current: str, change: StatusChange | None) -> None:
        if change is None:
            return
        allowed = dict(self.allowed(current))
        if change.status not in allowed:
            valid = ", ".join(f"{label} ({name})" for name, label in allowed.items()) or "none (the case is final)"
            raise WorkflowError(
                f"a case that is {self.label(current)} cannot move to {self.label(change.status)}; valid: {valid}"
            )
        if change.status == self.final:
            if change.outcome not in self.outcomes:
                valid = ", ".join(f"{label} ({name})" for name, label in self.outcomes.items())
                raise WorkflowError(f"closing a case needs an outcome; valid: {valid}")
            if self.reason_required and not change.reason.strip():
                raise WorkflowError("closing a case needs a reason the reporter will read")
        elif change.outcome is not None:
            raise WorkflowError("only closing a case takes an outcome")


def workflow_from_manifest(document: Mapping[str, Any] | None) -> Workflow:
    source = document or DEFAULT_WORKFLOW
    return Workflow(
        labels={s["name"]: s["label"] for s in source["statuses"]},
        final=source["final"],
        transitions={k: tuple(v) for k, v in source["transitions"].items()},
        outcomes={o["name"]: o["label"] for o in source["outcomes"]},
        reason_required=bool(source.get("reason_required", True)),
    )
