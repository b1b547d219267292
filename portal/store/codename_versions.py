"""The codename derivation version recorded per case (migration 0011, docs/format.md §6).

Written with the case (`cases.create_case(codename_version=…)`); read here by the codename
login, which derives the slow version 1 only while some case still needs it.
"""

from __future__ import annotations

from portal.store.db import Connection


def any_case_with_version(conn: Connection, version: int) -> bool:
    """True when at least one stored case's codename is of this version (an index probe)."""
    return conn.execute("SELECT 1 FROM cases WHERE codename_version = ? LIMIT 1", (version,)).fetchone() is not None


def case_codename_version(conn: Connection, case_id: str) -> int | None:
    row = conn.execute("SELECT codename_version FROM cases WHERE id = ?", (case_id,)).fetchone()
    return None if row is None else int(row[0])


def cases_per_version(conn: Connection) -> dict[int, int]:
    """How many cases each version has: for operators deciding when version 1 is gone."""
    rows = conn.execute("SELECT codename_version, count(*) FROM cases GROUP BY codename_version").fetchall()
    return {int(version): int(count) for version, count in rows}
