"""What the organisation's audit trail says happened to accounts and reviewers since this
reviewer's last export, in sentences for `decrypt` and the Desk.

A server in the wrong hands would reset a reviewer's password or second factor, or add
a reviewer, to read what it cannot: the portal records each such act in the trail
(portal/actions/), and the kit has already checked that the trail was not rewritten
(crypto/audit_chain.py). Checking is not telling, so the acts that change who can sign
in, or to whom reports are sealed, are named here. Every value comes from the server
and is shown through `visible_name`, so none can drive a terminal or a screen.
"""

import json
from typing import Any

from .audit_chain import AuditHead, AuditTrail
from .text import visible_name

# The acts a reviewer should hear about, and how each is said. {who}: the account or
# reviewer the entry is about.
_SAID = {
    "account_created": "created the account {who}",
    "password_reset": "reset the password of {who}",
    "second_factor_reset": "reset the second factor (authenticator) of {who}",
    "sessions_revoked": "signed {who} out of every session",
    "reset_requested": "asked for a reset of {who}",
    "reset_withdrawn": "withdrew a reset of {who}",
    "reviewer_added": "added the reviewer {who}",
    "reviewer_removed": "removed the reviewer {who}",
    "reviewer_required_changed": "changed whether every report must be sealed to {who}",
    "org_reviewer_list_loaded": "loaded a signed reviewer list{who}",
}


def _about(action: str, details: dict[str, Any]) -> str:
    if action == "org_reviewer_list_loaded":
        serial = details.get("serial")
        return f" (serial {serial})" if isinstance(serial, int) else ""
    for key in ("account", "username", "name", "key_id"):
        value = details.get(key)
        if isinstance(value, str) and value:
            return f"'{visible_name(value)}'"
    return "an account"


def account_changes(trail: AuditTrail, since: AuditHead | None) -> list[str]:
    """One sentence per notable entry after `since` (the head pinned at the last export;
    None: every entry the export carries), oldest first."""
    after = since.seq if since is not None else 0
    said = []
    for entry in trail.entries:
        template = _SAID.get(entry.action)
        if entry.seq <= after or template is None:
            continue
        try:
            details = json.loads(entry.details)
        except json.JSONDecodeError:
            details = {}
        about = _about(entry.action, details if isinstance(details, dict) else {})
        actor = visible_name(entry.actor) or "someone"
        said.append(f"{entry.day} (entry {entry.seq}): {actor} {template.format(who=about)}")
    return said
