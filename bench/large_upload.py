"""A 500 MB attachment through the no-JavaScript path, against a bare upload endpoint.

    .venv/bin/python -m bench.large_upload [--mb 500] [--rounds 2]

Two gunicorns, both the project's binary and config (config/gunicorn.conf.py: gthread,
8 threads), each with `--workers 1` so the worker measured is the one that took the
upload:
- the portal (`wsgi:app`) on a fresh instance with one reviewer: `POST /report` with a
  real CSRF token and session cookie (from `GET /report`), the form fields in the
  browser's order and one `--mb` MB file (10^6 bytes per MB);
- the baseline (`bench/support/bare_upload_app.py`): reads the same body in 64 KiB
  blocks and discards it.

The body is streamed from a fixed-seed 8 MiB block repeated, in 256 KiB writes, by a
client on the same machine. Rounds alternate baseline / portal; best of `--rounds`.
Throughput is file bytes over the time from the first byte sent to the response read
(for the portal that includes sealing, fsync of the blob, Argon2id for the codename and
the database commit).

Memory: before the measured upload the worker has served one small report, so
Argon2id's 64 MiB is already in its peak. VmHWM (peak RSS) is read from /proc before
and after, and VmRSS is sampled every 20 ms during the upload.
Goals: worker peak RSS growth ≤ 100 MB; portal throughput ≥ 0.5 × the baseline's.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from bench.support.common import (
    figure,
    goal,
    gunicorn,
    load,
    make_instance,
    print_header,
    proc_status_kib,
    write_result,
)
from bench.support.httpclient import csrf_session, fixed_block, post_file

MEMORY_GOAL_MB = 100
RATIO_GOAL = 0.5
REPORT_FIELDS = [
    ("category", "bullying"),
    ("what", "Something happened at the branch meeting."),
    ("when", "Last spring"),
    ("where", "Regional office"),
    ("who", "The branch secretary"),
    ("outcome", "An investigation"),
    ("website", ""),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    return parser.parse_args()


class RssSampler:
    """Samples a process's VmRSS every `interval` seconds until stopped (bounded by `limit` samples)."""

    def __init__(self, pid: int, interval: float = 0.02, limit: int = 100_000) -> None:
        self.pid, self.interval, self.limit = pid, interval, limit
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for _ in range(self.limit):
            self.peak_kib = max(self.peak_kib, proc_status_kib(self.pid, "VmRSS"))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def portal_upload(url: str, worker: int, size: int, block: bytes) -> dict[str, float]:
    token, cookies = csrf_session(url)
    fields = [("csrf_token", token), *REPORT_FIELDS]
    rss_before = proc_status_kib(worker, "VmRSS")
    hwm_before = proc_status_kib(worker, "VmHWM")
    with RssSampler(worker) as sampler:
        reply = post_file(url, "/report", fields, cookies, file_field="attachments", size=size, block=block)
    if reply.status != 200 or b'class="codename"' not in reply.body:
        raise RuntimeError(f"the portal refused the upload: {reply.status}")
    hwm_after = proc_status_kib(worker, "VmHWM")
    return {
        "seconds": reply.seconds,
        "mb_per_s": size / reply.seconds / 1e6,
        "rss_before_mib": rss_before / 1024,
        "hwm_before_mib": hwm_before / 1024,
        "hwm_after_mib": hwm_after / 1024,
        "hwm_growth_mb": (hwm_after - hwm_before) * 1024 / 1e6,
        "sampled_peak_growth_mb": (sampler.peak_kib - rss_before) * 1024 / 1e6,
    }


def bare_upload(url: str, size: int, block: bytes) -> dict[str, float]:
    reply = post_file(url, "/upload", [("csrf_token", "unused")], {}, file_field="attachments", size=size, block=block)
    if reply.status != 200:
        raise RuntimeError(f"the bare endpoint answered {reply.status}")
    return {"seconds": reply.seconds, "mb_per_s": size / reply.seconds / 1e6}


def main() -> None:
    args = parse_args()
    size = args.mb * 1_000_000
    info = print_header(f"{args.mb} MB no-JavaScript upload vs a bare upload endpoint")
    block = fixed_block()
    portal_runs, bare_runs = [], []
    with tempfile.TemporaryDirectory(prefix="candour-bench-upload-") as tmp:
        instance, _keys = make_instance(Path(tmp), reviewers=1)
        one = ["--workers", "1"]
        bare_app = "bench.support.bare_upload_app:app"
        with gunicorn(instance, extra=one) as portal, gunicorn(instance, bare_app, one) as bare:
            (worker,) = portal.workers
            portal_upload(portal.url, worker, 1024, block)  # warm-up: Argon2id's 64 MiB is now in the peak
            bare_upload(bare.url, 1024 * 1024, block)
            for round_number in range(1, args.rounds + 1):
                bare_runs.append(bare_upload(bare.url, size, block))
                figure(f"round {round_number} baseline (bare endpoint)", f"{bare_runs[-1]['mb_per_s']:.1f} MB/s")
                portal_runs.append(portal_upload(portal.url, worker, size, block))
                run = portal_runs[-1]
                figure(
                    f"round {round_number} portal POST /report",
                    f"{run['mb_per_s']:.1f} MB/s ({run['seconds']:.1f} s); worker VmHWM {run['hwm_before_mib']:.1f} → "
                    f"{run['hwm_after_mib']:.1f} MiB (+{run['hwm_growth_mb']:.1f} MB), sampled RSS peak "
                    f"+{run['sampled_peak_growth_mb']:.1f} MB over the {run['rss_before_mib']:.1f} MiB before",
                )
    best_portal = max(run["mb_per_s"] for run in portal_runs)
    best_bare = max(run["mb_per_s"] for run in bare_runs)
    growth = max(max(run["hwm_growth_mb"], run["sampled_peak_growth_mb"]) for run in portal_runs)
    throughput_ratio = best_portal / best_bare
    figure(
        "best of rounds",
        f"portal {best_portal:.1f} MB/s, baseline {best_bare:.1f} MB/s, ratio {throughput_ratio:.3f}; "
        f"largest worker peak-RSS growth {growth:.1f} MB",
    )
    verdicts = [
        goal(f"worker peak RSS growth ≤ {MEMORY_GOAL_MB} MB", growth <= MEMORY_GOAL_MB, f"+{growth:.1f} MB"),
        goal(
            f"throughput ≥ {RATIO_GOAL} × bare endpoint",
            throughput_ratio >= RATIO_GOAL,
            f"{best_portal:.1f} / {best_bare:.1f} MB/s = {throughput_ratio:.3f}",
        ),
    ]
    write_result(
        "large_upload",
        {
            "machine": info,
            "upload_bytes": size,
            "portal_runs": portal_runs,
            "bare_runs": bare_runs,
            "throughput_ratio": throughput_ratio,
            "max_growth_mb": growth,
            "load_at_end": load(),
            "goals": verdicts,
        },
    )


if __name__ == "__main__":
    main()
