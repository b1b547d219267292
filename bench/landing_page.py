"""Landing page (`GET /`) against a static file served by the same gunicorn, in one run.

Issue #15 goal 3: at 100 connections the landing page answers ≥ 1,000 requests/s with
p99 ≤ 50 ms, and ≥ 0.5 × the rate of a static file (WhiteNoise, in front of the same
app, same workers) measured alternately in the same run. The static file is the
stylesheet the landing page links to, as a browser would fetch it (Brotli accepted).

The load generator is wrk when it is installed (`apt-get install wrk`; 2 threads, keep-
alive), which reaches well past these rates on 2 cores; without it the figures are not
taken (a Python client on the same 2 cores would measure itself, not the server).

Each target is measured ROUNDS times, alternating, and the median run of each is
reported, so a burst of load from elsewhere on the shared machine hits both alike.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from bench.submission_load import WRK, wrk_ms
from bench.support.common import (
    cpu_seconds,
    figure,
    goal,
    gunicorn,
    make_instance,
    print_header,
    ratio,
    write_result,
)

_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args()


def wrk(url: str, connections: int, seconds: int, headers: list[str]) -> dict[str, float]:
    assert WRK is not None
    args = [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        args += ["-H", header]
    output = subprocess.run(  # noqa: S603
        [*args, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)$", output, re.M)
    return {
        "requests_per_s": float(rate.group(1)) if rate else float("nan"),
        "p50_ms": wrk_ms(output, "50%"),
        "p99_ms": wrk_ms(output, "99%"),
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
        "socket_errors": errors.group(1) if errors else "",
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda run: run["requests_per_s"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["all_rates"] = [run["requests_per_s"] for run in runs]
    chosen["median_cpu_ms"] = statistics.median(run["cpu_ms_per_request"] for run in runs)
    return chosen


def measure(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="candour-bench-landing-") as tmp:
        instance, _keys = make_instance(Path(tmp))
        with gunicorn(instance) as server:
            with urllib.request.urlopen(server.url + "/", timeout=30) as response:  # noqa: S310 - loopback
                page = response.read().decode()
            found = _STYLESHEET.search(page)
            if not found:
                raise RuntimeError("the landing page links no stylesheet to use as the static file")
            targets = {
                "landing": (server.url + "/", ["Accept-Encoding: identity"]),
                "static": (server.url + found.group(1), ["Accept-Encoding: br, gzip"]),
            }
            # Warm-up: templates compiled, connections and page cache warm in every worker.
            for url, headers in targets.values():
                wrk(url, args.connections, 1, headers)
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name, (url, headers) in targets.items():
                    pids = [server.process.pid, *server.workers]
                    before = cpu_seconds(pids)
                    run = wrk(url, args.connections, args.seconds, headers)
                    used = cpu_seconds(pids) - before
                    run["cpu_ms_per_request"] = 1000 * used / max(1.0, run["requests_per_s"] * args.seconds)
                    runs[name].append(run)
            return {name: median_run(found_runs) for name, found_runs in runs.items()}


def main() -> None:
    args = parse_args()
    info = print_header(f"Landing page vs a static file, {args.connections} connections (issue #15 goal 3)")
    if WRK is None:
        print("wrk is not installed (apt-get install wrk): no figures taken")
        write_result("landing_page", {"machine": info, "skipped": "wrk not installed"})
        return
    results = measure(args)
    landing, static = results["landing"], results["static"]
    for name, run in results.items():
        figure(
            f"{name} ({args.connections} connections, median of {args.rounds} × {args.seconds} s)",
            f"{run['requests_per_s']:.0f} req/s, p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, "
            f"server CPU {run['median_cpu_ms']:.2f} ms/request, non-2xx {run['non_2xx']:.0f} "
            f"(runs: {', '.join(f'{r:.0f}' for r in run['all_rates'])})",
        )
    share = ratio(landing["requests_per_s"], static["requests_per_s"])
    figure("landing ÷ static file", f"{share:.2f}")
    goals = [
        goal(
            "landing page ≥ 1,000 req/s at 100 connections",
            landing["requests_per_s"] >= 1000,
            f"{landing['requests_per_s']:.0f} req/s",
        ),
        goal("landing page p99 ≤ 50 ms", landing["p99_ms"] <= 50, f"p99 {landing['p99_ms']:.1f} ms"),
        goal("landing page ≥ 0.5 × a static file, same gunicorn, same run", share >= 0.5, f"ratio {share:.2f}"),
        goal("every landing answer a 2xx", landing["non_2xx"] == 0, f"non-2xx {landing['non_2xx']:.0f}"),
    ]
    write_result("landing_page", {"machine": info, "args": vars(args), "results": results, "goals": goals})


if __name__ == "__main__":
    main()
