"""The statements a backup and a restore run on a database copy."""

from __future__ import annotations

from pathlib import Path

import sqlcipher3

from portal.store.db import Connection


def open_keyed_file(db_file: Path, key_hex: str) -> Connection:
    """Open (or create) a database file encrypted with the instance's raw key."""
    conn: Connection = sqlcipher3.connect(str(db_file), isolation_level=None)
    # Our own validated 64-hex-digit key (read_db_key), never user input.
    conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    return conn


def integrity_problem(conn: Connection) -> str | None:
    """SQLite's integrity check: None when the file is sound, else its first finding."""
    check = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    return None if check == "ok" else check


def use_single_file(conn: Connection) -> None:
    """Rollback journal instead of WAL: a backup is read, not written."""
    conn.execute("PRAGMA journal_mode = DELETE")


def case_count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
