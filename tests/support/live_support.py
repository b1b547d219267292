"""Real gunicorn on any instance folder, started in its own process group so a test
can SIGKILL the master and its workers together, and a reporter client that never
asserts (a refused or cut-off submission is an outcome, not a test failure).

Used by the fault-tolerance tests (crash safety, full disk, interrupted uploads,
backups). conftest's live_server serves the common case; these need restarts on
the same instance, several servers, and kills.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.paths import REPO_ROOT
from tests.support.reporter_support import cookie_header, multipart, report_fields, set_cookies, worker_pids

from portal.store.db import connect

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_WORDS = re.compile(r'<ol class="codename">(.*?)</ol>', re.S)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Gunicorn:
    url: str
    port: int
    instance: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def workers(self) -> list[int]:
        return worker_pids(self.process.pid)

    def kill_group(self) -> None:
        """SIGKILL the master and every worker at once (a power cut, the OOM killer)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        _wait_for_workers_gone(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_group()
        # A worker outliving its master would keep serving the old instance state.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_for_workers_gone(pgid: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def start_gunicorn(instance: Path, log_path: Path, *, workers: int | None = None) -> Gunicorn:
    port = free_port()
    env = {**os.environ, "CANDOUR_INSTANCE": str(instance)}
    env.pop("CANDOUR_SESSION_KEY", None)  # each master makes its own, as in production
    command = [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "config" / "gunicorn.conf.py")]
    command += ["--bind", f"127.0.0.1:{port}"]
    if workers is not None:
        command += ["--workers", str(workers)]
    command.append("wsgi:app")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: kill_group() reaches the workers
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", port, instance, log_path, process)
    try:
        wait_until_answering(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_answering(server: Gunicorn, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200 and len(server.workers()) >= 1:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"gunicorn did not answer within {seconds}s:\n{server.log()}")


# --- a reporter that reports what happened instead of asserting ---------------------------------


@dataclass
class Submission:
    status: int | None
    body: str
    error: str | None = None

    @property
    def codename(self) -> str | None:
        """The 8 words, if the codename page was received."""
        if self.status != 200:
            return None
        match = _WORDS.search(self.body)
        if not match:
            return None
        words = re.findall(r"<li>([a-z]+)</li>", match.group(1))
        return " ".join(words) if len(words) == 8 else None


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def get_form(url: str, path: str = "/report", timeout: float = 60) -> tuple[dict[str, str], str]:
    """(cookies, CSRF token) from a form page. Raises OSError/HTTPException/ValueError."""
    conn = _connection(url, timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode()
        cookies = set_cookies(response.headers.get_all("Set-Cookie") or [])
    finally:
        conn.close()
    match = _CSRF.search(body)
    if response.status != 200 or not match:
        raise ValueError(f"GET {path} answered {response.status} without a form")
    return cookies, match.group(1)


def submit_report(
    url: str,
    *,
    what: str,
    files: list[tuple[str, bytes]],
    piece: int = 64 * 1024,
    timeout: float = 120,
    form: tuple[dict[str, str], str] | None = None,
) -> Submission:
    """GET /report, then stream POST /report. Never raises for a server that
    refuses, dies or hangs up: that is what these tests provoke."""
    try:
        cookies, token = form or get_form(url, timeout=timeout)
        body, content_type = multipart(report_fields(token, what=what, files=files))
        conn = _connection(url, timeout)
        try:
            conn.putrequest("POST", "/report")
            conn.putheader("Content-Type", content_type)
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Cookie", cookie_header(cookies))
            conn.endheaders()
            view = memoryview(body)
            for offset in range(0, len(body), piece):
                conn.send(view[offset : offset + piece])
            response = conn.getresponse()
            return Submission(response.status, response.read().decode())
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Submission(None, "", f"{type(exc).__name__}: {exc}")


# --- looking at the instance ---------------------------------------------------------------------


def db_rows(instance: Path) -> dict[str, int]:
    with closing(connect(instance)) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            for table in ("cases", "submissions", "parts", "case_reviewers", "status_events")
        }


def integrity(instance: Path) -> str:
    with closing(connect(instance)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def committed_blobs(instance: Path) -> list[str]:
    root = instance / "blobs"
    return sorted(p.name for p in root.glob("??/*") if p.is_file())


def temp_files(instance: Path) -> list[str]:
    tmp = instance / "blobs" / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.is_dir() else []


def referenced_blobs(instance: Path) -> set[str]:
    from portal.store.recovery import referenced_blobs as referenced

    with closing(connect(instance)) as conn:
        return referenced(conn)


def wait_for(condition: Any, seconds: float = 10, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


@contextmanager
def make_run(instance: Path, port: int, log: Path, env: dict[str, str]) -> Iterator[str]:
    """`make run INSTANCE=… BIND=127.0.0.1:port` as the README gives it, until it says it
    is running; yields what it printed so far. Stopped (its whole process group) on exit."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [shutil.which("make") or "make", "--no-print-directory", "run", f"INSTANCE={instance}"]
            + [f"BIND=127.0.0.1:{port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while "Candour is running on" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)
        yield log.read_text(errors="replace")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
