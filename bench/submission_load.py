"""Browser-sealed reports under load: reports/s and latency at 10, 50, 100, 200 clients.

    .venv/bin/python -m bench.submission_load [--clients 10,50,100,200] [--requests 600] [--gunicorn-arg=...]

What the browser does is done here in Python, before the clock starts: for every
report a random reporter key pair (the browser derives it from the codename; the server
only ever sees the public values), part 0 built, signed and sealed with
`crypto.submission.seal_submission_text_part` to the instance's reviewers (a few KiB of
text, padded to 16 KiB), and the multipart body of `POST /report/sealed`
(portal/intake/browser_sealed.py): csrf_token, login_token, reply_key, sign_key, part0.
Every client first gets its own CSRF token and session cookie with `GET /report` (not
timed), then sends its share of the reports one after another, each on a new
connection (every report comes from a different reporter), from one asyncio loop of
raw sockets.

The server is the real gunicorn with config/gunicorn.conf.py (2 workers × 104 threads
unless `--gunicorn-arg` overrides) on a fresh instance with 3 required reviewers, its
SQLCipher file and blob store on this machine's disk. Each level sends
`max(--requests, 3 × clients)` reports. Latency is from connect to the last byte of
the answer. Goal: ≥ 300 reports/s with p99 ≤ 250 ms at 100 clients on 2 cores.
Baseline (same run, same server): `GET /` (the landing page, one database read) at the
same concurrency with wrk, so the ratio shows what storing a report costs over the
cheapest request the portal answers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.support.common import (
    cpu_seconds,
    fetch_stamps,
    figure,
    goal,
    gunicorn,
    load,
    make_instance,
    percentile,
    print_header,
    relax_flood_control,
    stamp_prefix,
    write_result,
)
from bench.support.httpclient import csrf_session, multipart_body

from crypto.codename import ReporterKeys
from crypto.envelope import new_submission_id
from crypto.identity import PublicIdentity, b64url
from crypto.submission import seal_submission_text_part
from portal.store.db import today

GOAL_CLIENTS = 100
GOAL_RATE = 300.0
GOAL_P99_MS = 250.0
WRK = shutil.which("wrk")
WRK_SECONDS = 5
TEXT = "The branch secretary shouted at me again in front of the members. " * 40  # ~2.7 KB


@dataclass(frozen=True)
class Prepared:
    """One sealed report's body, everything after the CSRF field."""

    rest: bytes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="10,50,100,200")
    parser.add_argument("--requests", type=int, default=600, help="reports per level (at least 3 per client)")
    parser.add_argument("--level-timeout", type=float, default=180, help="seconds before a level is cut off")
    parser.add_argument(
        "--gunicorn-arg", action="append", default=[], help="extra gunicorn argument, e.g. --gunicorn-arg=--threads=16"
    )
    return parser.parse_args()


def prepare(recipients: list[PublicIdentity], day: str) -> Prepared:
    reporter = ReporterKeys(os.urandom(32), os.urandom(32), os.urandom(32))
    submission_id = new_submission_id()
    fields = {"category": "bullying", "what": TEXT, "when": "Last spring", "where": "Regional office"}
    from io import BytesIO

    part0 = BytesIO()
    seal_submission_text_part(part0, recipients, submission_id, "report", None, day, reporter, fields, [])
    body, _content_type = multipart_body(
        [
            ("login_token", b64url(reporter.login_token)),
            ("reply_key", b64url(reporter.reply_public_key)),
            ("sign_key", b64url(reporter.sign_public_key)),
            ("part0", ("part0.cnd", part0.getvalue(), "application/octet-stream")),
        ]
    )
    return Prepared(body)


def csrf_prefix(token: str) -> bytes:
    _body, content_type = multipart_body([("csrf_token", token)])
    boundary = content_type.split("boundary=", 1)[1]
    return f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode()


async def post_once(port: int, head: bytes, body: bytes) -> tuple[int, float]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + body)
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        await reader.readexactly(length)
    finally:
        writer.close()
    return int(status_line.split()[1]), time.perf_counter() - start


def request_head(port: int, cookie: str, length: int, content_type: str) -> bytes:
    return (
        f"POST /report/sealed HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    ).encode()


async def client(
    port: int, session: tuple[str, str], bodies: list[tuple[Prepared, bytes]], results: list[tuple[int, float]]
) -> None:
    token, cookie = session
    prefix = csrf_prefix(token)
    _body, content_type = multipart_body([])
    for prepared, stamp in bodies:
        body = prefix + stamp + prepared.rest
        results.append(await post_once(port, request_head(port, cookie, len(body), content_type), body))


async def run_level(
    port: int, sessions: list[tuple[str, str]], bodies: list[tuple[Prepared, bytes]], timeout: float
) -> tuple:
    shares = [bodies[i :: len(sessions)] for i in range(len(sessions))]
    results: list[tuple[int, float]] = []
    start = time.perf_counter()
    tasks = [client(port, session, share, results) for session, share in zip(sessions, shares, strict=True)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout)
        cut_off = False
    except TimeoutError:
        cut_off = True
    return results, time.perf_counter() - start, cut_off


def wrk_landing(url: str, clients: int) -> dict[str, float]:
    """Baseline: wrk against GET / at the same concurrency (2 threads)."""
    if WRK is None:
        return {}
    output = subprocess.run(  # noqa: S603
        [WRK, "-t2", f"-c{clients}", f"-d{WRK_SECONDS}s", "--latency", "--timeout", "10s", url + "/"],
        capture_output=True,
        text=True,
        check=True,
        timeout=WRK_SECONDS + 30,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return {"requests_per_s": rate, "p99_ms": wrk_ms(output, "99%"), "p50_ms": wrk_ms(output, "50%")}


def wrk_ms(output: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def sessions_for(url: str, count: int) -> list[tuple[str, str]]:
    sessions = []
    for _ in range(count):
        token, cookies = csrf_session(url)
        sessions.append((token, "; ".join(f"{k}={v}" for k, v in cookies.items())))
    return sessions


def measure_level(
    url: str, port: int, workers: list[int], clients: int, prepared: list[Prepared], timeout: float
) -> dict[str, float]:
    sessions = sessions_for(url, clients)
    # Stamps are fetched before the clock starts: one fresh, single-use stamp per report.
    boundary = multipart_body([])[1].split("boundary=", 1)[1]
    stamps = fetch_stamps(url, len(prepared))
    bodies = [(body, stamp_prefix(boundary, stamp)) for body, stamp in zip(prepared, stamps, strict=True)]
    cpu_before = cpu_seconds(workers)
    client_cpu_before = time.process_time()
    results, seconds, cut_off = asyncio.run(run_level(port, sessions, bodies, timeout))
    client_cpu = time.process_time() - client_cpu_before
    server_cpu = cpu_seconds(workers) - cpu_before
    ok = [latency for status, latency in results if status == 200]
    failed = len(results) - len(ok)
    rate = len(ok) / seconds
    row = {
        "clients": clients,
        "sent": len(results),
        "ok": len(ok),
        "failed": failed,
        "cut_off": cut_off,
        "seconds": seconds,
        "reports_per_s": rate,
        "p50_ms": percentile(ok, 0.50) * 1000,
        "p99_ms": percentile(ok, 0.99) * 1000,
        "max_ms": max(ok) * 1000 if ok else float("nan"),
        "server_cpu_ms_per_report": server_cpu / max(len(results), 1) * 1000,
        # The load generator shares the two cores with the server: what it takes is
        # CPU the server does not get.
        "client_cpu_ms_per_report": client_cpu / max(len(results), 1) * 1000,
    }
    cpu_before = cpu_seconds(workers)
    base = wrk_landing(url, clients)
    base_cpu = cpu_seconds(workers) - cpu_before
    if base:
        base["cpu_ms_per_request"] = base_cpu / (base["requests_per_s"] * WRK_SECONDS) * 1000
    row.update({f"landing_{key}": value for key, value in base.items()})
    ratio = f", ratio to GET / {rate / base['requests_per_s']:.3f}" if base else ""
    figure(
        f"{clients:>3} clients",
        f"{rate:.0f} reports/s, p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms, max {row['max_ms']:.0f} ms "
        f"({len(ok)} stored, {failed} failed{', CUT OFF' if cut_off else ''}), server CPU "
        f"{row['server_cpu_ms_per_report']:.1f} ms/report (load generator {row['client_cpu_ms_per_report']:.1f} ms)"
        "; baseline GET / "
        f"{base.get('requests_per_s', float('nan')):.0f} req/s p99 {base.get('p99_ms', float('nan')):.0f} ms, "
        f"server CPU {base.get('cpu_ms_per_request', 0):.1f} ms/request{ratio}",
    )
    return row


def main() -> None:
    args = parse_args()
    levels = [int(level) for level in args.clients.split(",")]
    info = print_header("Browser-sealed report submissions under concurrent load")
    day = today()
    rows = []
    with tempfile.TemporaryDirectory(prefix="candour-bench-load-") as tmp:
        instance, keys = make_instance(Path(tmp), reviewers=3)
        relax_flood_control(instance)
        recipients = [k.public for k in keys]
        started = time.perf_counter()
        prepared = {level: [prepare(recipients, day) for _ in range(max(args.requests, 3 * level))] for level in levels}
        total = sum(len(batch) for batch in prepared.values())
        print(f"setup (not measured): {total} reports sealed in {time.perf_counter() - started:.1f} s  [{load()}]")
        with gunicorn(instance, extra=args.gunicorn_arg) as server:
            print(f"gunicorn: {' '.join(server.args)} ({len(server.workers)} workers)")
            for level in levels:
                rows.append(
                    measure_level(server.url, server.port, server.workers, level, prepared[level], args.level_timeout)
                )
            errors = [line for line in server.stderr().splitlines() if "Traceback" in line or "Error" in line]
            errors += [line for line in server.stderr().splitlines() if "locked" in line or "WORKER TIMEOUT" in line]
        stored = sum(1 for _ in (instance / "blobs").rglob("*") if _.is_file() and _.parent.name != "tmp")
    print(f"blobs stored: {stored}; server error lines: {len(errors)}")
    for line in errors[:5]:
        print(f"  server: {line[:200]}")
    at_goal = next((row for row in rows if row["clients"] == GOAL_CLIENTS), None)
    if at_goal is None:
        verdict = goal("≥ 300 reports/s, p99 ≤ 250 ms at 100 clients", False, "100 clients was not measured")
    else:
        met = at_goal["reports_per_s"] >= GOAL_RATE and at_goal["p99_ms"] <= GOAL_P99_MS and not at_goal["failed"]
        verdict = goal(
            f"≥ {GOAL_RATE:.0f} reports/s with p99 ≤ {GOAL_P99_MS:.0f} ms at {GOAL_CLIENTS} clients",
            met,
            f"{at_goal['reports_per_s']:.0f} reports/s, p99 {at_goal['p99_ms']:.0f} ms, {at_goal['failed']} failed",
        )
    write_result(
        "submission_load",
        {"machine": info, "gunicorn_args": args.gunicorn_arg, "levels": rows, "goal": verdict},
    )


if __name__ == "__main__":
    main()
