"""Shared fixtures. Everything here is real: a real SQLCipher file made by the real
`init` command, a real gunicorn on loopback, Debian's real headless Chromium.

Fixtures:
- instance_dir: a fresh instance folder, made by `flask init`'s own code path
- app / client: the portal on that instance, and Flask's test client
- live_server: gunicorn (config/gunicorn.conf.py) serving that instance on a free
  loopback port; `.url`, `.instance`, `.stderr()` (everything gunicorn wrote)
- chromium / chromium_no_js: headless Chromium via selenium, JavaScript on / off
- add_reviewer(instance_dir, name, role, required=False): runs `reviewer add` with a
  freshly generated key and returns its PublicIdentity
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.chromium_support import make_chromium, missing_dependency  # noqa: F401 - fixtures below use it

from portal import create_app

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def instance_dir(tmp_path: Path) -> Path:
    path = tmp_path / "instance"
    result = create_app(str(path)).test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def app(instance_dir: Path) -> Flask:
    return create_app(str(instance_dir), overrides={"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def add_reviewer() -> Callable[..., Any]:
    """Generate a reviewer key, write its .pub file and add it with the CLI."""

    def add(instance: Path, name: str, role: str, required: bool = False) -> Any:
        from crypto.identity import generate_reviewer_keys

        public = generate_reviewer_keys(name).public
        pubfile = instance.parent / f"{name.replace(' ', '_')}.pub"
        pubfile.write_text(public.to_line() + "\n", encoding="utf-8")
        args = ["reviewer", "add", str(pubfile), "--name", name, "--role", role]
        if required:
            args.append("--required")
        result = create_app(str(instance)).test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
        return public

    return add


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    instance: Path
    stderr_path: Path
    process: subprocess.Popen[bytes]

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def _wait_until_answering(server: LiveServer, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.stderr()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within {deadline_seconds}s:\n{server.stderr()}")


@pytest.fixture
def live_server(instance_dir: Path, tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    stderr_path = tmp_path / "gunicorn.stderr"
    env = {**os.environ, "CANDOUR_INSTANCE": str(instance_dir)}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(REPO_ROOT / "config" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
        )
    server = LiveServer(f"http://127.0.0.1:{port}", instance_dir, stderr_path, process)
    try:
        _wait_until_answering(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _chromium_fixture(tmp_path: Path, javascript: bool) -> Iterator[Any]:
    profile = tmp_path / ("chromium-profile" if javascript else "chromium-profile-nojs")
    profile.mkdir()
    driver = make_chromium(profile, javascript=javascript)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    yield from _chromium_fixture(tmp_path, javascript=True)


@pytest.fixture
def chromium_no_js(tmp_path: Path) -> Iterator[Any]:
    yield from _chromium_fixture(tmp_path, javascript=False)
