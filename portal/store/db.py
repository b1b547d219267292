"""The SQLCipher database: opening it, migrating it, and one connection per worker thread.

Connections are in autocommit mode (isolation_level=None): nothing is grouped
unless you ask. Group writes that belong together with `transaction(conn)`.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3
from flask import Flask, current_app, g

from portal.instance import DB_FILENAME, DB_KEY_FILENAME

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")
# SQLite's "file is not a database": what a wrong key looks like.
SQLITE_NOTADB = 26
# How long start-up work waits for another process's writes (a request waits 5 s). A
# migration that back-fills every case holds the write lock for seconds on a large
# database, and every worker migrates as it starts: one that gave up would fail to
# boot, and gunicorn then stops the whole portal.
START_UP_WAIT_MS = 300_000

if TYPE_CHECKING:
    # sqlcipher3 ships no type information; its Connection has sqlite3's API.
    from sqlite3 import Connection as Connection
else:
    Connection = sqlcipher3.Connection


class DatabaseKeyError(Exception):
    """db.key is missing, malformed, or does not open candour.db."""


class MigrationError(Exception):
    """A migration file is misnamed or failed to apply."""


def read_db_key(instance_path: str | Path) -> str:
    """The 64-hex-digit raw key from instance/db.key."""
    key_file = Path(instance_path) / DB_KEY_FILENAME
    try:
        key = key_file.read_text(encoding="ascii").strip().lower()
    except FileNotFoundError:
        raise DatabaseKeyError(
            f"{key_file} does not exist. Run `.venv/bin/flask --app wsgi init` to create an "
            "instance, or point CANDOUR_INSTANCE at an existing one."
        ) from None
    if not _HEX_KEY.fullmatch(key):
        raise DatabaseKeyError(
            f"{key_file} must hold exactly 64 hex digits (a 256-bit key); it does not. "
            "Restore it from your backup: without it the database cannot be read."
        )
    return key


# What SQLite may keep in memory in one process, all connections together, before its
# page caches give pages back rather than take more.
SQLITE_SOFT_HEAP_LIMIT_BYTES = 64 * 1024 * 1024


def connect(instance_path: str | Path) -> Connection:
    """Open instance/candour.db with the raw key from instance/db.key.

    A raw key skips SQLCipher's PBKDF2 (about 100 ms per open), which matters for a
    connection per request.
    """
    key = read_db_key(instance_path)
    db_file = Path(instance_path) / DB_FILENAME
    conn: Connection = sqlcipher3.connect(str(db_file), isolation_level=None, check_same_thread=True)
    try:
        # The key must be the first statement on the connection. The value is our
        # own validated hex, never user input, so formatting it in is safe.
        conn.execute(f"PRAGMA key = \"x'{key}'\"")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            if _sqlite_code(exc) != SQLITE_NOTADB:
                raise  # a full, read-only or failing disk, not a wrong key
            raise DatabaseKeyError(
                f"{db_file} cannot be opened with the key in {DB_KEY_FILENAME} "
                f"({exc}). The key file does not belong to this database, or the "
                "file is damaged: restore both from the same backup."
            ) from None
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        # Sorts and temporary tables stay in memory rather than in temp files.
        conn.execute("PRAGMA temp_store = MEMORY")
        # Process-wide: every worker thread keeps a connection (104 per worker), and each
        # connection's page cache would otherwise grow to its own limit; past this, the
        # caches recycle their pages instead of growing (docs/performance.md).
        conn.execute(f"PRAGMA soft_heap_limit = {SQLITE_SOFT_HEAP_LIMIT_BYTES}")
        conn.row_factory = sqlcipher3.Row
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back if the block raises.

    IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
    instead of one failing half-way with SQLITE_BUSY on upgrade.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        _rollback_quietly(conn)
        raise


@contextmanager
def waiting_longer(conn: Connection, milliseconds: int = START_UP_WAIT_MS) -> Iterator[Connection]:
    """Let `conn` wait up to `milliseconds` for another writer, then restore its timeout."""
    previous = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield conn
    finally:
        conn.execute(f"PRAGMA busy_timeout = {previous}")


def _rollback_quietly(conn: Connection) -> None:
    # After SQLITE_FULL or an I/O error SQLite may already have rolled back, and on
    # a failing disk ROLLBACK can fail too: either way the original error is the one
    # the caller must see. Closing the connection discards anything left.
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlcipher3.Error:
        pass


def _sqlite_code(exc: BaseException) -> int:
    """The primary SQLite result code of an exception (extended codes folded)."""
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def today() -> str:
    """Today's date in UTC as 'YYYY-MM-DD': the finest time the store keeps."""
    return datetime.now(UTC).date().isoformat()


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """(version, path) for every NNNN_name.sql, in order; refuses duplicates, which
    would otherwise apply migrations in a surprising order. Numbers may skip: parts
    of the project reserve ranges (0004 notifications, 0005–0007 workspace, 0008+
    intake), and `migrate` applies whichever are not yet recorded, by number."""
    found: dict[int, Path] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.fullmatch(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_lowercase_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name} and {found[version].name} share version {version}")
        found[version] = path
    if 0 in found:
        raise MigrationError(f"{found[0].name}: migration numbers start at 0001")
    return [(version, found[version]) for version in sorted(found)]


def _statements(sql: str) -> Iterator[str]:
    # Split on statement boundaries as SQLite sees them (so a trigger body's inner
    # semicolons do not end the statement early).
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlcipher3.complete_statement(buffer):
            if buffer.strip():
                yield buffer
            buffer = ""
    if buffer.strip() and not _only_comments(buffer):
        raise MigrationError(f"unterminated statement at the end of a migration: {buffer!r}")


def _only_comments(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())


def applied_versions(conn: Connection) -> set[int]:
    rows = conn.execute("SELECT version FROM schema_version").fetchall()
    return {row[0] for row in rows}


def migrate(conn: Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every migration not yet recorded in schema_version, each in its own
    transaction; returns the versions applied now. Safe to run concurrently from
    several processes: the check happens inside the write lock, and each waits for
    the others' migrations (`START_UP_WAIT_MS`)."""
    with waiting_longer(conn):
        return _migrate(conn, directory)


def _migrate(conn: Connection, directory: Path) -> list[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " applied_day TEXT NOT NULL)"
    )
    applied_now: list[int] = []
    for version, path in migration_files(directory):
        with transaction(conn):
            if version in applied_versions(conn):
                continue
            try:
                for statement in _statements(path.read_text(encoding="utf-8")):
                    conn.execute(statement)
            except sqlcipher3.Error as exc:
                raise MigrationError(f"{path.name} failed: {exc}") from exc
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_day) VALUES (?, ?, ?)",
                (version, path.stem, today()),
            )
        applied_now.append(version)
    return applied_now


class _ThreadConnection(threading.local):
    """The connection this thread keeps between requests, and what it was opened on."""

    conn: Connection | None = None
    opened_on: tuple[str, tuple[int, int, int, int]] | None = None


_kept = _ThreadConnection()


@functools.lru_cache(maxsize=16)
def _watched_files(instance_path: str) -> tuple[str, str]:
    return os.path.join(instance_path, DB_FILENAME), os.path.join(instance_path, DB_KEY_FILENAME)


def _file_identity(instance_path: str) -> tuple[int, int, int, int]:
    # The database file's inode and the key file's inode and mtime: a restored backup
    # or a new key makes a kept connection stale, and two stat calls notice it.
    db_file, key_file = _watched_files(instance_path)
    db_stat = os.stat(db_file)
    key_stat = os.stat(key_file)
    return db_stat.st_dev, db_stat.st_ino, key_stat.st_ino, key_stat.st_mtime_ns


def _kept_connection(instance_path: str) -> Connection:
    """This thread's connection to `instance_path`, reopened when the files changed.

    Opening a connection (key, schema read, PRAGMAs, a cold page cache) and closing
    it (the last close checkpoints the WAL) cost more than rendering the landing
    page, so each worker thread keeps one. One per thread: a thread serving another
    instance (the tests) closes the old one first, so nothing piles up.
    """
    identity = (instance_path, _file_identity(instance_path))
    if _kept.conn is not None and _kept.opened_on != identity:
        _discard_kept()
    if _kept.conn is None:
        _kept.conn = connect(instance_path)
        _kept.opened_on = identity
    return _kept.conn


def _discard_kept() -> None:
    conn, _kept.conn, _kept.opened_on = _kept.conn, None, None
    if conn is not None:
        conn.close()


def get_db() -> Connection:
    """The current request's connection: this thread's kept one, opened on first use."""
    if "db" not in g:
        g.db = _kept_connection(current_app.instance_path)
    conn: Connection = g.db
    return conn


def close_db(exc: BaseException | None = None) -> None:
    """End the request's use of the connection; it stays open for the thread's next request.

    Nothing is left pending on it: every statement autocommits, and `transaction()`
    has committed or rolled back before the request ends. A request that failed, or
    one that left a transaction open, closes the connection instead, so the next
    request starts from a fresh one.
    """
    conn = g.pop("db", None)
    if conn is None:
        return
    if exc is not None or conn.in_transaction or conn is not _kept.conn:
        _rollback_quietly(conn)
        if conn is _kept.conn:
            _discard_kept()
        else:
            conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
