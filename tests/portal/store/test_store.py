"""The SQLCipher store: keyed opening, migrations, and what the schema refuses."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import sqlcipher3

from portal.store import db


def test_connection_settings(instance_dir: Path) -> None:
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        # 104 kept connections per worker share one bound on SQLite's memory.
        assert conn.execute("PRAGMA soft_heap_limit").fetchone()[0] == db.SQLITE_SOFT_HEAP_LIMIT_BYTES


def test_migrations_are_recorded_and_idempotent(instance_dir: Path) -> None:
    expected = [version for version, _path in db.migration_files()]
    with closing(db.connect(instance_dir)) as conn:
        assert db.applied_versions(conn) == set(expected)
        assert db.migrate(conn) == []
        assert db.migrate(conn) == []
        rows = conn.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert [row[0] for row in rows] == expected
    assert rows[0][1] == "0001_reviewers_cases_submissions_and_replies"


def test_a_database_migrated_under_the_old_file_names_opens_unchanged(instance_dir: Path) -> None:
    # schema_version is keyed by number: renaming a migration's descriptive part
    # (0001_initial -> 0001_reviewers_…) must not apply it a second time.
    old_names = {1: "0001_initial", 2: "0002_reporter", 3: "0003_accounts"}
    with closing(db.connect(instance_dir)) as conn:
        for version, name in old_names.items():
            conn.execute("UPDATE schema_version SET name = ? WHERE version = ?", (name, version))
        assert db.migrate(conn) == []
        assert db.applied_versions(conn) == {version for version, _path in db.migration_files()}


def test_migrate_from_empty_applies_everything_once(tmp_path: Path) -> None:
    (tmp_path / "db.key").write_text("ab" * 32)
    with closing(db.connect(tmp_path)) as conn:
        applied = db.migrate(conn)
        assert applied == [version for version, _path in db.migration_files()]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in (
        "reviewers",
        "cases",
        "case_reviewers",
        "submissions",
        "parts",
        "status_events",
        "replies",
        "schema_version",
    ):
        assert table in tables


def test_concurrent_migrations_apply_each_version_once(tmp_path: Path) -> None:
    # Two gunicorn workers start at the same moment and both migrate.
    (tmp_path / "db.key").write_text("cd" * 32)
    with closing(db.connect(tmp_path)):
        pass
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with closing(db.connect(tmp_path)) as conn:
                db.migrate(conn)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with closing(db.connect(tmp_path)) as conn:
        count = conn.execute("SELECT count(*) FROM schema_version").fetchone()[0]
    assert count == len(db.migration_files())


def test_a_starting_worker_waits_for_a_long_migration_instead_of_failing_to_boot(instance_dir: Path) -> None:
    # Another process holds the write lock longer than a request would wait (5 s), as
    # a migration back-filling every case of a large database does.
    outcome: list[object] = []

    def start_up() -> None:
        try:
            with closing(db.connect(instance_dir)) as conn:
                started = time.monotonic()
                outcome.append(db.migrate(conn))
                outcome.append(time.monotonic() - started)
                outcome.append(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            outcome.append(exc)

    with closing(db.connect(instance_dir)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        worker = threading.Thread(target=start_up)
        worker.start()
        time.sleep(5.5)
        holder.execute("COMMIT")
        worker.join()
    assert len(outcome) == 3, outcome  # no "database is locked"
    applied, waited, timeout_after = outcome
    assert applied == [] and isinstance(waited, float) and waited > 5
    assert timeout_after == 5000  # requests go back to the usual wait


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (migrations / "0002_bad.sql").write_text("CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);\n")
    (tmp_path / "db.key").write_text("ef" * 32)
    with closing(db.connect(tmp_path)) as conn:
        with pytest.raises(db.MigrationError, match="0002_bad.sql"):
            db.migrate(conn, migrations)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "a" in tables
        assert "b" not in tables  # rolled back with the failed migration
        assert db.applied_versions(conn) == {1}


def test_migration_files_are_numbered_once_each_and_may_skip_reserved_numbers(tmp_path: Path) -> None:
    (tmp_path / "0001_one.sql").write_text("")
    (tmp_path / "0003_three.sql").write_text("")
    assert [version for version, _path in db.migration_files(tmp_path)] == [1, 3]
    (tmp_path / "0003_other.sql").write_text("")
    with pytest.raises(db.MigrationError, match="share version 3"):
        db.migration_files(tmp_path)
    (tmp_path / "0003_other.sql").unlink()
    (tmp_path / "2_bad name.sql").write_text("")
    with pytest.raises(db.MigrationError, match="NNNN_"):
        db.migration_files(tmp_path)


def test_database_is_unreadable_without_the_key(instance_dir: Path) -> None:
    db_file = instance_dir / "candour.db"
    assert db_file.stat().st_size > 0
    header = db_file.read_bytes()[:16]
    assert header != b"SQLite format 3\x00"
    with closing(sqlite3.connect(db_file)) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT name FROM sqlite_master").fetchall()


def test_database_is_unreadable_with_a_wrong_key(instance_dir: Path) -> None:
    with closing(sqlcipher3.connect(str(instance_dir / "candour.db"))) as conn:
        conn.execute("PRAGMA key = \"x'" + "00" * 32 + "'\"")
        with pytest.raises(sqlcipher3.DatabaseError):
            conn.execute("SELECT name FROM sqlite_master").fetchall()
    (instance_dir / "db.key").write_text("11" * 32 + "\n")
    with pytest.raises(db.DatabaseKeyError, match="cannot be opened with the key"):
        db.connect(instance_dir)


@pytest.mark.parametrize("content", ["", "not hex at all", "ab" * 31, "ab" * 33])
def test_malformed_key_file_is_refused(instance_dir: Path, content: str) -> None:
    (instance_dir / "db.key").write_text(content)
    with pytest.raises(db.DatabaseKeyError, match="64 hex digits"):
        db.connect(instance_dir)


def test_missing_key_file_is_explained(tmp_path: Path) -> None:
    with pytest.raises(db.DatabaseKeyError, match="flask --app wsgi init"):
        db.connect(tmp_path)


def test_schema_has_no_column_for_addresses_agents_or_times(instance_dir: Path) -> None:
    forbidden = ("ip", "addr", "agent", "time", "stamp", "hour", "minute", "second", "_at")
    with closing(db.connect(instance_dir)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in conn.execute(f"PRAGMA table_info({table})"):
                name = column[1].lower()
                assert not any(word in name for word in forbidden), f"{table}.{name}"


def _insert_case(conn: db.Connection, case_id: str = "a" * 32, created_day: str = "2026-01-02") -> None:
    conn.execute(
        "INSERT INTO cases (id, created_day, status, sealed_on, login_hash, reporter_reply_key,"
        " reporter_sign_key, change_counter) VALUES (?, ?, 'received', 'server', ?, ?, ?, 1)",
        (case_id, created_day, b"\x01" * 32, b"\x02" * 32, b"\x03" * 32),
    )


@pytest.mark.parametrize("when", ["2026-01-02T10:11:12", "2026-01-02 10:11", "1767348672", "02/01/2026"])
def test_days_refuse_anything_finer_than_a_day(instance_dir: Path, when: str) -> None:
    with closing(db.connect(instance_dir)) as conn:
        with pytest.raises(sqlcipher3.IntegrityError):
            _insert_case(conn, created_day=when)
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_deleting_a_case_removes_everything_under_it(instance_dir: Path) -> None:
    with closing(db.connect(instance_dir)) as conn, db.transaction(conn):
        _insert_case(conn)
        conn.execute(
            # A follow-up: a report's id would have to be its case id (0002's trigger).
            "INSERT INTO submissions (id, case_id, kind, day, sealed_on, part_count)"
            " VALUES (?, ?, 'followup', '2026-01-02', 'server', 1)",
            ("b" * 32, "a" * 32),
        )
        conn.execute(
            "INSERT INTO parts (submission_id, part_index, blob, sealed_size, header_hash) VALUES (?, 0, ?, 10, ?)",
            ("b" * 32, "c" * 32, b"\x00" * 32),
        )
        conn.execute(
            "INSERT INTO status_events (case_id, day, status) VALUES (?, '2026-01-02', 'received')", ("a" * 32,)
        )
    with closing(db.connect(instance_dir)) as conn:
        conn.execute("DELETE FROM cases WHERE id = ?", ("a" * 32,))
        for table in ("submissions", "parts", "status_events"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0  # noqa: S608


def test_transaction_rolls_back_on_error(instance_dir: Path) -> None:
    with closing(db.connect(instance_dir)) as conn:
        with pytest.raises(RuntimeError), db.transaction(conn):
            _insert_case(conn)
            raise RuntimeError("abandon")
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_a_worker_thread_keeps_its_connection_between_requests(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        conn = db.get_db()
        assert db.get_db() is conn
    with app.app_context():
        assert db.get_db() is conn
    assert conn.execute("SELECT 1").fetchone()[0] == 1


def test_a_request_that_failed_or_left_a_transaction_open_closes_its_connection(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), app.app_context():
        failed = db.get_db()
        raise RuntimeError("the request failed")
    with pytest.raises(sqlcipher3.ProgrammingError):
        failed.execute("SELECT 1")
    with app.app_context():
        left_open = db.get_db()
        assert left_open is not failed
        left_open.execute("BEGIN IMMEDIATE")
        _insert_case(left_open)
    with pytest.raises(sqlcipher3.ProgrammingError):
        left_open.execute("SELECT 1")
    with app.app_context():
        assert db.get_db().execute("SELECT count(*) FROM cases").fetchone()[0] == 0


def test_threads_do_not_share_a_connection(app) -> None:  # type: ignore[no-untyped-def]
    import threading

    with app.app_context():
        mine = db.get_db()
    theirs: list[object] = []

    def other_thread() -> None:
        with app.app_context():
            theirs.append(db.get_db())

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine


def test_a_kept_connection_is_reopened_when_the_database_file_is_replaced(app) -> None:  # type: ignore[no-untyped-def]
    import shutil

    instance = Path(app.instance_path)
    with app.app_context():
        old = db.get_db()
        _insert_case(old)
        old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # A restored backup: another file under the same name.
    shutil.copy2(instance / "candour.db", instance / "restored.db")
    (instance / "restored.db").replace(instance / "candour.db")
    with app.app_context():
        assert db.get_db() is not old
        assert db.get_db().execute("SELECT count(*) FROM cases").fetchone()[0] == 1
