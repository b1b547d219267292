"""The organisation's case workflow, as the export carries it (docs/format.md §10, manifest v2).

The portal decides which statuses exist, which status may follow which, which outcomes
a closed case can have and whether a status change needs a reason; the export carries
that decision so the offline reply tool can refuse a reply the portal would refuse,
before a USB round trip:

    {"statuses": [{"name": "new", "label": "New"}, …], "final": "closed",
     "transitions": {"new": ["acknowledged", …], …},
     "outcomes": [{"name": "upheld", "label": "Upheld"}, …], "reason_required": true}

`reason_required` applies to every status change; an outcome is required exactly when
the new status is `final` (and refused otherwise). A reviewer may type either the
internal name or the label the workspace shows; both resolve to the name.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import CandourError, FormatError
from .strict_json import JsonReader
from .text import check_label

MAX_STATUSES = 64
MAX_OUTCOMES = 64
MAX_NAME_CHARS = 64  # as a reply statement's status and outcome names (crypto.reply)
MAX_LABEL_CHARS = 200


class WorkflowError(CandourError):
    """A status change the organisation's workflow does not allow (the message lists the valid choices)."""


@dataclass(frozen=True)
class Choice:
    name: str
    label: str

    def shown(self) -> str:
        return self.name if self.label == self.name else f"{self.label} ({self.name})"


@dataclass(frozen=True)
class Workflow:
    statuses: tuple[Choice, ...]
    final: str
    transitions: Mapping[str, tuple[str, ...]]
    outcomes: tuple[Choice, ...]
    reason_required: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "statuses": [{"name": c.name, "label": c.label} for c in self.statuses],
            "final": self.final,
            "transitions": {name: list(targets) for name, targets in self.transitions.items()},
            "outcomes": [{"name": c.name, "label": c.label} for c in self.outcomes],
            "reason_required": self.reason_required,
        }

    def label_of(self, name: str) -> str:
        for choice in (*self.statuses, *self.outcomes):
            if choice.name == name:
                return choice.label
        return name

    def allowed_from(self, current: str) -> tuple[Choice, ...]:
        targets = set(self.transitions.get(current, ()))
        return tuple(c for c in self.statuses if c.name in targets)

    def resolve_status(self, typed: str) -> str:
        return _resolve(typed, self.statuses, "status")

    def resolve_outcome(self, typed: str) -> str:
        return _resolve(typed, self.outcomes, "outcome")

    def check_change(self, current: str, status: str, outcome: str | None, reason: str) -> tuple[str, str | None]:
        """Resolve and check one status change from `current`; return (status name, outcome name).

        Raises `WorkflowError` naming the valid choices for an unknown status or outcome,
        a status not allowed after `current`, a final status without an outcome, an
        outcome on a non-final status, and a missing reason when one is required.
        """
        name = self.resolve_status(status)
        allowed = self.allowed_from(current)
        if name not in {c.name for c in allowed}:
            choices = ", ".join(c.shown() for c in allowed) or "none: the case cannot change status any more"
            raise WorkflowError(
                f"the case is '{self.label_of(current)}'; it cannot become '{self.label_of(name)}'. "
                f"Allowed from here: {choices}"
            )
        outcome_name = None
        if name == self.final:
            if not outcome:
                raise WorkflowError(
                    f"closing a case ('{self.label_of(name)}') needs --outcome, one of: {_listed(self.outcomes)}"
                )
            outcome_name = self.resolve_outcome(outcome)
        elif outcome:
            raise WorkflowError(f"only '{self.label_of(self.final)}' takes an outcome; leave --outcome out")
        if self.reason_required and not reason.strip():
            raise WorkflowError("your organisation requires a reason for every status change: give --reason")
        return name, outcome_name

    def help_text(self) -> str:
        return f"statuses: {_listed(self.statuses)}; outcomes (for {self.final}): {_listed(self.outcomes)}"


def _listed(choices: Sequence[Choice]) -> str:
    return ", ".join(c.shown() for c in choices)


def _resolve(typed: str, choices: Sequence[Choice], what: str) -> str:
    folded = " ".join(typed.split()).casefold()
    for choice in choices:
        if typed == choice.name or folded in (choice.name.casefold(), " ".join(choice.label.split()).casefold()):
            return choice.name
    raise WorkflowError(f"'{typed}' is not a {what} of your organisation's workflow; choose one of: {_listed(choices)}")


_KEYS = ("statuses", "final", "transitions", "outcomes", "reason_required")


def _choices(r: JsonReader, value: Any, where: str, max_items: int, *, min_items: int) -> tuple[Choice, ...]:
    found: list[Choice] = []
    for position, entry in enumerate(r.list(value, where, max_items, min_items=min_items), start=1):
        entry = r.obj(entry, f"{where} entry {position}", ("name", "label"))
        try:
            name = check_label(entry["name"], field=f"name of {where} entry {position}", max_chars=MAX_NAME_CHARS)
            label = check_label(entry["label"], field=f"label of {where} entry {position}", max_chars=MAX_LABEL_CHARS)
        except FormatError as exc:
            raise r.fail(str(exc)) from exc
        if any(c.name == name for c in found):
            raise r.fail(f"{where} lists '{name}' twice")
        found.append(Choice(name, label))
    return tuple(found)


def parse_workflow(r: JsonReader, value: Any, where: str = "the workflow") -> Workflow:
    """Check a workflow object strictly with reader `r` (its errors are `r`'s)."""
    top = r.obj(value, where, _KEYS)
    statuses = _choices(r, top["statuses"], f"{where}'s statuses", MAX_STATUSES, min_items=1)
    names = {c.name for c in statuses}
    final = r.text(top["final"], f"{where}'s final status", MAX_NAME_CHARS, non_empty=True)
    if final not in names:
        raise r.fail(f"{where}'s final status '{final}' is not one of its statuses")
    transitions_json = top["transitions"]
    if not isinstance(transitions_json, dict):
        raise r.fail(f"{where}'s transitions must be a JSON object")
    transitions: dict[str, tuple[str, ...]] = {}
    for source, targets in transitions_json.items():
        if source not in names:
            raise r.fail(f"{where}'s transitions start from '{source}', which is not one of its statuses")
        listed = tuple(
            r.text(t, f"a transition of {where} from '{source}'", MAX_NAME_CHARS)
            for t in r.list(targets, f"{where}'s transitions from '{source}'", MAX_STATUSES)
        )
        for target in listed:
            if target not in names:
                raise r.fail(f"{where} lets '{source}' become '{target}', which is not one of its statuses")
        if len(set(listed)) != len(listed):
            raise r.fail(f"{where}'s transitions from '{source}' name a status twice")
        transitions[source] = listed
    outcomes = _choices(r, top["outcomes"], f"{where}'s outcomes", MAX_OUTCOMES, min_items=0)
    return Workflow(
        statuses=statuses,
        final=final,
        transitions=transitions,
        outcomes=outcomes,
        reason_required=r.boolean(top["reason_required"], f"{where}'s reason_required"),
    )
