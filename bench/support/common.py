"""What every benchmark script shares: the machine description, the load average beside
each figure, goal lines, the reproduce command, JSON output, and a real gunicorn on
loopback with the project's config.

Not a benchmark itself (it lives below bench/, so `make bench` does not run it).
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


# --- machine and load ------------------------------------------------------------------


def load() -> str:
    """The 1/5/15-minute load averages, for printing beside a figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}/{fifteen:.2f}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def _sqlcipher_version() -> str:
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    try:
        cipher = conn.execute("PRAGMA cipher_version").fetchone()[0]
    finally:
        conn.close()
    return f"SQLCipher {cipher} (SQLite {sqlcipher3.sqlite_version})"


def machine() -> dict[str, Any]:
    import nacl

    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "ram_gib": _ram_gib(),
        "python": platform.python_version(),
        "pynacl": f"PyNaCl {nacl.__version__} (bundled libsodium; the binding exposes no version string)",
        "sqlcipher": _sqlcipher_version(),
    }


def print_header(title: str, argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Print what is measured, the machine and the command that reproduces it."""
    info = machine()
    print(f"### {title}")
    print(
        f"machine: nproc {info['nproc']}, CPU {info['cpu']}, {info['ram_gib']} GiB RAM, Python {info['python']}, "
        f"{info['pynacl']}, {info['sqlcipher']}"
    )
    print(f"reproduce: {command(argv)}")
    print(f"start: {load()}")
    return info


def command(argv: Sequence[str] | None = None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    # Benchmarks run as modules from the checkout (`python -m bench.<name>`), so they can
    # import bench.support and tests.support without touching sys.path.
    module = ".".join(Path(sys.argv[0]).resolve().relative_to(ROOT).with_suffix("").parts)
    return shlex.join([".venv/bin/python", "-m", module, *args])


def figure(name: str, value: str) -> str:
    """One printed figure with the load average at the moment it was taken."""
    line = f"{name}: {value}  [{load()}]"
    print(line, flush=True)
    return line


def goal(name: str, met: bool, detail: str) -> dict[str, Any]:
    """Print a goal's verdict; a missed goal is printed, never hidden, and never fails the run."""
    verdict = "goal met" if met else "goal missed"
    print(f"{verdict}: {name} — {detail}  [{load()}]", flush=True)
    return {"goal": name, "met": met, "detail": detail}


def write_result(name: str, result: dict[str, Any]) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"results written to {path.relative_to(ROOT)}")
    return path


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("inf")


# --- memory -----------------------------------------------------------------------------


def proc_status_kib(pid: int, key: str) -> int:
    """A `kB` line of /proc/<pid>/status (VmRSS, VmHWM…)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} for pid {pid}")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds the processes have used so far (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs). False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- instances and gunicorn --------------------------------------------------------------


def make_instance(parent: Path, reviewers: int = 1) -> tuple[Path, list[Any]]:
    """A fresh instance made by `flask init`'s code path, with `reviewers` required reviewers."""
    from tests.support.reporter_support import add_reviewer_with_keys

    from portal import create_app

    instance = parent / "instance"
    result = create_app(str(instance)).test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    keys = [add_reviewer_with_keys(instance, f"Bench Reviewer {n}", "Bench", required=True) for n in range(reviewers)]
    return instance, keys


# Flood control runs in the benchmarks as shipped (every report carries a stamp the
# server verifies and spends; the reporter-thread cap is the shipped one), but the work
# it asks of clients is set aside: the figures are the server's cost, not a client's.
BENCH_FLOOD_SETTINGS = """
# bench: flood control as shipped, except the proof of work asked of clients
POW_BASE_BITS = 0
POW_MAX_BITS = 0
"""


def relax_flood_control(instance: Path) -> None:
    with (instance / "candour.cfg").open("a", encoding="utf-8") as config:
        config.write(BENCH_FLOOD_SETTINGS)


def fetch_stamps(url: str, count: int) -> list[tuple[str, str]]:
    """`count` fresh proof-of-work stamps (challenge, counter), solved like static/js/pow.js."""
    import json
    import urllib.request

    from crypto.identity import unb64url
    from portal.flood import leading_zero_bits, stamp_hash

    stamps = []
    for _ in range(count):
        with urllib.request.urlopen(url + "/report/challenge", timeout=30) as response:  # noqa: S310 - loopback
            answer = json.loads(response.read())
        raw, counter = unb64url(answer["challenge"]), 0
        while leading_zero_bits(stamp_hash(raw, counter)) < int(answer["difficulty"]):
            counter += 1
        stamps.append((answer["challenge"], str(counter)))
    return stamps


def stamp_prefix(boundary: str, stamp: tuple[str, str]) -> bytes:
    """The two stamp fields, which follow the CSRF token in a sealed POST."""
    from portal.flood import CHALLENGE_FIELD, COUNTER_FIELD

    return "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in ((CHALLENGE_FIELD, stamp[0]), (COUNTER_FIELD, stamp[1]))
    ).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    stderr_path: Path
    args: list[str] = field(default_factory=list)

    @property
    def workers(self) -> list[int]:
        from tests.support.reporter_support import worker_pids

        return worker_pids(self.process.pid)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _wait_answering(server: Server, path: str, deadline_seconds: float) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.stderr()}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=5) as response:  # noqa: S310 - loopback
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {deadline_seconds}s:\n{server.stderr()}")


@contextmanager
def gunicorn(
    instance: Path,
    app: str = "wsgi:app",
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
    probe: str = "/",
) -> Iterator[Server]:
    """The project's gunicorn (config/gunicorn.conf.py) on a free loopback port."""
    port = free_port()
    args = ["-c", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}", *extra, app]
    handle, name = tempfile.mkstemp(prefix="candour-bench-gunicorn-", suffix=".log")
    os.close(handle)
    stderr_path = Path(name)
    full_env = {**os.environ, "CANDOUR_INSTANCE": str(instance), **(env or {})}
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", *args],
            cwd=ROOT,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
        )
    server = Server(f"http://127.0.0.1:{port}", port, process, stderr_path, args)
    try:
        _wait_answering(server, probe, 60)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr_path.unlink(missing_ok=True)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
