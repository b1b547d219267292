"""Reviewer operations: add, remove, mark required, load the organisation-signed
list. Each one transaction with its audit entry (see `portal.actions`).

Labels (display name, role) are cleaned here by one rule for the admin page and the
command line; callers turn a `LabelError` into their own message from its `problem`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

from crypto.errors import CandourError
from crypto.identity import PublicIdentity, parse_org_identity
from crypto.org import SignedReviewerList, verify_reviewer_list
from crypto.text import is_forbidden_char
from portal import audit
from portal.actions import with_via
from portal.store import instance_meta
from portal.store.db import Connection
from portal.store.reviewers import (
    Reviewer,
    add_reviewer_in_transaction,
    deactivate_reviewer,
    deactivate_reviewer_by_id,
    find_reviewer,
    list_reviewers,
    set_required,
    upsert_reviewer,
)

# Display names and roles are shown to reporters on one line of the landing page.
MAX_LABEL_CHARS = 120
MAX_LIST_UPLOAD_BYTES = 1 << 20

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


class ReviewerListRefused(Exception):
    """A signed reviewer list was not loaded; the message says why."""


@dataclass(frozen=True)
class ListChanges:
    """The key ids a loaded signed list added, updated and removed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"added": self.added, "updated": self.updated, "removed": self.removed}


def clean_label(value: str, what: str) -> str:
    """One line, white space runs folded to one space, 1..MAX_LABEL_CHARS, and no
    control or format character (the one rule of `crypto.text`, shared with the kit
    and the browser code)."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise LabelError(what, "empty")
    if len(cleaned) > MAX_LABEL_CHARS:
        raise LabelError(what, "too_long")
    if any(is_forbidden_char(char) for char in cleaned):
        raise LabelError(what, "control")
    return cleaned


def add_reviewer(
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
    """Add (or re-activate) the reviewer. Raises `ReviewerExistsError` when the key
    is already active; labels must already be cleaned (`clean_label`)."""
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
        audit.append(conn, actor=actor, action="reviewer_added", details=with_via(details, via))
    return reviewer


def remove_reviewer(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    key_id_or_fingerprint: str,
    *,
    actor: str,
    via: str | None = None,
) -> Reviewer:
    """Stop offering a reviewer to reporters. Cases already sealed to them stay
    readable by them. Raises `ReviewerNotFoundError`."""
    with audit.audited_transaction(conn, instance_path):
        reviewer = deactivate_reviewer(conn, key_id_or_fingerprint)
        details: dict[str, object] = {"key_id": reviewer.key_id, "name": reviewer.display_name}
        audit.append(conn, actor=actor, action="reviewer_removed", details=with_via(details, via))
    return reviewer


def mark_required(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    key_id_or_fingerprint: str,
    required: bool,
    *,
    actor: str,
    via: str | None = None,
) -> Reviewer:
    """Whether every report is sealed to this reviewer. Raises `ReviewerNotFoundError`."""
    with audit.audited_transaction(conn, instance_path):
        reviewer = find_reviewer(conn, key_id_or_fingerprint)
        set_required(conn, reviewer.key_id, required)
        details: dict[str, object] = {"key_id": reviewer.key_id, "required": required}
        audit.append(conn, actor=actor, action="reviewer_required_changed", details=with_via(details, via))
    return find_reviewer(conn, reviewer.key_id)


def load_signed_list(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    data: bytes,
    org_line: str | None,
    *,
    actor: str,
    via: str | None = None,
) -> ListChanges:
    """Verify a signed list against the configured organisation key, refuse an older
    serial, and apply it: add or update every listed reviewer and remove the active
    ones it leaves out. Raises `ReviewerListRefused`."""
    if not org_line:
        raise ReviewerListRefused(
            "no organisation key is configured: set ORG_PUBLIC_KEY (the org.pub line) in the instance's candour.cfg"
        )
    try:
        org = parse_org_identity(org_line)
        signed: SignedReviewerList = verify_reviewer_list(data, expected_org_fingerprint=org.fingerprint)
    except CandourError as exc:
        raise ReviewerListRefused(str(exc)) from exc
    if signed.org.sign_public_key != org.sign_public_key:
        raise ReviewerListRefused("the list is signed by another organisation key than the one configured")
    changes = ListChanges()
    with audit.audited_transaction(conn, instance_path):
        loaded = instance_meta.loaded_list_serial(conn)
        if signed.serial <= loaded:
            raise ReviewerListRefused(
                f"this list has serial {signed.serial}, but serial {loaded} is already loaded: "
                "only a newer list can replace it (an older one could bring back a removed reviewer)"
            )
        before = {r.key_id: r for r in list_reviewers(conn, active_only=False)}
        listed = set()
        for entry in signed.reviewers:
            key_id = entry.key_id.hex()
            listed.add(key_id)
            old = before.get(key_id)
            upsert_reviewer(
                conn,
                key_id=key_id,
                identity=entry.identity.to_line(),
                fingerprint=entry.identity.fingerprint,
                display_name=entry.display_name,
                role=entry.role,
                required=entry.required,
            )
            (changes.added if old is None or not old.active else changes.updated).append(key_id)
        for key_id, reviewer in before.items():
            if reviewer.active and key_id not in listed:
                deactivate_reviewer_by_id(conn, reviewer.id)
                changes.removed.append(key_id)
        instance_meta.set_meta(conn, instance_meta.LIST_SERIAL, str(signed.serial))
        instance_meta.set_meta(conn, instance_meta.LIST_JSON, data.decode("utf-8"))
        details: dict[str, object] = {
            "serial": signed.serial,
            "organisation": signed.organisation,
            "issued": signed.issued,
            **changes.as_dict(),
        }
        audit.append(conn, actor=actor, action="org_reviewer_list_loaded", details=with_via(details, via))
    return changes


def signed_list_steps(conn: Connection) -> list[str]:
    """The commands that sign a new list naming every active reviewer and load it:
    what an administrator runs after adding a reviewer on an instance with an
    organisation key (the first on the offline machine holding org.key)."""
    serial = instance_meta.loaded_list_serial(conn) + 1
    sign = [f"python3 -m crypto org sign --key org.key --serial {serial}"]
    for reviewer in list_reviewers(conn):
        spec = f"{reviewer.key_id}.pub:{reviewer.display_name}:{reviewer.role}:"
        spec += "required" if reviewer.required else "optional"
        sign.append(f'  --reviewer "{spec}"')
    sign.append("  -o reviewers.signed.json")
    return [
        " \\\n".join(sign),
        ".venv/bin/flask --app wsgi reviewer load-list reviewers.signed.json",
    ]
