"""Store costs a request pays: opening the SQLCipher database (once per request) and
streaming a sealed part into the blob store (write, fsync, link, directory fsyncs).

Prints medians and writes bench/out/store.json. Runs in a few seconds on 2 cores.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from contextlib import closing
from pathlib import Path

from portal.cli import initialise_instance
from portal.store import blobs, db

CHUNK = 64 * 1024
CONNECT_RUNS = 50
SMALL_BLOB_RUNS = 30
LARGE_BLOB_BYTES = 64 * 1024 * 1024
LARGE_BLOB_RUNS = 3


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def time_connect(instance: Path) -> float:
    samples = []
    for _ in range(CONNECT_RUNS):
        start = time.perf_counter()
        with closing(db.connect(instance)) as conn:
            conn.execute("SELECT count(*) FROM reviewers").fetchone()
        samples.append(time.perf_counter() - start)
    return _median_ms(samples)


def time_blob(instance: Path, size: int, runs: int) -> float:
    chunk = os.urandom(CHUNK)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        with blobs.BlobWriter(instance) as writer:
            for _written in range(0, size, CHUNK):
                writer.write(chunk)
            name = writer.commit()
        samples.append(time.perf_counter() - start)
        blobs.delete_blob(instance, name)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        initialise_instance(instance)
        connect_ms = time_connect(instance)
        small_ms = round(time_blob(instance, CHUNK, SMALL_BLOB_RUNS) * 1000, 3)
        large_seconds = time_blob(instance, LARGE_BLOB_BYTES, LARGE_BLOB_RUNS)
    results = {
        "sqlcipher_connect_and_query_ms_median": connect_ms,
        "blob_64KiB_write_commit_ms_median": small_ms,
        "blob_64MiB_write_commit_MiB_per_s_median": round(LARGE_BLOB_BYTES / 2**20 / large_seconds, 1),
    }
    for name, value in results.items():
        print(f"{name}: {value}")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "store.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
