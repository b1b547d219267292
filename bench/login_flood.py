"""A flood of codename logins without JavaScript, and the landing page during it.

    .venv/bin/python -m bench.login_flood [--clients 200] [--logins 2] [--max-waiting 2|none]

The real gunicorn with config/gunicorn.conf.py (2 workers × 104 threads) on an
instance holding one case from before codename version 2 (`--fresh`: none; then a
wrong codename costs no Argon2id and nothing waits for it). `--clients` clients
each first get a CSRF token and session cookie with `GET /followup` (not timed),
then all send `POST /followup` with a valid-looking but unknown codename (8 words
from the real word list), `--logins` times each, on new connections, from one
asyncio loop. With the version 1 case, every login costs the server one Argon2id
derivation (64 MiB) unless it is refused as busy. Meanwhile wrk (2 threads,
10 connections) loads `GET /` for the whole flood.

Baseline in the same run: the same wrk against `GET /` before the flood, and one
login on an idle server.

Goals: the workers' memory stays within ARGON2_CONCURRENCY × 64 MiB per worker over
their idle RSS plus a fixed base of 32 MiB per worker (VmRSS of every worker sampled
every 20 ms); the refused logins are answered 503 within 100 ms (p99); the landing
page's p99 stays ≤ 300 ms during the flood. `--max-waiting none` writes
ARGON2_MAX_WAITING = None into the instance (unbounded queue, the behaviour before
the bounded queue existed) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.submission_load import WRK, wrk_ms
from bench.support.common import (
    figure,
    goal,
    gunicorn,
    load,
    make_instance,
    percentile,
    print_header,
    proc_status_kib,
    write_result,
)
from bench.support.httpclient import csrf_session, post_form

from crypto.codename import generate_codename
from portal import create_app

ARGON2_MIB = 64
BASE_MIB_PER_WORKER = 32
REFUSAL_GOAL_MS = 100.0
LANDING_GOAL_MS = 300.0  # issue #15 goal 4 (was 500 ms for issue #6)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--logins", type=int, default=2, help="logins per client")
    parser.add_argument("--max-waiting", default="default", help="ARGON2_MAX_WAITING for the instance, or 'none'")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before the flood is cut off")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="no version 1 case: a fresh instance, where a wrong codename costs no Argon2id at all",
    )
    return parser.parse_args()


class RssSampler:
    """Samples the summed VmRSS of `pids` every 20 ms (bounded) until stopped."""

    def __init__(self, pids: list[int], limit: int = 50_000) -> None:
        self.pids, self.limit = pids, limit
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for _ in range(self.limit):
            self.peak_kib = max(self.peak_kib, sum(proc_status_kib(pid, "VmRSS") for pid in self.pids))
            if self._stop.wait(0.02):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


async def login(port: int, cookie: str, body: bytes) -> tuple[int, float]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                f"POST /followup HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # Connection: close: the body ends with the connection
    finally:
        writer.close()
    return int(status_line.split()[1]), time.perf_counter() - start


async def flood(port: int, sessions: list[tuple[str, str]], logins: int, timeout: float) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = []

    async def client(token: str, cookie: str) -> None:
        for _ in range(logins):
            body = urlencode({"csrf_token": token, "codename": generate_codename()}).encode()
            results.append(await login(port, cookie, body))

    await asyncio.wait_for(asyncio.gather(*(client(t, c) for t, c in sessions)), timeout)
    return results


def wrk_start(url: str, seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603
        [WRK or "wrk", "-t2", "-c10", f"-d{seconds}s", "--latency", "--timeout", "10s", url + "/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wrk_result(process: subprocess.Popen[str]) -> dict[str, float]:
    output, _ = process.communicate(timeout=120)

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "requests_per_s": float(rate.group(1)) if rate else float("nan"),
        "p50_ms": wrk_ms(output, "50%"),
        "p99_ms": wrk_ms(output, "99%"),
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def sessions_for(url: str, count: int) -> list[tuple[str, str]]:
    sessions = []
    for _ in range(count):
        token, cookies = csrf_session(url, "/followup")
        sessions.append((token, "; ".join(f"{k}={v}" for k, v in cookies.items())))
    return sessions


def configure(instance: Path, max_waiting: str) -> str:
    if max_waiting == "default":
        return "default (config/defaults.py)"
    value = "None" if max_waiting == "none" else str(int(max_waiting))
    with (instance / "candour.cfg").open("a") as cfg:
        cfg.write(f"\nARGON2_MAX_WAITING = {value}\n")
    return value


def add_version_1_case(instance: Path, recipients: list[Any]) -> None:
    """One case from before codename derivation version 2: while one exists, a codename
    that matches no version 2 case is also tried with Argon2id (docs/format.md §6), so
    every login of the flood costs a 64 MiB derivation unless it is refused."""
    from tests.support.workspace_support import file_case

    file_case(instance, create_app(str(instance)), recipients, codename_version=1)


@dataclass
class FloodRun:
    """What one flood measured."""

    setting: str
    results: list[tuple[int, float]]
    seconds: float
    idle_login_s: float
    idle_rss_kib: list[int]
    peak_kib: int
    concurrency: int
    landing_before: dict[str, float]
    landing_during: dict[str, float]


def run_flood(args: argparse.Namespace) -> FloodRun:
    with tempfile.TemporaryDirectory(prefix="candour-bench-flood-") as tmp:
        instance, keys = make_instance(Path(tmp), reviewers=1)
        if not args.fresh:
            add_version_1_case(instance, [key.public for key in keys])
        setting = configure(instance, args.max_waiting)
        concurrency = int(create_app(str(instance)).config["ARGON2_CONCURRENCY"])
        print(
            f"ARGON2_MAX_WAITING: {setting}; ARGON2_CONCURRENCY: {concurrency}; "
            + ("a fresh instance (no version 1 case)" if args.fresh else "one version 1 case stored")
        )
        with gunicorn(instance) as server:
            workers = server.workers
            print(f"gunicorn: {' '.join(server.args)} ({len(workers)} workers)")
            token, cookies = csrf_session(server.url, "/followup")
            for _ in range(2):  # warm-up; the second login is the idle baseline
                idle = post_form(
                    server.url, "/followup", {"csrf_token": token, "codename": generate_codename()}, cookies
                )
            idle_rss = [proc_status_kib(pid, "VmRSS") for pid in workers]
            landing_before = wrk_result(wrk_start(server.url, 5)) if WRK else {}
            sessions = sessions_for(server.url, args.clients)
            wrk = wrk_start(server.url, 6) if WRK else None
            time.sleep(0.5)
            start = time.perf_counter()
            with RssSampler(workers) as sampler:
                results = asyncio.run(flood(server.port, sessions, args.logins, args.timeout))
            seconds = time.perf_counter() - start
            landing_during = wrk_result(wrk) if wrk else {}
    return FloodRun(
        setting, results, seconds, idle.seconds, idle_rss, sampler.peak_kib, concurrency, landing_before, landing_during
    )


def main() -> None:
    args = parse_args()
    info = print_header(f"{args.clients} concurrent codename logins without JavaScript (×{args.logins} each)")
    if WRK is None:
        print("wrk is not installed: the landing-page figures are skipped")
    report(args, info, run_flood(args))


def report(args: argparse.Namespace, info: dict[str, object], run: FloodRun) -> None:
    results, workers = run.results, run.idle_rss_kib
    landing_before, landing_during = run.landing_before, run.landing_during
    refused = [latency * 1000 for status, latency in results if status == 503]
    derived = [latency * 1000 for status, latency in results if status == 400]
    other = [status for status, _ in results if status not in (400, 503)]
    concurrency = run.concurrency
    budget_mib = concurrency * ARGON2_MIB * len(workers) + BASE_MIB_PER_WORKER * len(workers)
    growth_mib = (run.peak_kib - sum(workers)) / 1024
    figure("idle login (baseline)", f"{run.idle_login_s * 1000:.0f} ms")
    figure(
        "flood",
        f"{len(results)} logins in {run.seconds:.1f} s: {len(derived)} derived (400 unknown codename), "
        f"{len(refused)} refused (503), {len(other)} other {sorted(set(other))}",
    )
    if derived:
        figure(
            "derived logins",
            f"p50 {percentile(derived, 0.5):.0f} ms, p99 {percentile(derived, 0.99):.0f} ms, max {max(derived):.0f} ms",
        )
    if refused:
        figure(
            "refused logins (503)",
            f"p50 {percentile(refused, 0.5):.0f} ms, p99 {percentile(refused, 0.99):.0f} ms, max {max(refused):.0f} ms",
        )
    figure(
        "worker memory",
        f"idle RSS {sum(workers) / 1024:.0f} MiB over {len(workers)} workers, peak {run.peak_kib / 1024:.0f} MiB "
        f"(+{growth_mib:.0f} MiB); budget +{budget_mib} MiB ({concurrency} × {ARGON2_MIB} MiB × {len(workers)} "
        f"workers + {BASE_MIB_PER_WORKER} MiB × {len(workers)})",
    )
    if landing_before:
        figure(
            "GET / with wrk",
            f"before the flood {landing_before['requests_per_s']:.0f} req/s p99 {landing_before['p99_ms']:.0f} ms; "
            f"during {landing_during['requests_per_s']:.0f} req/s p99 {landing_during['p99_ms']:.0f} ms "
            f"(non-2xx {landing_during['non_2xx']:.0f}); p99 ratio during/before "
            f"{landing_during['p99_ms'] / landing_before['p99_ms']:.2f}",
        )
    refused_p99 = percentile(refused, 0.99) if refused else float("nan")
    verdicts = [
        goal(
            "worker memory within the Argon2 budget", growth_mib <= budget_mib, f"+{growth_mib:.0f} of {budget_mib} MiB"
        ),
        goal(
            f"excess logins refused (503) within {REFUSAL_GOAL_MS:.0f} ms (p99)",
            bool(refused) and refused_p99 <= REFUSAL_GOAL_MS,
            f"{len(refused)} refused, p99 {refused_p99:.0f} ms"
            + ("" if refused else f"; none refused: derived logins waited up to {max(derived, default=0):.0f} ms"),
        ),
    ]
    if landing_during:
        verdicts.append(
            goal(
                f"landing page p99 ≤ {LANDING_GOAL_MS:.0f} ms during the flood",
                landing_during["p99_ms"] <= LANDING_GOAL_MS,
                f"p99 {landing_during['p99_ms']:.0f} ms",
            )
        )
    write_result(
        "login_flood" if args.max_waiting == "default" else f"login_flood_max_waiting_{args.max_waiting}",
        {
            "machine": info,
            "max_waiting": run.setting,
            "logins": len(results),
            "derived": len(derived),
            "refused": len(refused),
            "refused_p99_ms": refused_p99,
            "derived_p99_ms": percentile(derived, 0.99) if derived else None,
            "memory_growth_mib": growth_mib,
            "memory_budget_mib": budget_mib,
            "landing_before": landing_before,
            "landing_during": landing_during,
            "load_at_end": load(),
            "goals": verdicts,
        },
    )


if __name__ == "__main__":
    main()
