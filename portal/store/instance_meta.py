"""The instance_meta table: small named values about the instance (the loaded
organisation-signed reviewer list and its serial)."""

from __future__ import annotations

from portal.store.db import Connection

LIST_SERIAL = "org_reviewer_list_serial"
LIST_JSON = "org_reviewer_list"


def get_meta(conn: Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM instance_meta WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: Connection, name: str, value: str) -> None:
    conn.execute(
        "INSERT INTO instance_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )


def loaded_list_serial(conn: Connection) -> int:
    """The serial of the loaded organisation-signed reviewer list; 0 when none is."""
    value = get_meta(conn, LIST_SERIAL)
    return 0 if value is None else int(value)
