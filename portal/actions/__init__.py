"""Audited administrative operations, one function each, called by both the admin
pages and the `flask` commands.

Each writes its change and its audit entry in ONE transaction
(`portal.audit.audited_transaction`): if the audit entry cannot be written, the
change is not made either. Each takes the actor ("alice (admin)" or "system") and
an optional `via` ("command line") recorded in the entry. No Flask request and no
translation here: callers turn the exceptions into their own messages.
"""


def with_via(details: dict[str, object], via: str | None) -> dict[str, object]:
    """An audit entry's details with the way the action came (`via`), when one is given."""
    if via is not None:
        details["via"] = via
    return details
