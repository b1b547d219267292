"""The organisation-signed reviewer list as the portal last loaded it (written by the
admin pages and `flask reviewer load-list`), read for the reporter's browser.

Runs in the caller's transaction, like every store function not named for group commit.
"""

from __future__ import annotations

from portal.store.db import Connection

# The instance_meta rows portal/admin/views.py writes when it loads a signed list.
LIST_META = "org_reviewer_list"
LIST_SERIAL_META = "org_reviewer_list_serial"


def load_signed_list(conn: Connection) -> str | None:
    """The signed list's JSON exactly as loaded, or None if none was."""
    row = conn.execute("SELECT value FROM instance_meta WHERE name = ?", (LIST_META,)).fetchone()
    return None if row is None else str(row[0])


def signed_list_serial(conn: Connection) -> int | None:
    """The loaded signed list's serial (the lowest a reporter's browser may accept)."""
    row = conn.execute("SELECT value FROM instance_meta WHERE name = ?", (LIST_SERIAL_META,)).fetchone()
    try:
        return None if row is None else int(row[0])
    except (TypeError, ValueError):
        return None
