"""No-JavaScript reports under load: reports/s, p99 and refusals at 50 clients, as a
ratio against `GET /` measured in the same run.

    .venv/bin/python bench/nojs_reports.py [--clients 50] [--reports 300] [--gunicorn-arg=...]

Each client is a reporter with JavaScript off: it gets its own CSRF token and session
cookie with `GET /report` (not timed), then sends its share of the reports one after
another, each on a new connection: the form's fields in the order the page sends them,
~3 KB of text, no attachment. The server seals each one as it arrives and derives the
new codename's keys (Argon2id, 64 MiB) before it answers with the codename page. A
report counts as stored only if the answer is 200 with the codename on it; anything
else (503 "busy", a cut connection) is a refusal. The portal runs with its limits as
shipped: flood control is not relaxed here (the no-JS path has no proof of work).

The server is the real gunicorn with config/gunicorn.conf.py (2 workers × 104 threads
unless `--gunicorn-arg` overrides) on a fresh instance with 3 required reviewers.
Baseline in the same run: `GET /` (the landing page) from the same number of clients
for the same number of requests, so the ratio shows what a no-JS report costs over
the cheapest page. Goals (issue #15): ≥ 120 reports/s with p99 ≤ 500 ms at 50
clients, and no refusal while fewer than 50 reports are in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.support.common import (
    cpu_seconds,
    figure,
    goal,
    gunicorn,
    load,
    make_instance,
    percentile,
    print_header,
    write_result,
)
from bench.support.httpclient import csrf_session, multipart_body

GOAL_CLIENTS = 50
GOAL_RATE = 120.0
GOAL_P99_MS = 500.0
TEXT = "The branch secretary shouted at me again in front of the members. " * 45  # ~3 KB
CODENAME = b'<ol class="codename">'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=GOAL_CLIENTS)
    parser.add_argument("--reports", type=int, default=300, help="reports in all (at least 2 per client)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before the run is cut off")
    parser.add_argument(
        "--gunicorn-arg", action="append", default=[], help="extra gunicorn argument, e.g. --gunicorn-arg=--threads=16"
    )
    return parser.parse_args()


def report_body(token: str) -> tuple[bytes, str]:
    return multipart_body(
        [
            ("csrf_token", token),
            ("category", "bullying"),
            ("what", TEXT),
            ("when", "Last spring"),
            ("where", "Regional office"),
            ("who", "The branch secretary"),
            ("outcome", "An investigation"),
            ("website", ""),
            ("attachments", ("", b"", "application/octet-stream")),
        ]
    )


async def exchange(port: int, request: bytes) -> tuple[int, bool, float]:
    """Send one request on a new connection; (status, codename shown, seconds)."""
    start = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return 0, False, time.perf_counter() - start
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = await reader.readexactly(length)
        status = int(status_line.split()[1])
    except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
        return 0, False, time.perf_counter() - start
    finally:
        writer.close()
    return status, CODENAME in body, time.perf_counter() - start


def report_request(port: int, token: str, cookie: str) -> bytes:
    body, content_type = report_body(token)
    head = (
        f"POST /report HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body


def landing_request(port: int) -> bytes:
    return f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()


async def run(port: int, requests: list[list[bytes]], timeout: float) -> tuple[list[tuple[int, bool, float]], float]:
    results: list[tuple[int, bool, float]] = []

    async def client(share: list[bytes]) -> None:
        for request in share:
            results.append(await exchange(port, request))

    start = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(client(share) for share in requests)), timeout)
    except TimeoutError:
        pass
    return results, time.perf_counter() - start


def measure(name: str, port: int, workers: list[int], requests: list[list[bytes]], timeout: float) -> dict[str, float]:
    cpu_before = cpu_seconds(workers)
    results, seconds = asyncio.run(run(port, requests, timeout))
    cpu = cpu_seconds(workers) - cpu_before
    sent = sum(len(share) for share in requests)
    ok = [latency for status, _shown, latency in results if status == 200]
    return {
        "name": name,
        "sent": sent,
        "answered": len(results),
        "ok": len(ok),
        "seconds": seconds,
        "per_s": len(ok) / seconds,
        "p50_ms": percentile(ok, 0.50) * 1000,
        "p99_ms": percentile(ok, 0.99) * 1000,
        "max_ms": max(ok) * 1000 if ok else float("nan"),
        "server_cpu_ms_each": cpu / max(len(results), 1) * 1000,
        "codenames": sum(1 for status, shown, _latency in results if status == 200 and shown),
        # Status of every answer without a codename (0: the connection failed or was cut).
        "refusals": dict(Counter(status for status, shown, _latency in results if not shown)),
    }


def main() -> None:
    args = parse_args()
    info = print_header("No-JavaScript reports under concurrent load")
    clients = args.clients
    per_client = max(2, -(-args.reports // clients))
    with tempfile.TemporaryDirectory(prefix="candour-bench-nojs-") as tmp:
        instance, _keys = make_instance(Path(tmp), reviewers=3)
        with gunicorn(instance, extra=args.gunicorn_arg) as server:
            print(f"gunicorn: {' '.join(server.args)} ({len(server.workers)} workers)  [{load()}]")
            sessions = []
            for _ in range(clients):
                token, cookies = csrf_session(server.url)
                sessions.append((token, "; ".join(f"{k}={v}" for k, v in cookies.items())))
            reports = [[report_request(server.port, token, cookie)] * per_client for token, cookie in sessions]
            landing = [[landing_request(server.port)] * per_client for _ in range(clients)]
            base = measure("GET /", server.port, server.workers, landing, args.timeout)
            row = measure("POST /report", server.port, server.workers, reports, args.timeout)
            errors = [line for line in server.stderr().splitlines() if "Traceback" in line or "WORKER TIMEOUT" in line]
    refused = row["sent"] - row["codenames"]
    ratio = row["per_s"] / base["per_s"] if base["per_s"] else float("nan")
    figure(
        f"GET / ({clients} clients)",
        f"{base['per_s']:.0f} req/s, p50 {base['p50_ms']:.0f} ms, p99 {base['p99_ms']:.0f} ms, "
        f"server CPU {base['server_cpu_ms_each']:.1f} ms/request  [{load()}]",
    )
    figure(
        f"no-JS reports ({clients} clients)",
        f"{row['per_s']:.1f} reports/s, p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms, "
        f"max {row['max_ms']:.0f} ms; {row['codenames']} of {row['sent']} given a codename, {refused} refused "
        f"{row['refusals'] or ''}; "
        f"server CPU {row['server_cpu_ms_each']:.1f} ms/report  [{load()}]",
    )
    figure(
        "ratio",
        f"reports/s ÷ GET / req/s = {ratio:.3f}; CPU per report ÷ per GET / = "
        f"{row['server_cpu_ms_each'] / max(base['server_cpu_ms_each'], 1e-9):.1f}",
    )
    print(f"server error lines: {len(errors)}")
    verdicts = [
        goal(
            f"≥ {GOAL_RATE:.0f} reports/s with p99 ≤ {GOAL_P99_MS:.0f} ms at {GOAL_CLIENTS} clients",
            clients == GOAL_CLIENTS and row["per_s"] >= GOAL_RATE and row["p99_ms"] <= GOAL_P99_MS,
            f"{row['per_s']:.1f} reports/s, p99 {row['p99_ms']:.0f} ms at {clients} clients",
        ),
        goal(
            f"no refusal with {clients} reports in flight",
            refused == 0,
            f"{refused} of {row['sent']} refused",
        ),
    ]
    write_result(
        "nojs_reports",
        {
            "machine": info,
            "gunicorn_args": args.gunicorn_arg,
            "landing": base,
            "reports": row,
            "ratio": ratio,
            "goals": verdicts,
        },
    )


if __name__ == "__main__":
    main()
