"""The offline backlog: how fast the reviewer's tool decrypts an export of many cases.

    .venv/bin/python -m bench.offline_backlog [--cases 10000] [--text-bytes 1024] [--profile]

Setup (not measured): one bundle of `--cases` cases, each a report of ~1 KiB of text
(part 0 only) sealed to 3 reviewers and signed with its own reporter key, written with
`crypto.bundle.BundleWriter` exactly as the portal's export does (as
tests/support/export_builder.py builds them). Reporter keys are random, not derived
from codenames (Argon2id is the portal's cost, not the reviewer tool's).

Measured, same bundle, same run:
- Candour in-process: `open_bundle` + `write_case_folders` (what `python -m crypto
  decrypt` calls) into an empty folder → cases/s. Goal: ≥ 1,000 cases/s.
- Candour CLI once: `python -m crypto decrypt` (includes interpreter start-up and the
  key file's Argon2id "interactive" unlock).
- Baseline 1: a bare loop of `crypto_box_seal_open` over the same stanzas (this
  reviewer's stanza of every part 0), from memory.
- Baseline 2: baseline 1 plus the secretstream pull of each payload (what opening
  cannot avoid), from memory, no unpadding, nothing written.
- Baseline 3: the file-system work alone, in the same folder: per case a folder, the
  same number of files of the same sizes, a rename; one sync() at the end. On a
  machine shared with other test suites, metadata operations (mkdir, create) wait
  on the file-system journal, so this floor moves a lot from run to run.

The ratio is Candour's cases/s over the baseline's. `--profile` adds a cProfile of the
in-process run (top 25 by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nacl import bindings

from bench.support.common import ROOT, figure, goal, load, print_header, write_result

from crypto.bundle import (
    BundleWriter,
    bundle_manifest,
    case_entry,
    member_name_for_part,
    open_bundle,
    reviewer_entry,
    submission_entry,
    timeline_entry,
)
from crypto.casebook import create_casebook
from crypto.casefolder import write_case_folders
from crypto.codename import ReporterKeys
from crypto.envelope import LABEL_PAYLOAD_KEY, SEALED_CHUNK_SIZE, new_submission_id, read_header
from crypto.identity import ReviewerKeys, generate_reviewer_keys, save_private_key
from crypto.kdf import derive_subkey
from crypto.submission import ReporterPublic, seal_submission_text_part

GOAL_CASES_PER_S = 1000.0
DAY = "2026-11-25"
SEED = 6
WORDS = ("the", "branch", "secretary", "shouted", "at", "me", "again", "in", "front", "of", "members", "meeting")


@dataclass(frozen=True)
class Stanza:
    """What the baselines open: this reviewer's sealed key, and the payload behind the header."""

    sealed_key: bytes
    stream_header: bytes
    ad: bytes
    payload: bytes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--text-bytes", type=int, default=1024)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--work-dir", default=None, help="where the bundle and the case folders go (default: a new temporary folder)"
    )
    return parser.parse_args()


def report_text(rng: random.Random, size: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(size // 3))[:size]


def build_bundle(path: Path, reviewers: list[ReviewerKeys], cases: int, text_bytes: int) -> list[Stanza]:
    """Write the bundle; return reviewer 0's stanza and payload of every part 0 (for the baselines)."""
    rng = random.Random(SEED)  # noqa: S311 - fixed-seed test data, not secrets
    recipients = [keys.public for keys in reviewers]
    me = reviewers[0]
    stanzas = []
    entries = []
    with path.open("wb") as sink:
        writer = BundleWriter(sink, me.public, DAY)
        for _ in range(cases):
            case_id = new_submission_id()
            reporter = ReporterKeys(os.urandom(32), os.urandom(32), os.urandom(32))
            fields = {"category": "bullying", "what": report_text(rng, text_bytes), "when": "Last spring"}
            part = io.BytesIO()
            seal_submission_text_part(part, recipients, case_id, "report", None, DAY, reporter, fields, [])
            blob = part.getvalue()
            writer.add_member(member_name_for_part(case_id, case_id, 0), io.BytesIO(blob))
            stanzas.append(baseline_stanza(blob, me))
            entries.append(
                case_entry(
                    case=case_id,
                    created=DAY,
                    status="new",
                    outcome=None,
                    sealed_on="browser",
                    acknowledge_by="2026-12-02",
                    feedback_by="2027-02-23",
                    recipients=[r.key_id for r in recipients],
                    reporter=ReporterPublic.from_keys(reporter),
                    timeline=[timeline_entry(day=DAY, status="new")],
                    submissions=[submission_entry(case_id, case_id, "report", DAY, [0])],
                    replies=[],
                )
            )
        writer.finish(
            bundle_manifest(
                reviewer_key_id=me.key_id,
                day=DAY,
                since=0,
                until=cases,
                reviewers=[reviewer_entry(r, f"Reviewer {n}", "Bench", True) for n, r in enumerate(recipients)],
                cases=entries,
            )
        )
    return stanzas


def baseline_stanza(blob: bytes, me: ReviewerKeys) -> Stanza:
    source = io.BytesIO(blob)
    header = read_header(source)
    (mine,) = [s for s in header.stanzas if s.key_id == me.key_id]
    return Stanza(mine.sealed_key, header.stream_header, header.header_hash, source.read())


def baseline_seal_open(stanzas: list[Stanza], me: ReviewerKeys) -> float:
    public, secret = bytes(me.box_public_key), bytes(me.box_secret_key)
    start = time.perf_counter()
    for stanza in stanzas:
        bindings.crypto_box_seal_open(stanza.sealed_key, public, secret)
    return time.perf_counter() - start


def baseline_seal_open_and_pull(stanzas: list[Stanza], me: ReviewerKeys) -> float:
    public, secret = bytes(me.box_public_key), bytes(me.box_secret_key)
    start = time.perf_counter()
    for stanza in stanzas:
        content_key = bindings.crypto_box_seal_open(stanza.sealed_key, public, secret)
        state = bindings.crypto_secretstream_xchacha20poly1305_state()
        bindings.crypto_secretstream_xchacha20poly1305_init_pull(
            state, stanza.stream_header, derive_subkey(content_key, LABEL_PAYLOAD_KEY)
        )
        view = memoryview(stanza.payload)
        for offset in range(0, len(view), SEALED_CHUNK_SIZE):
            bindings.crypto_secretstream_xchacha20poly1305_pull(
                state, bytes(view[offset : offset + SEALED_CHUNK_SIZE]), stanza.ad
            )
    return time.perf_counter() - start


def baseline_filesystem(out_dir: Path, cases: int, sizes: list[int]) -> float:
    """Baseline 3: the file-system work a case folder cannot avoid, with no crypto: per case
    a staging folder, `len(sizes)` files of those sizes, a rename into place; one sync()."""
    out_dir.mkdir()
    blobs = [b"x" * size for size in sizes]
    start = time.perf_counter()
    for number in range(cases):
        staging = out_dir / f".staging-{number}"
        staging.mkdir(mode=0o700)
        for index, blob in enumerate(blobs):
            descriptor = os.open(staging / f"file-{index}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(blob)
        os.rename(staging, out_dir / f"case-{number}")
    os.sync()
    return time.perf_counter() - start


def case_file_sizes(out_dir: Path) -> list[int]:
    """The sizes of the files in one decrypted case folder (for baseline 3)."""
    folder = next(p for p in sorted(out_dir.iterdir()) if p.is_dir())
    return sorted(p.stat().st_size for p in folder.iterdir() if p.is_file())


def candour_in_process(bundle_path: Path, me: ReviewerKeys, out_dir: Path, profile: bool) -> tuple[float, float, int]:
    profiler = cProfile.Profile() if profile else None
    times_start = os.times()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    with open_bundle(bundle_path, me) as bundle:
        summary = write_case_folders(bundle, me, out_dir, datetime.date(2026, 11, 26))
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    times_end = os.times()
    user_seconds = times_end.user - times_start.user
    cpu_seconds = user_seconds + times_end.system - times_start.system
    print(f"in-process CPU: {user_seconds:.2f} s user, {cpu_seconds - user_seconds:.2f} s system (kernel)")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    assert not summary.unreadable, summary.unreadable[:1]
    return seconds, cpu_seconds, len(summary.written)


def candour_cli(bundle_path: Path, key_file: Path, passphrase: str, out_dir: Path) -> float:
    env = {**os.environ, "CANDOUR_PASSPHRASE": passphrase}
    command = [sys.executable, "-m", "crypto", "decrypt", "--key", str(key_file), str(bundle_path)]
    command += ["--out", str(out_dir), "--today", "2026-11-26"]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - start


def main() -> None:
    args = parse_args()
    info = print_header(f"Offline backlog: decrypting an export of {args.cases:,} cases")
    reviewers = [generate_reviewer_keys(f"Reviewer {n}") for n in range(3)]
    me = reviewers[0]
    with tempfile.TemporaryDirectory(prefix="candour-bench-backlog-", dir=args.work_dir) as tmp:
        work = Path(tmp)
        bundle_path = work / "export.zip"
        started = time.perf_counter()
        stanzas = build_bundle(bundle_path, reviewers, args.cases, args.text_bytes)
        print(
            f"setup (not measured): bundle of {args.cases:,} cases, {bundle_path.stat().st_size / 1e6:.1f} MB, "
            f"built in {time.perf_counter() - started:.1f} s  [{load()}]"
        )
        key_file = work / "me.key"
        passphrase = "bench passphrase, not secret"  # noqa: S105 - a throwaway key file
        save_private_key(me, key_file, passphrase, profile="interactive")
        create_casebook(key_file, me)  # what `python -m crypto keygen` makes beside the key

        base1 = baseline_seal_open(stanzas, me)
        base2 = baseline_seal_open_and_pull(stanzas, me)
        seconds, cpu_seconds, written = candour_in_process(bundle_path, me, work / "out-in-process", args.profile)
        sizes = case_file_sizes(work / "out-in-process")
        shutil.rmtree(work / "out-in-process")
        base3 = baseline_filesystem(work / "out-fs", args.cases, sizes)
        shutil.rmtree(work / "out-fs")
        cli_seconds = candour_cli(bundle_path, key_file, passphrase, work / "out-cli")
        cli_written = sum(1 for p in (work / "out-cli").iterdir() if p.is_dir())

    n = args.cases
    rate, cli_rate = written / seconds, cli_written / cli_seconds
    rate1, rate2, rate3 = n / base1, n / base2, n / base3
    rate23 = n / (base2 + base3)
    figure("baseline 1 (crypto_box_seal_open loop)", f"{rate1:,.0f} cases/s ({base1:.3f} s)")
    figure("baseline 2 (seal_open + secretstream pull)", f"{rate2:,.0f} cases/s ({base2:.3f} s)")
    figure(
        "baseline 3 (file system only: folder + the same files + rename per case, one sync)",
        f"{rate3:,.0f} cases/s ({base3:.3f} s, files of {sizes} bytes); baselines 2+3: {rate23:,.0f} cases/s",
    )
    figure(
        "Candour in-process (open_bundle + write_case_folders)",
        f"{rate:,.0f} cases/s ({seconds:.2f} s wall, {cpu_seconds:.2f} s CPU, {written:,} cases); ratio to "
        f"baseline 1 {rate / rate1:.3f}, to baseline 2 {rate / rate2:.3f}, to baselines 2+3 {rate / rate23:.3f}",
    )
    figure(
        "Candour CLI once (python -m crypto decrypt)",
        f"{cli_rate:,.0f} cases/s ({cli_seconds:.2f} s, {cli_written:,} cases); ratio to baseline 2 "
        f"{cli_rate / rate2:.3f}",
    )
    verdict = goal(
        f"≥ {GOAL_CASES_PER_S:,.0f} cases/s decrypting an export (in-process)",
        rate >= GOAL_CASES_PER_S,
        f"{rate:,.0f} cases/s in-process, {cli_rate:,.0f} cases/s via the CLI",
    )
    write_result(
        "offline_backlog",
        {
            "machine": info,
            "cases": n,
            "baseline_seal_open_cases_per_s": rate1,
            "baseline_seal_open_pull_cases_per_s": rate2,
            "candour_in_process_cases_per_s": rate,
            "candour_cli_cases_per_s": cli_rate,
            "ratio_to_baseline_1": rate / rate1,
            "ratio_to_baseline_2": rate / rate2,
            "baseline_filesystem_cases_per_s": rate3,
            "ratio_to_baselines_2_and_3": rate / rate23,
            "candour_in_process_cpu_seconds": cpu_seconds,
            "goal": verdict,
        },
    )


if __name__ == "__main__":
    main()
