"""`flask --app wsgi init` and `flask --app wsgi reviewer …`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from portal import create_app
from portal.instance import REPO_ROOT
from portal.store import db


def _invoke(instance: Path, *args: str) -> Any:
    return create_app(str(instance)).test_cli_runner().invoke(args=list(args))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_a_private_instance(instance_dir: Path) -> None:
    assert _mode(instance_dir) == 0o700
    for name in ("db.key", "candour.cfg", "candour.db"):
        assert _mode(instance_dir / name) == 0o600, name
    key = (instance_dir / "db.key").read_text().strip()
    assert len(key) == 64 and int(key, 16) >= 0
    cfg = (instance_dir / "candour.cfg").read_text()
    for setting in ("SECRET_KEY", "INSTANCE_SALT", "LOGIN_PEPPER"):
        assert f"{setting} = " in cfg
    assert (instance_dir / "blobs" / "tmp").is_dir()


def test_init_refuses_to_overwrite(instance_dir: Path) -> None:
    before = {name: (instance_dir / name).read_bytes() for name in ("db.key", "candour.cfg", "candour.db")}
    result = _invoke(instance_dir, "init")
    assert result.exit_code != 0
    assert "Refusing to overwrite" in result.output
    after = {name: (instance_dir / name).read_bytes() for name in before}
    assert after == before


def test_init_refuses_a_half_made_instance(tmp_path: Path) -> None:
    # A crash after db.key was written but before candour.cfg: a second init must
    # not quietly replace the key.
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "db.key").write_text("ab" * 32)
    result = _invoke(instance, "init")
    assert result.exit_code != 0
    assert "db.key" in result.output
    assert (instance / "db.key").read_text() == "ab" * 32


def test_init_through_the_real_flask_command(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = {**os.environ, "CANDOUR_INSTANCE": str(instance)}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "init"]
    first = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "Created a Candour instance" in first.stdout
    second = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "Refusing to overwrite" in second.stderr


def test_reviewer_commands_need_an_instance(tmp_path: Path) -> None:
    result = _invoke(tmp_path / "nothing-here", "reviewer", "list")
    assert result.exit_code != 0
    assert "flask --app wsgi init" in result.output


def test_reviewer_list_when_empty(instance_dir: Path) -> None:
    result = _invoke(instance_dir, "reviewer", "list")
    assert result.exit_code == 0
    assert "No reviewers yet" in result.output


def test_reviewer_add_list_remove(instance_dir: Path, add_reviewer: Callable[..., Any]) -> None:
    adviser = add_reviewer(instance_dir, "Dana Adviser", "Independent adviser", required=True)
    handler = add_reviewer(instance_dir, "Sam Handler", "Case handler")

    with closing(db.connect(instance_dir)) as conn:
        rows = conn.execute(
            "SELECT key_id, identity, fingerprint, display_name, role, required, active FROM reviewers ORDER BY id"
        ).fetchall()
    assert [tuple(row) for row in rows] == [
        (adviser.key_id.hex(), adviser.to_line(), adviser.fingerprint, "Dana Adviser", "Independent adviser", 1, 1),
        (handler.key_id.hex(), handler.to_line(), handler.fingerprint, "Sam Handler", "Case handler", 0, 1),
    ]

    listing = _invoke(instance_dir, "reviewer", "list").output
    assert "Dana Adviser — Independent adviser  [required]" in listing
    assert adviser.fingerprint in listing and adviser.key_id.hex() in listing
    assert handler.fingerprint in listing

    # Remove by fingerprint, typed carelessly.
    sloppy = "  " + handler.fingerprint.upper().replace(" ", "  ") + " "
    removed = _invoke(instance_dir, "reviewer", "remove", sloppy)
    assert removed.exit_code == 0, removed.output
    assert "Sam Handler" not in _invoke(instance_dir, "reviewer", "list").output
    assert "[removed]" in _invoke(instance_dir, "reviewer", "list", "--all").output

    # Remove by key id; a second removal explains itself.
    assert _invoke(instance_dir, "reviewer", "remove", adviser.key_id.hex()).exit_code == 0
    again = _invoke(instance_dir, "reviewer", "remove", adviser.key_id.hex())
    assert again.exit_code != 0
    assert "already removed" in again.output


def test_reviewer_add_twice_is_refused_then_readd_after_remove(
    instance_dir: Path, add_reviewer: Callable[..., Any]
) -> None:
    public = add_reviewer(instance_dir, "Ali", "Case handler")
    pubfile = instance_dir.parent / "Ali.pub"
    twice = _invoke(instance_dir, "reviewer", "add", str(pubfile), "--name", "Ali", "--role", "Other")
    assert twice.exit_code != 0
    assert "already active" in twice.output
    assert _invoke(instance_dir, "reviewer", "remove", public.key_id.hex()).exit_code == 0
    back = _invoke(instance_dir, "reviewer", "add", str(pubfile), "--name", "Ali B", "--role", "Adviser")
    assert back.exit_code == 0, back.output
    with closing(db.connect(instance_dir)) as conn:
        rows = conn.execute("SELECT display_name, role, active FROM reviewers").fetchall()
    assert [tuple(row) for row in rows] == [("Ali B", "Adviser", 1)]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "hello\n",
        "candour-reviewer-1:not-base64!!\n",
    ],
)
def test_reviewer_add_refuses_a_bad_identity_and_changes_nothing(instance_dir: Path, content: str) -> None:
    pubfile = instance_dir.parent / "bad.pub"
    pubfile.write_text(content)
    result = _invoke(instance_dir, "reviewer", "add", str(pubfile), "--name", "X", "--role", "Y")
    assert result.exit_code != 0
    assert str(pubfile) in result.output
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM reviewers").fetchone()[0] == 0


def test_reviewer_add_refuses_a_tampered_identity(instance_dir: Path) -> None:
    from crypto.identity import generate_reviewer_keys

    line = generate_reviewer_keys("Mallory").public.to_line()
    # Flip one character inside the keys: the self-signature no longer verifies.
    position = len(line) // 2
    flipped = "A" if line[position] != "A" else "B"
    pubfile = instance_dir.parent / "tampered.pub"
    pubfile.write_text(line[:position] + flipped + line[position + 1 :] + "\n")
    result = _invoke(instance_dir, "reviewer", "add", str(pubfile), "--name", "M", "--role", "R")
    assert result.exit_code != 0
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM reviewers").fetchone()[0] == 0


@pytest.mark.parametrize(("name", "role"), [("   ", "Role"), ("Name", ""), ("Bad\x07Name", "Role"), ("N" * 121, "R")])
def test_reviewer_add_refuses_bad_labels(instance_dir: Path, name: str, role: str) -> None:
    from crypto.identity import generate_reviewer_keys

    pubfile = instance_dir.parent / "ok.pub"
    pubfile.write_text(generate_reviewer_keys("Okay").public.to_line())
    result = _invoke(instance_dir, "reviewer", "add", str(pubfile), "--name", name, "--role", role)
    assert result.exit_code != 0
    with closing(db.connect(instance_dir)) as conn:
        assert conn.execute("SELECT count(*) FROM reviewers").fetchone()[0] == 0


def test_reviewer_remove_unknown(instance_dir: Path) -> None:
    result = _invoke(instance_dir, "reviewer", "remove", "0123456789abcdef")
    assert result.exit_code != 0
    assert "reviewer list" in result.output


def test_make_run_listens_on_bind_says_so_and_a_reviewer_added_after_it_is_flagged(tmp_path: Path) -> None:
    from tests.support.live_support import free_port, make_run

    from crypto.identity import generate_reviewer_keys

    port = free_port()
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    with make_run(instance, port, tmp_path / "make-run.log", env) as text:
        assert f"Candour is running on http://127.0.0.1:{port}/" in text
        assert "A DEMO organisation key" in text and "Before real use, replace the demo key" in text
        # A reviewer added the README's way is flagged with the steps, not silently broken.
        pubfile = tmp_path / "late.pub"
        pubfile.write_text(generate_reviewer_keys("Late").public.to_line() + "\n", encoding="utf-8")
        added = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "reviewer", "add", str(pubfile)]
            + ["--name", "Late", "--role", "Adviser"],
            cwd=REPO_ROOT,
            env={**env, "CANDOUR_INSTANCE": str(instance)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert added.returncode == 0, added.stderr
        assert "NOT YET OFFERED TO REPORTERS: Late" in added.stdout and "reviewer load-list" in added.stdout
