"""A no-JavaScript report with one large attachment through the real gunicorn:
upload rate over loopback and the worker's peak memory (VmHWM) before and after.

The streaming path keeps memory flat whatever the upload size: the body is read in
64 KiB blocks and sealed as it arrives. Prints the figures and writes
bench/out/reporter_upload.json. Set CANDOUR_BENCH_UPLOAD_MB (default 100).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.reporter_support import (
    add_reviewer_with_keys,
    csrf_token,
    http_get,
    http_post_multipart,
    peak_rss_kib,
    report_fields,
    worker_pids,
)

from portal import create_app

ROOT = Path(__file__).resolve().parent.parent

UPLOAD_MB = int(os.environ.get("CANDOUR_BENCH_UPLOAD_MB", "100"))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        assert create_app(str(instance)).test_cli_runner().invoke(args=["init"]).exit_code == 0
        add_reviewer_with_keys(instance, "Bench Reviewer", "Bench", required=True)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "CANDOUR_INSTANCE": str(instance)}
        # One worker, so the figures are that worker's.
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    if http_get(url, "/")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            (worker,) = worker_pids(server.pid)

            def send(size: int) -> float:
                status, cookies, html = http_get(url, "/report")
                fields = report_fields(csrf_token(html), files=[("big.bin", os.urandom(size))])
                code, _text, seconds = http_post_multipart(url, "/report", fields, cookies)
                assert code == 200, code
                return seconds

            send(1024)  # a small report first: Argon2id's 64 MiB is in the baseline
            baseline = peak_rss_kib(worker)
            seconds = send(UPLOAD_MB * 1024 * 1024)
            after = peak_rss_kib(worker)
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "upload_mb": UPLOAD_MB,
        "seconds": round(seconds, 2),
        "mb_per_s": round(UPLOAD_MB * 1.048576 / seconds, 1),
        "worker_peak_rss_mib_before": round(baseline / 1024, 1),
        "worker_peak_rss_mib_after": round(after / 1024, 1),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "reporter_upload.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
