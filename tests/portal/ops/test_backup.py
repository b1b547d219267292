"""Backups of a running portal and restoring them (issue #7, item 5).

`flask --app wsgi backup` runs while the real gunicorn keeps accepting reports;
`flask --app wsgi restore` makes a new instance from it; a second gunicorn on the
restored instance lets reporters back in with their codenames, and the audit trail
still verifies there.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.live_support import (
    REPO_ROOT,
    committed_blobs,
    integrity,
    referenced_blobs,
    start_gunicorn,
    submit_report,
)
from tests.support.reporter_support import (
    add_reviewer_with_keys,
    csrf_token,
    http_get,
    http_post_form,
    open_stored_submission,
)

from crypto.identity import ReviewerKeys
from portal import create_app
from portal.store.db import connect


def _flask(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CANDOUR_INSTANCE": str(instance)}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _follow_up(url: str, codename: str) -> str:
    status, cookies, page = http_get(url, "/followup")
    assert status == 200
    status, login, location, _body = http_post_form(
        url, "/followup", {"csrf_token": csrf_token(page), "codename": codename}, cookies
    )
    assert status == 303 and location.endswith("/case"), status
    status, _set, case_page = http_get(url, "/case", {**cookies, **login})
    assert status == 200
    return case_page


def _all_cases_open(instance: Path, reviewer: ReviewerKeys) -> list[str]:
    with closing(connect(instance)) as conn:
        case_ids = [row[0] for row in conn.execute("SELECT id FROM cases")]
    return [open_stored_submission(instance, case_id, reviewer).fields["what"] for case_id in case_ids]


@pytest.mark.live
def test_backup_of_a_running_portal_restores_to_a_working_instance(instance_dir: Path, tmp_path: Path) -> None:
    reviewer = add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    server = start_gunicorn(instance_dir, tmp_path / "gunicorn.log")
    before: dict[str, str] = {}
    during: list[str] = []
    try:
        for index in range(2):
            marker = f"before-backup-{index}-{secrets.token_hex(4)}"
            filed = submit_report(server.url, what=marker, files=[("f.txt", marker.encode() * 1000)])
            assert filed.codename
            before[marker] = filed.codename

        stop = threading.Event()

        def keep_reporting() -> None:
            while not stop.is_set():
                marker = f"during-backup-{secrets.token_hex(4)}"
                if submit_report(server.url, what=marker, files=[("g.bin", secrets.token_bytes(100_000))]).codename:
                    during.append(marker)

        reporters = [threading.Thread(target=keep_reporting, daemon=True) for _ in range(2)]
        for thread in reporters:
            thread.start()
        try:
            while len(during) < 2:  # reports are being stored right now
                threading.Event().wait(0.05)
            backup = tmp_path / "backups" / "monday"
            backup.parent.mkdir()
            made = _flask(instance_dir, "backup", str(backup))
            assert made.returncode == 0, made.stderr + made.stdout
            while len(during) < 4:  # and carry on after it
                threading.Event().wait(0.05)
        finally:
            stop.set()
            for thread in reporters:
                thread.join(timeout=60)
    finally:
        server.stop()
    assert "does not include candour.cfg or db.key" in made.stdout

    # Without --include-keys: no key, no settings; everything private; no leftovers.
    assert not (backup / "db.key").exists() and not (backup / "candour.cfg").exists()
    assert [p.name for p in backup.parent.iterdir()] == ["monday"], "a partial backup folder was left behind"
    for path in backup.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path} has mode {oct(mode)}"
        if path.is_file():
            data = path.read_bytes()
            for marker, codename in before.items():
                assert marker.encode() not in data and codename.encode() not in data, f"plaintext in {path}"

    # Restoring without the keys is refused with the way out; with them it works.
    refused = _flask(instance_dir, "restore", str(backup), str(tmp_path / "no-keys"))
    assert refused.returncode != 0 and "--db-key" in refused.stderr
    assert not (tmp_path / "no-keys").exists()
    restored = tmp_path / "restored"
    result = _flask(
        instance_dir,
        "restore",
        str(backup),
        str(restored),
        "--config",
        str(instance_dir / "candour.cfg"),
        "--db-key",
        str(instance_dir / "db.key"),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING" not in result.stderr

    assert integrity(restored) == "ok"
    assert set(committed_blobs(restored)) == referenced_blobs(restored)
    stored = _all_cases_open(restored, reviewer)
    assert set(before) <= set(stored)
    # A consistent snapshot: the reports stored while the backup ran are either
    # whole in it or absent, and it holds at least those stored before it began.
    assert set(stored) <= set(before) | set(during)

    server = start_gunicorn(restored, tmp_path / "restored.log")
    try:
        for codename in before.values():
            assert "Status now" in _follow_up(server.url, codename)
    finally:
        server.stop()
    verified = _flask(restored, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr + verified.stdout


def test_backup_with_keys_restores_on_its_own_and_never_overwrites(instance_dir: Path, tmp_path: Path) -> None:
    add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    runner = create_app(str(instance_dir)).test_cli_runner()
    dest = tmp_path / "with-keys"
    result = runner.invoke(args=["backup", str(dest), "--include-keys"])
    assert result.exit_code == 0, result.output
    assert "INCLUDES candour.cfg and db.key" in result.output
    for name in ("db.key", "candour.cfg"):
        assert (dest / name).read_bytes() == (instance_dir / name).read_bytes()

    again = runner.invoke(args=["backup", str(dest)])
    assert again.exit_code != 0 and "already exists" in again.output

    restored = tmp_path / "restored"
    result = runner.invoke(args=["restore", str(dest), str(restored)])
    assert result.exit_code == 0, result.output
    assert (restored / "blobs" / "tmp").is_dir()
    verify = create_app(str(restored)).test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    over = runner.invoke(args=["restore", str(dest), str(instance_dir)])
    assert over.exit_code != 0 and "already exists" in over.output


def test_backup_and_restore_are_in_the_audit_trail(instance_dir: Path, tmp_path: Path) -> None:
    runner = create_app(str(instance_dir)).test_cli_runner()
    dest = tmp_path / "nightly-copy"
    assert runner.invoke(args=["backup", str(dest), "--include-keys"]).exit_code == 0
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    with closing(connect(instance_dir)) as conn:
        made = conn.execute("SELECT actor, details FROM audit_log WHERE action = 'backup_made'").fetchall()
    assert [tuple(row) for row in made] == [("system", '{"destination":"nightly-copy","keys_included":true}')]
    assert str(tmp_path) not in made[0][1]  # the folder's name, never where it is

    restored = tmp_path / "restored"
    assert runner.invoke(args=["restore", str(dest), str(restored)]).exit_code == 0
    verify = create_app(str(restored)).test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    assert not (restored / "audit-head.lock").exists()
    with closing(connect(restored)) as conn:
        actions = [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY seq")]
        details = conn.execute("SELECT details FROM audit_log WHERE action = 'instance_restored'").fetchone()[0]
    # The backup was taken before its own entry was written; the restore adds its own.
    assert "backup_made" not in actions and actions[-1] == "instance_restored"
    assert details == '{"from":"nightly-copy","trail_verified":true}'
