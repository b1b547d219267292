"""Crash safety (issue #7, item 2): SIGKILL at random moments during bursts of real
no-JavaScript submissions to the real gunicorn, then restart on the same instance.

The promise checked: a report whose codename page the reporter received is stored,
whole, exactly once, and can be followed up with that codename. Reports cut off by
a kill may or may not be stored (the reporter never saw a codename), but whatever
is stored opens completely; nothing is half-written, no temporary file or orphan blob
survives the restart sweep, and SQLite's integrity check passes.

Rounds alternate between killing single workers (gunicorn's master replaces them)
and killing the master with its workers (the whole process group: a power cut).
"""

from __future__ import annotations

import random
import re
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.live_support import (
    Gunicorn,
    committed_blobs,
    integrity,
    referenced_blobs,
    start_gunicorn,
    submit_report,
    temp_files,
)
from tests.support.reporter_support import (
    add_reviewer_with_keys,
    csrf_token,
    http_get,
    http_post_form,
    open_stored_submission,
)

from crypto.codename import derive_reporter_keys, login_lookup_hash
from crypto.identity import ReviewerKeys
from portal import create_app
from portal.store import cases as case_store
from portal.store.db import connect

pytestmark = pytest.mark.live

# 6 rounds killing two workers each + 8 rounds killing the whole process group.
ROUNDS = ["worker"] * 6 + ["group"] * 8
REPORTS_PER_ROUND = 6
# Submissions start this far apart, so a burst spans the kill window: some are in
# flight at a kill, some start after it (on the worker gunicorn put in its place).
STAGGER_SECONDS = 0.25
ATTACHMENT_BYTES = 192 * 1024


@dataclass
class Filed:
    marker: str
    codename: str | None
    outcome: str


@dataclass
class CrashLog:
    kill_points: list[str] = field(default_factory=list)
    filed: list[Filed] = field(default_factory=list)


def _attachment(marker: str) -> bytes:
    # The marker at both ends, random bytes between: a truncated or mixed-up
    # attachment cannot still show it at both ends.
    return marker.encode() + secrets.token_bytes(ATTACHMENT_BYTES) + marker.encode()


def _reporter(url: str, marker: str, out: list[Filed], lock: threading.Lock) -> None:
    result = submit_report(
        url, what=f"{marker} what happened", files=[(f"{marker}.bin", _attachment(marker))], timeout=60
    )
    outcome = result.error or f"HTTP {result.status}"
    with lock:
        out.append(Filed(marker, result.codename, outcome))


def _burst(server: Gunicorn, round_no: int, log: CrashLog) -> list[threading.Thread]:
    lock = threading.Lock()
    threads = []
    for index in range(REPORTS_PER_ROUND):
        marker = f"crash-{round_no:02d}-{index}-{secrets.token_hex(4)}"
        thread = threading.Thread(target=_reporter, args=(server.url, marker, log.filed, lock), daemon=True)
        thread.start()
        threads.append(thread)
        time.sleep(STAGGER_SECONDS)
    return threads


def _kill_worker(server: Gunicorn, rng: random.Random) -> str | None:
    import os
    import signal

    workers = server.workers()
    if not workers:
        return None
    victim = rng.choice(workers)
    try:
        os.kill(victim, signal.SIGKILL)
    except ProcessLookupError:
        return None
    return "worker"


def _run_round(kind: str, round_no: int, instance: Path, log_path: Path, log: CrashLog, rng: random.Random) -> None:
    server = start_gunicorn(instance, log_path)
    try:
        started = time.monotonic()
        kills = 2 if kind == "worker" else 1
        # Random moments across the burst: GET, upload, sealing, Argon2id, blob
        # commit, database commit, response.
        moments = sorted(rng.uniform(0.05, 1.6) for _ in range(kills))
        burst = threading.Thread(target=lambda: threads.extend(_burst(server, round_no, log)), daemon=True)
        threads: list[threading.Thread] = []
        burst.start()
        for moment in moments:
            time.sleep(max(0.0, started + moment - time.monotonic()))
            if kind == "worker":
                if _kill_worker(server, rng):
                    log.kill_points.append(f"round {round_no}: worker at {moment:.2f}s")
            else:
                server.kill_group()
                log.kill_points.append(f"round {round_no}: master and workers at {moment:.2f}s")
        burst.join(timeout=30)
        for thread in threads:
            thread.join(timeout=90)
            assert not thread.is_alive(), "a reporter thread hung"
    finally:
        server.stop()


def _followup_shows_case(url: str, codename: str) -> bool:
    status, cookies, page = http_get(url, "/followup")
    if status != 200:
        return False
    status, login, location, _body = http_post_form(
        url, "/followup", {"csrf_token": csrf_token(page), "codename": codename}, cookies
    )
    if status != 303 or not location.endswith("/case"):
        return False
    status, _set, case_page = http_get(url, "/case", {**cookies, **login})
    return status == 200 and "Status now" in case_page


def _case_for(instance: Path, codename: str, salt: bytes, pepper: bytes) -> str | None:
    keys = derive_reporter_keys(codename, salt)
    with closing(connect(instance)) as conn:
        return case_store.find_case_by_login_hash(conn, login_lookup_hash(keys.login_token, pepper))


def test_acknowledged_reports_survive_sigkill_of_workers_and_master(
    instance_dir: Path, tmp_path: Path, capsys: Any
) -> None:
    reviewer = add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    rng = random.Random(secrets.randbits(32))  # a new schedule every run; printed below on failure
    log_path = tmp_path / "gunicorn.log"
    log = CrashLog()
    for round_no, kind in enumerate(ROUNDS):
        _run_round(kind, round_no, instance_dir, log_path, log, rng)

    # The restart: its start-up sweep runs before any worker.
    server = start_gunicorn(instance_dir, log_path)
    try:
        _check_instance(instance_dir, server, reviewer, log)
    finally:
        server.stop()


def _check_instance(instance: Path, server: Gunicorn, reviewer: ReviewerKeys, log: CrashLog) -> None:
    config = create_app(str(instance)).config
    salt, pepper = bytes.fromhex(config["INSTANCE_SALT"]), bytes.fromhex(config["LOGIN_PEPPER"])
    acknowledged = [filed for filed in log.filed if filed.codename]
    interrupted = [filed for filed in log.filed if not filed.codename]
    context = "\n".join(log.kill_points) + "\n" + "\n".join(f"{f.marker}: {f.outcome}" for f in interrupted)

    assert integrity(instance) == "ok"
    assert temp_files(instance) == [], "unfinished upload files survived the restart sweep"
    assert set(committed_blobs(instance)) == referenced_blobs(instance), "orphan or missing blobs after the restart"

    # Every stored case opens whole with the reviewer's key (no row points at a
    # missing or half-written blob), and no report is stored twice.
    with closing(connect(instance)) as conn:
        case_ids = [row[0] for row in conn.execute("SELECT id FROM cases")]
    stored_markers: Counter[str] = Counter()
    for case_id in case_ids:
        opened = open_stored_submission(instance, case_id, reviewer)
        marker = opened.fields["what"].split()[0]
        data = opened.attachments[0].location
        assert isinstance(data, bytes) and data.startswith(marker.encode()) and data.endswith(marker.encode())
        stored_markers[marker] += 1
    assert all(count == 1 for count in stored_markers.values()), f"duplicated cases: {stored_markers}"

    def check(filed: Filed) -> str | None:
        assert filed.codename is not None
        case_id = _case_for(instance, filed.codename, salt, pepper)
        if case_id is None:
            return f"{filed.marker}: no case for its codename"
        if open_stored_submission(instance, case_id, reviewer).fields["what"].split()[0] != filed.marker:
            return f"{filed.marker}: its codename opens another report"
        if not _followup_shows_case(server.url, filed.codename):
            return f"{filed.marker}: /followup with its codename does not show its case"
        return None

    with ThreadPoolExecutor(max_workers=3) as pool:
        lost = [problem for problem in pool.map(check, acknowledged) if problem]

    summary = (
        f"crash test: {len(log.kill_points)} kill points, {len(acknowledged)} acknowledged reports, "
        f"{len(lost)} acknowledged reports lost"
    )
    print(summary)
    print(f"  ({len(interrupted)} submissions cut off by kills, {len(case_ids)} cases stored in all)")
    assert lost == [], f"{summary}\n" + "\n".join(lost) + "\n" + context
    assert len(log.kill_points) >= 20, context
    # Not vacuous: reports got through, and kills did cut submissions off.
    assert len(acknowledged) >= 10, context
    assert interrupted, "no kill interrupted a submission: the kill points missed the bursts"
    assert re.fullmatch(r"crash test: \d+ kill points, \d+ acknowledged reports, 0 acknowledged reports lost", summary)
