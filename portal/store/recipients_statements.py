"""The reporter-signed recipients statement of a case (docs/format.md §7.1).

Written with the case (`cases.create_case(recipients_signed=…)`), after the intake
checked it; read here for the case page's replies JSON, where the reporter's device
verifies it against its own key.
"""

from __future__ import annotations

from portal.store.db import Connection


def recipients_statement(conn: Connection, case_id: str) -> tuple[bytes, bytes] | None:
    """The case's recipients statement and the reporter's signature over it, or None for
    a case stored before there was one."""
    row = conn.execute("SELECT sealed_to_statement, sealed_to_signature FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    return bytes(row[0]), bytes(row[1])
