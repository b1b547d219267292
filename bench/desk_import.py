"""The Desk: importing a big export, showing its queue, opening a big attachment.

    .venv/bin/python bench/desk_import.py [--cases 10000] [--text-bytes 1024] [--attachment-mb 100] [--profile]

Setup (not measured): the export of bench/offline_backlog.py (`--cases` reports of
~1 KiB of text sealed to 3 reviewers, each signed with its own reporter key, written
with crypto.bundle.BundleWriter), and a second export holding one case with a
`--attachment-mb` attachment, sealed in 64 KiB chunks from a file.

Measured, same run:
- baseline: a bare loop of `crypto_box_seal_open` + the secretstream pull of each
  report's payload, over the same envelopes, from memory (offline_backlog's baseline 2);
- Desk import: `Session.import_file` — the export copied into the Desk's folder as it
  came, the manifest opened, every report opened and verified into memory (nothing
  readable written) → cases/s and the ratio to the baseline. Goals: ≥ 2,000 cases/s and
  ≥ 0.25 × the baseline;
- queue: the Queue screen of the real Textual app (headless) showing every case, from
  unlock to the first full render, and a search over the decrypted text. Goal ≤ 200 ms;
- attachment: `Session.open_attachment` on the big attachment — streamed into the
  RAM-backed temporary folder — with the peak of Python allocations (tracemalloc)
  during the open: it must stay far below the attachment's size.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.offline_backlog import baseline_seal_open_and_pull, build_bundle
from bench.support.common import figure, goal, load, print_header, write_result

from crypto.bundle import (
    BundleWriter,
    bundle_manifest,
    case_entry,
    member_name_for_part,
    reviewer_entry,
    submission_entry,
    timeline_entry,
)
from crypto.casebook import create_casebook
from crypto.codename import ReporterKeys
from crypto.desk.app import DeskApp
from crypto.desk.screens import QueueScreen
from crypto.desk.session import Session
from crypto.desk.vault import Vault
from crypto.envelope import CHUNK_SIZE, EnvelopeSealer, new_submission_id
from crypto.identity import ReviewerKeys, generate_reviewer_keys
from crypto.submission import ReporterPublic, attachment_info_from_sealed, seal_submission_text_part

GOAL_CASES_PER_S = 2000.0
GOAL_RATIO = 0.25
GOAL_QUEUE_MS = 200.0
DAY = "2026-11-25"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--text-bytes", type=int, default=1024)
    parser.add_argument("--attachment-mb", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    return parser.parse_args()


def build_attachment_export(path: Path, reviewers: list[ReviewerKeys], megabytes: int, work: Path) -> None:
    """One case whose report carries a `megabytes` attachment, sealed and copied by streaming."""
    recipients = [keys.public for keys in reviewers]
    me = reviewers[0]
    case_id = new_submission_id()
    reporter = ReporterKeys(os.urandom(32), os.urandom(32), os.urandom(32))
    sealed_path = work / "attachment.sealed"
    block = os.urandom(CHUNK_SIZE)
    with sealed_path.open("wb") as sink:
        sealer = EnvelopeSealer(sink, recipients, case_id, 1)
        for _ in range(megabytes * 16):
            sealer.write(block)
        info = attachment_info_from_sealed(sealer.finish(), "recording.wav", "audio/wav")
    part0 = io.BytesIO()
    fields = {"category": "harassment", "what": "The recording is attached."}
    seal_submission_text_part(part0, recipients, case_id, "report", None, DAY, reporter, fields, [info])
    with path.open("wb") as sink:
        writer = BundleWriter(sink, me.public, DAY)
        writer.add_member(member_name_for_part(case_id, case_id, 0), io.BytesIO(part0.getvalue()))
        with sealed_path.open("rb") as source:
            writer.add_member(member_name_for_part(case_id, case_id, 1), source)
        entry = case_entry(
            case=case_id, created=DAY, status="new", outcome=None, sealed_on="browser",
            acknowledge_by="2026-12-02", feedback_by="2027-02-23", recipients=[r.key_id for r in recipients],
            reporter=ReporterPublic.from_keys(reporter), timeline=[timeline_entry(day=DAY, status="new")],
            submissions=[submission_entry(case_id, case_id, "report", DAY, [0, 1])], replies=[],
        )  # fmt: skip
        writer.finish(
            bundle_manifest(
                reviewer_key_id=me.key_id, day=DAY, since=0, until=1,
                reviewers=[reviewer_entry(r, f"Reviewer {n}", "Bench", True) for n, r in enumerate(recipients)],
                cases=[entry],
            )
        )  # fmt: skip
    sealed_path.unlink()


def desk_import(session: Session, bundle_path: Path, profile: bool) -> tuple[float, float, int]:
    profiler = cProfile.Profile() if profile else None
    times_start = os.times()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    summary = session.import_file(bundle_path)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    times_end = os.times()
    cpu = times_end.user - times_start.user + times_end.system - times_start.system
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    assert summary.unreadable == 0, summary.warnings[:1]
    return seconds, cpu, summary.added


def queue_render(session: Session) -> tuple[float, float, int]:
    """Milliseconds from unlock to the Queue screen rendered, and for one search; rows shown."""
    app = DeskApp(open_files=False)
    measured: dict[str, float] = {}

    async def drive() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            start = time.perf_counter()
            app.unlocked(session)
            await pilot.pause()
            measured["open"] = (time.perf_counter() - start) * 1000
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            measured["rows"] = screen.query_one("#queue").row_count
            start = time.perf_counter()
            screen.query_one("#search").value = "secretary shouted"
            await pilot.pause()
            measured["search"] = (time.perf_counter() - start) * 1000

    asyncio.run(drive())
    return measured["open"], measured["search"], int(measured["rows"])


def attachment_open(session: Session) -> tuple[float, int, int]:
    case = next(c for c in session.cases.values() if c.attachments)
    attachment = case.attachments[0]
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    path = session.open_attachment(case, attachment)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = path.stat().st_size
    assert size == attachment.size
    return seconds, peak, size


def main() -> None:
    args = parse_args()
    info = print_header(f"Desk: importing an export of {args.cases:,} cases, its queue, a big attachment")
    reviewers = [generate_reviewer_keys(f"Reviewer {n}") for n in range(3)]
    me = reviewers[0]
    with tempfile.TemporaryDirectory(prefix="candour-bench-desk-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        bundle_path = work / "export.zip"
        stanzas = build_bundle(bundle_path, reviewers, args.cases, args.text_bytes)
        big_path = work / "export-attachment.zip"
        build_attachment_export(big_path, reviewers, args.attachment_mb, work)
        print(f"setup (not measured): {time.perf_counter() - started:.1f} s  [{load()}]")

        times_start = os.times()
        baseline = baseline_seal_open_and_pull(stanzas, me)
        times_end = os.times()
        baseline_cpu = times_end.user - times_start.user + times_end.system - times_start.system
        book = create_casebook(work / f"{me.name}.key", me)  # what keygen makes beside the key
        session = Session(me, Vault(work / "desk", me), book)
        seconds, cpu, added = desk_import(session, bundle_path, args.profile)
        print(f"[{load()}]")
        session.import_file(big_path)
        attach_seconds, peak, size = attachment_open(session)
        open_ms, search_ms, rows = queue_render(session)  # the app locks the session when it stops

    n = args.cases
    rate, base_rate = added / seconds, n / baseline
    ratio = rate / base_rate
    cpu_ratio = baseline_cpu / cpu if cpu else 0.0  # the same cases: CPU seconds per case, compared
    figure("baseline (crypto_box_seal_open + secretstream pull)", f"{base_rate:,.0f} cases/s ({baseline:.3f} s)")
    figure(
        "Desk import (Session.import_file)",
        f"{rate:,.0f} cases/s ({seconds:.2f} s wall, {cpu:.2f} s CPU = {added / cpu:,.0f} cases per CPU-second, "
        f"{added:,} cases); ratio to baseline {ratio:.3f} by wall clock, {cpu_ratio:.3f} by CPU time "
        f"(baseline {baseline_cpu:.2f} s CPU)",
    )
    figure(
        "queue: unlock to Queue screen rendered", f"{open_ms:,.0f} ms for {rows:,} rows; a search: {search_ms:,.0f} ms"
    )
    figure(
        f"attachment: open {size / 1e6:,.0f} MB into the RAM-backed folder",
        f"{attach_seconds:.2f} s ({size / 1e6 / attach_seconds:,.0f} MB/s); peak Python allocations "
        f"{peak / 1e6:.1f} MB ({peak / size:.3%} of the file)",
    )
    verdicts = [
        goal(f"≥ {GOAL_CASES_PER_S:,.0f} cases/s importing", rate >= GOAL_CASES_PER_S, f"{rate:,.0f} cases/s"),
        goal(f"≥ {GOAL_RATIO} × the bare loop", ratio >= GOAL_RATIO, f"{ratio:.3f}"),
        goal(f"queue of {n:,} shown in ≤ {GOAL_QUEUE_MS:.0f} ms", open_ms <= GOAL_QUEUE_MS, f"{open_ms:,.0f} ms"),
        goal("big attachment not held in memory", peak < size / 10, f"peak {peak / 1e6:.1f} MB"),
    ]
    write_result(
        "desk_import",
        {
            "machine": info,
            "cases": n,
            "baseline_cases_per_s": base_rate,
            "desk_import_cases_per_s": rate,
            "ratio_to_baseline": ratio,
            "ratio_to_baseline_cpu": cpu_ratio,
            "baseline_cpu_seconds": baseline_cpu,
            "desk_import_cpu_seconds": cpu,
            "queue_open_ms": open_ms,
            "queue_search_ms": search_ms,
            "attachment_bytes": size,
            "attachment_seconds": attach_seconds,
            "attachment_peak_python_bytes": peak,
            "goals": verdicts,
        },
    )


if __name__ == "__main__":
    main()
