"""Adding a reviewer, shared by the admin page (`portal.admin.views`) and the
`flask reviewer add` command (`portal.cli`), so both apply the same label rules and
write the same audit entry.

No Flask request or translation here: the command line has neither. Callers turn a
`LabelError` into their own (translated or plain) message from its `problem`.
"""

from __future__ import annotations

import os
import unicodedata
from typing import TYPE_CHECKING, Literal

from portal import audit
from portal.store.db import Connection
from portal.store.reviewers import Reviewer, add_reviewer_in_transaction

if TYPE_CHECKING:
    # Type only: `flask` commands other than `reviewer add` must work without crypto/.
    from crypto.identity import PublicIdentity

# Display names and roles are shown to reporters on one line of the landing page.
MAX_LABEL_CHARS = 120

LabelProblem = Literal["empty", "too_long", "control"]


class LabelError(ValueError):
    """A display name or role that cannot be shown to reporters."""

    def __init__(self, what: str, problem: LabelProblem) -> None:
        self.what = what
        self.problem = problem
        reasons = {
            "empty": "must not be empty",
            "too_long": f"must be at most {MAX_LABEL_CHARS} characters",
            "control": "must not contain control characters",
        }
        super().__init__(f"the {what} {reasons[problem]}")


def clean_label(value: str, what: str) -> str:
    """One line, white space runs folded to one space, printable, 1..MAX_LABEL_CHARS."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise LabelError(what, "empty")
    if len(cleaned) > MAX_LABEL_CHARS:
        raise LabelError(what, "too_long")
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise LabelError(what, "control")
    return cleaned


def add_reviewer_audited(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    identity: PublicIdentity,
    *,
    display_name: str,
    role: str,
    required: bool,
    actor: str,
    via: str | None = None,
) -> Reviewer:
    """Add (or re-activate) the reviewer and record `reviewer_added` in the same
    transaction: a crash can leave neither half without the other.

    Raises `ReviewerExistsError` when the key is already active; labels must already
    be cleaned (`clean_label`).
    """
    with audit.audited_transaction(conn, instance_path):
        reviewer = add_reviewer_in_transaction(
            conn,
            key_id=identity.key_id.hex(),
            identity=identity.to_line(),
            fingerprint=identity.fingerprint,
            display_name=display_name,
            role=role,
            required=required,
        )
        details: dict[str, object] = {
            "key_id": reviewer.key_id,
            "name": reviewer.display_name,
            "role": reviewer.role,
            "required": reviewer.required,
        }
        if via is not None:
            details["via"] = via
        audit.append(conn, actor=actor, action="reviewer_added", details=details)
    return reviewer
