"""How costs grow with the number of stored cases: 1,000, 10,000, 100,000.

    .venv/bin/python -m bench.growth [--scales 1000,10000,100000] [--measured 100]

One instance (3 reviewers) grows through the scales. At each scale:

1. Population (NOT measured): cases are bulk-inserted straight into the SQLCipher
   file (portal.store.db.connect, 5,000 cases per transaction), each with the rows a
   real report leaves: the case, its 3 recipients, the report submission, part 0
   (16,565 bytes, the size of a padded short report) and the first status event, so
   every trigger (integrity, change counters, the queue's deadline state and its
   per-reviewer copy) runs as it does for a real report. To
   keep population fast the part rows name a pool of 256 real sealed blobs instead of
   one file each; the measured steps below use their own, real blobs.
2. Submission latency (measured): `--measured` browser-sealed reports (the cheaper
   path to drive: no Argon2id) POSTed one after another to the real gunicorn
   (config/gunicorn.conf.py) on loopback, each with its own session; p50/p99.
3. Export (measured): the first reviewer's incremental export ("changed since my
   last export", the mark set just before step 2), i.e. exactly those `--measured`
   cases: `plan_export` + the streamed bundle, in-process, to /dev/null.
4. Database size: candour.db + its WAL.
5. For information: the reviewer's queue listing (`list_queue`, what /review shows),
   which reads every case of the reviewer (several queries per case), so it grows
   linearly; measured up to `--queue-max` cases only (at 100,000 it takes minutes).
6. The reviewer queue page itself (`list_queue_page`, page 1 of /review: totals and
   one page of cases), median of 5, at every scale. Goal (issue #15): ≤ 100 ms at the
   largest scale.

Baseline: the same steps at the smallest scale. Each step's ratio to it is printed;
none should grow with the total (they touch a fixed number of cases), and the
database should grow linearly. Goal: no measured step worse than linear in the cases
it touches: submission and export may grow at most like a B-tree lookup, i.e. by
max(2, log2(total growth)) from the smallest scale (×6.6 for ×100 cases).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from contextlib import closing
from pathlib import Path

from bench.submission_load import csrf_prefix, prepare
from bench.support.common import (
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

from crypto.envelope import new_submission_id
from crypto.identity import PublicIdentity
from portal import create_app
from portal.reviewer.export import MODE_CHANGED, current_counter, plan_export, stream_bundle
from portal.reviewer.queue import list_queue, list_queue_page
from portal.store.blobs import BlobWriter
from portal.store.db import connect, today, transaction

BATCH = 5_000
BLOB_POOL = 256
SEALED_PART0 = 16_565
LINEAR_SLACK = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1000,10000,100000")
    parser.add_argument("--measured", type=int, default=100)
    parser.add_argument(
        "--queue-max", type=int, default=10_000, help="measure the queue listing only up to this many cases"
    )
    return parser.parse_args()


def blob_pool(instance: Path, recipients: list[PublicIdentity]) -> list[str]:
    """BLOB_POOL real blobs (a sealed short report each) for the bulk rows to name."""
    names = []
    for _ in range(BLOB_POOL):
        body = prepare(recipients, today()).rest
        with BlobWriter(instance) as writer:
            writer.write(body[:SEALED_PART0])
            names.append(writer.commit())
    return names


def populate(instance: Path, count: int, reviewer_ids: list[int], blobs: list[str]) -> None:
    """Bulk-insert `count` cases with the rows a report leaves (not measured)."""
    day = today()
    with closing(connect(instance)) as conn:
        for first in range(0, count, BATCH):
            with transaction(conn):
                for number in range(first, min(first + BATCH, count)):
                    insert_case(conn, day, reviewer_ids, blobs[number % len(blobs)])


def insert_case(conn: object, day: str, reviewer_ids: list[int], blob: str) -> None:
    case_id = new_submission_id().hex()
    execute = conn.execute  # type: ignore[attr-defined]
    execute(
        "INSERT INTO cases (id, created_day, status, outcome, sealed_on, login_hash, reporter_reply_key,"
        " reporter_sign_key, acknowledge_by, feedback_by) VALUES (?, ?, 'new', NULL, 'browser', ?, ?, ?, ?, ?)",
        (case_id, day, os.urandom(32), os.urandom(32), os.urandom(32), day, day),
    )
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO case_reviewers (case_id, reviewer_id) VALUES (?, ?)", [(case_id, r) for r in reviewer_ids]
    )
    execute(
        "INSERT INTO submissions (id, case_id, kind, day, sealed_on, part_count)"
        " VALUES (?, ?, 'report', ?, 'browser', 1)",
        (case_id, case_id, day),
    )
    execute(
        "INSERT INTO parts (submission_id, part_index, blob, sealed_size, header_hash) VALUES (?, 0, ?, ?, ?)",
        (case_id, blob, SEALED_PART0, os.urandom(32)),
    )
    execute("INSERT INTO status_events (case_id, day, status) VALUES (?, ?, 'new')", (case_id, day))


def set_export_mark(instance: Path, reviewer_id: int) -> None:
    """Everything so far counts as exported: the next incremental export holds only what follows."""
    with closing(connect(instance)) as conn, transaction(conn):
        conn.execute(
            "INSERT INTO export_marks (reviewer_id, until_counter) VALUES (?, ?)"
            " ON CONFLICT (reviewer_id) DO UPDATE SET until_counter = excluded.until_counter",
            (reviewer_id, current_counter(conn)),
        )


def submit(url: str, port: int, recipients: list[PublicIdentity], count: int) -> list[float]:
    """`count` browser-sealed reports, one after another; their latencies in seconds."""
    import http.client

    _body, content_type = multipart_body([])
    boundary = content_type.split("boundary=", 1)[1]
    latencies = []
    for stamp in fetch_stamps(url, count):
        token, cookies = csrf_session(url)
        body = csrf_prefix(token) + stamp_prefix(boundary, stamp) + prepare(recipients, today()).rest
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start = time.perf_counter()
        try:
            conn.request(
                "POST",
                "/report/sealed",
                body=body,
                headers={"Content-Type": content_type, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
            )
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"a sealed report was refused: {response.status}")
    return latencies


def export_changed(instance: Path, reviewer_id: int) -> tuple[float, int, int]:
    """(seconds, cases, bytes) of the reviewer's incremental export, streamed and discarded."""
    app = create_app(str(instance))
    with app.app_context(), closing(connect(instance)) as conn:
        start = time.perf_counter()
        plan = plan_export(conn, reviewer_id, MODE_CHANGED)
        size = sum(len(piece) for piece in stream_bundle(plan, str(instance), lambda: None))
        return time.perf_counter() - start, len(plan.case_ids), size


def queue_listing(instance: Path, reviewer_id: int) -> tuple[float, int]:
    """(seconds, cases) for the reviewer's queue page query (`list_queue`), which reads every case it lists."""
    with create_app(str(instance)).app_context(), closing(connect(instance)) as conn:
        start = time.perf_counter()
        items = list_queue(conn, today(), reviewer_id)
        return time.perf_counter() - start, len(items)


def queue_first_page(instance: Path, reviewer_id: int) -> float:
    """Median seconds of 5 for page 1 of the reviewer's queue, as /review builds it."""
    with create_app(str(instance)).app_context(), closing(connect(instance)) as conn:
        list_queue_page(conn, today(), reviewer_id, 1)  # warm the page cache, as a running worker's is
        times = []
        for _ in range(5):
            start = time.perf_counter()
            list_queue_page(conn, today(), reviewer_id, 1)
            times.append(time.perf_counter() - start)
        return statistics.median(times)


QUEUE_PAGE_GOAL_MS = 100.0


def db_bytes(instance: Path) -> int:
    return sum(p.stat().st_size for p in instance.glob("candour.db*"))


def count_cases(instance: Path) -> int:
    with closing(connect(instance)) as conn:
        return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])


def main() -> None:
    args = parse_args()
    scales = [int(scale) for scale in args.scales.split(",")]
    info = print_header("Growth: submission latency, export time and database size from 1k to 100k cases")
    rows = []
    with tempfile.TemporaryDirectory(prefix="candour-bench-growth-") as tmp:
        instance, keys = make_instance(Path(tmp), reviewers=3)
        relax_flood_control(instance)
        recipients = [k.public for k in keys]
        with closing(connect(instance)) as conn:
            reviewer_ids = [row[0] for row in conn.execute("SELECT id FROM reviewers ORDER BY id")]
        blobs = blob_pool(instance, recipients)
        with gunicorn(instance) as server:
            submit(server.url, server.port, recipients, 5)  # warm-up
            for scale in scales:
                missing = scale - count_cases(instance)
                started = time.perf_counter()
                populate(instance, max(missing, 0), reviewer_ids, blobs)
                print(
                    f"population to {scale:,} cases (not measured): {time.perf_counter() - started:.1f} s  [{load()}]"
                )
                set_export_mark(instance, reviewer_ids[0])
                latencies = submit(server.url, server.port, recipients, args.measured)
                export_seconds, exported, size = export_changed(instance, reviewer_ids[0])
                queue_seconds, listed = (
                    queue_listing(instance, reviewer_ids[0]) if scale <= args.queue_max else (float("nan"), 0)
                )
                page_seconds = queue_first_page(instance, reviewer_ids[0])
                row = {
                    "cases": count_cases(instance),
                    "queue_page_ms": page_seconds * 1000,
                    "submit_p50_ms": statistics.median(latencies) * 1000,
                    "submit_p99_ms": percentile(latencies, 0.99) * 1000,
                    "export_seconds": export_seconds,
                    "exported_cases": exported,
                    "export_mb": size / 1e6,
                    "db_mb": db_bytes(instance) / 1e6,
                    "queue_seconds": queue_seconds,
                    "queue_cases": listed,
                }
                rows.append(row)
                report_row(row, rows[0])
    verdicts = verdict(rows)
    write_result("growth", {"machine": info, "rows": rows, "goals": verdicts})


def report_row(row: dict[str, float], base: dict[str, float]) -> None:
    figure(
        f"{int(row['cases']):>7,} cases",
        f"submit p50 {row['submit_p50_ms']:.1f} ms p99 {row['submit_p99_ms']:.1f} ms "
        f"(×{row['submit_p50_ms'] / base['submit_p50_ms']:.2f} of the smallest scale); export of "
        f"{int(row['exported_cases'])} changed cases {row['export_seconds']:.2f} s "
        f"(×{row['export_seconds'] / base['export_seconds']:.2f}), {row['export_mb']:.1f} MB; database "
        f"{row['db_mb']:.1f} MB ({row['db_mb'] / row['cases'] * 1e6 / 1024:.2f} KiB/case, "
        f"×{row['db_mb'] / base['db_mb']:.1f} for ×{row['cases'] / base['cases']:.0f} cases); "
        f"queue page 1 {row['queue_page_ms']:.1f} ms (×{row['queue_page_ms'] / base['queue_page_ms']:.2f}); "
        + (
            f"queue listing {int(row['queue_cases']):,} cases {row['queue_seconds']:.2f} s "
            f"({row['queue_seconds'] / row['queue_cases'] * 1e6:.0f} µs/case)"
            if row["queue_cases"]
            else "queue listing not measured at this scale (--queue-max)"
        ),
    )


def verdict(rows: list[dict[str, float]]) -> list[dict[str, object]]:
    """A step touching a fixed number of cases may grow like a B-tree lookup (log of the
    total, plus a fresh connection's colder page cache), never like the total itself."""
    base, last = rows[0], rows[-1]
    growth = last["cases"] / base["cases"]
    allowed = max(LINEAR_SLACK, math.log2(growth))
    submit_ratio = last["submit_p50_ms"] / base["submit_p50_ms"]
    export_ratio = last["export_seconds"] / base["export_seconds"]
    span = f"from {int(base['cases']):,} to {int(last['cases']):,} cases (×{growth:.0f}; allowed ×{allowed:.1f})"
    return [
        goal(
            "submission latency does not grow with the total number of cases",
            submit_ratio <= allowed,
            f"p50 ×{submit_ratio:.2f} {span}",
        ),
        goal(
            "an export of a fixed number of changed cases does not grow with the total",
            export_ratio <= allowed,
            f"×{export_ratio:.2f} {span}",
        ),
        goal(
            "the database grows at most linearly",
            last["db_mb"] / base["db_mb"] <= growth * 1.1,
            f"×{last['db_mb'] / base['db_mb']:.1f} for ×{growth:.0f} cases",
        ),
        goal(
            f"the reviewer queue page at {int(last['cases']):,} cases ≤ {QUEUE_PAGE_GOAL_MS:.0f} ms",
            last["queue_page_ms"] <= QUEUE_PAGE_GOAL_MS,
            f"{last['queue_page_ms']:.1f} ms (×{last['queue_page_ms'] / base['queue_page_ms']:.2f} of "
            f"{base['queue_page_ms']:.1f} ms at {int(base['cases']):,})",
        ),
    ]


if __name__ == "__main__":
    main()
