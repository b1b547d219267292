"""Group commit (portal/store/group_commit.py): concurrent cases share COMMITs, each
still all-or-nothing, a failing one alone is rolled back, and nothing returns before
its rows are committed."""

from __future__ import annotations

import os
import threading
from contextlib import closing
from pathlib import Path

from tests.support.reporter_support import add_reviewer_with_keys, reviewer_row_id

from portal.store import cases as case_store
from portal.store.cases import CaseExistsError, StoredPart
from portal.store.db import connect
from portal.store.group_commit import run_grouped


def _store(instance: Path, reviewer_id: int, case_id: str, login_hash: bytes) -> None:
    with closing(connect(instance)) as conn:
        case_store.create_case(
            conn,
            case_id=case_id,
            day="2026-11-25",
            initial_status="new",
            acknowledge_by="2026-12-02",
            feedback_by="2027-02-23",
            sealed_on="browser",
            login_hash=login_hash,
            reporter_reply_key=os.urandom(32),
            reporter_sign_key=os.urandom(32),
            reviewer_ids=[reviewer_id],
            parts=[StoredPart(index=0, blob=os.urandom(16).hex(), sealed_size=16_500, header_hash=os.urandom(32))],
        )
        # Visible from another connection as soon as create_case returned: committed.
        with closing(connect(instance)) as other:
            assert other.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone()


def test_concurrent_cases_commit_together_and_a_duplicate_fails_alone(instance_dir: Path) -> None:
    keys = add_reviewer_with_keys(instance_dir, "Ana", "Chair", required=True)
    reviewer_id = reviewer_row_id(instance_dir, keys.key_id.hex())
    duplicate = os.urandom(32)
    jobs = [(os.urandom(16).hex(), os.urandom(32)) for _ in range(30)]
    jobs += [(os.urandom(16).hex(), duplicate), (os.urandom(16).hex(), duplicate)]
    outcomes: dict[str, str] = {}
    start = threading.Barrier(len(jobs))

    def worker(case_id: str, login_hash: bytes) -> None:
        start.wait(timeout=30)
        try:
            _store(instance_dir, reviewer_id, case_id, login_hash)
            outcomes[case_id] = "stored"
        except CaseExistsError:
            outcomes[case_id] = "exists"

    threads = [threading.Thread(target=worker, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()).count("exists") == 1
    assert sorted(outcomes.values()).count("stored") == len(jobs) - 1
    with closing(connect(instance_dir)) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM cases")}
        assert stored == {case_id for case_id, outcome in outcomes.items() if outcome == "stored"}
        # Every stored case is whole: its submission, part, recipient and first status.
        for table in ("submissions", "parts", "case_reviewers", "status_events"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == len(stored)  # noqa: S608


def test_a_job_that_raises_leaves_no_rows_and_the_error_reaches_its_caller(instance_dir: Path) -> None:
    with closing(connect(instance_dir)) as conn:
        conn.execute("CREATE TABLE change_counter_probe (x INTEGER)")
        try:
            run_grouped(conn, lambda c: (c.execute("INSERT INTO change_counter_probe VALUES (1)"), 1 / 0))
        except ZeroDivisionError:
            pass
        else:  # pragma: no cover
            raise AssertionError("the job's error was swallowed")
        assert conn.execute("SELECT count(*) FROM change_counter_probe").fetchone()[0] == 0
        assert not conn.in_transaction
        assert run_grouped(conn, lambda c: c.execute("INSERT INTO change_counter_probe VALUES (2)").rowcount) == 1
        assert conn.execute("SELECT x FROM change_counter_probe").fetchall()[0][0] == 2


def test_a_leader_waits_for_another_process_holding_the_writers_lock(instance_dir: Path) -> None:
    # Another worker's leader holds the writers' flock (its own open file, as a separate
    # process has): this one must wait for it, then commit as soon as it is released.
    import fcntl

    from portal.store.group_commit import WRITERS_LOCK_FILENAME

    keys = add_reviewer_with_keys(instance_dir, "Ana", "Chair", required=True)
    reviewer_id = reviewer_row_id(instance_dir, keys.key_id.hex())
    other_worker = os.open(instance_dir / WRITERS_LOCK_FILENAME, os.O_RDONLY | os.O_CREAT, 0o600)
    fcntl.flock(other_worker, fcntl.LOCK_EX)
    stored = threading.Event()

    def store() -> None:
        _store(instance_dir, reviewer_id, "ab" * 16, os.urandom(32))
        stored.set()

    writer = threading.Thread(target=store)
    writer.start()
    try:
        assert not stored.wait(0.5), "the case was committed while another worker held the writers' lock"
    finally:
        fcntl.flock(other_worker, fcntl.LOCK_UN)
        os.close(other_worker)
    writer.join(10)
    assert stored.is_set()
