"""Candour's sealing against GnuPG, SecureDrop's approach (a `gpg --encrypt` per item).

    .venv/bin/python -m bench.vs_gnupg [--messages 200] [--message-bytes 1024] [--file-mb 100] [--repeat 2]

Same data for both, in the same run, interleaved so machine load hits both alike:

- `--messages` text messages of `--message-bytes` each (fixed-seed text), sealed one
  by one to one recipient: Candour in-process (`seal_envelope`, one file each),
  Candour's CLI (`python -m crypto seal`, one process per item, like for like with
  gpg), and `gpg --batch --trust-model always --encrypt -r KEY` (one process per item).
- one `--file-mb` MB file (fixed-seed random bytes): `seal_envelope`, the CLI, gpg.

The GnuPG key is a throwaway RSA-4096 key (SecureDrop's journalist keys are RSA 4096)
made in a temporary GNUPGHOME with an empty passphrase; gpg runs with its defaults
(compression on), as SecureDrop's python-gnupg calls do. Candour's CLI fsyncs its
output before renaming it into place; gpg does not fsync (noted, not corrected).
Figures are wall-clock, best of `--repeat`. The speed-up is gpg time / Candour time.
Skips with a note if gpg is not installed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.support.common import ROOT, figure, goal, print_header, write_result

from crypto.envelope import new_submission_id, seal_envelope
from crypto.identity import generate_reviewer_keys

GPG = shutil.which("gpg")
SEED = 20261125


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--message-bytes", type=int, default=1024)
    parser.add_argument("--file-mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    return parser.parse_args()


def make_messages(directory: Path, count: int, size: int) -> list[Path]:
    rng = random.Random(SEED)  # noqa: S311 - fixed-seed test data, not secrets
    words = ["branch", "meeting", "secretary", "said", "again", "office", "member", "report", "shouted", "the"]
    paths = []
    for number in range(count):
        text = " ".join(rng.choice(words) for _ in range(size)).encode()[:size]
        path = directory / f"message-{number:04d}.txt"
        path.write_bytes(text)
        paths.append(path)
    return paths


def make_file(path: Path, megabytes: int) -> Path:
    rng = random.Random(SEED)  # noqa: S311 - fixed-seed test data, not secrets
    with path.open("wb") as handle:
        for _ in range(megabytes):
            handle.write(rng.randbytes(1_000_000))
    return path


def gpg_key(home: Path) -> str:
    """A throwaway RSA-4096 encryption key; returns its fingerprint."""
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home)}
    base = [GPG or "gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(  # noqa: S603
        [*base, "--quick-gen-key", "Candour Bench <bench@example.invalid>", "rsa4096", "encr", "never"],
        env=env,
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(  # noqa: S603
        [GPG or "gpg", "--batch", "--with-colons", "--list-keys"], env=env, check=True, capture_output=True, text=True
    ).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def candour_in_process(inputs: list[Path], out_dir: Path, recipient: object) -> None:
    for path in inputs:
        with path.open("rb") as source, (out_dir / f"{path.name}.cnd").open("wb") as sink:
            seal_envelope(source, sink, [recipient], new_submission_id(), 0)  # type: ignore[list-item]


def cli_env(pycache: Path) -> dict[str, str]:
    """The CLI as an installed tool runs: with compiled bytecode cached (this machine sets
    PYTHONDONTWRITEBYTECODE, which would recompile every module on every run)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def candour_cli(inputs: list[Path], out_dir: Path, pubfile: Path, env: dict[str, str]) -> None:
    for path in inputs:
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "crypto", "seal", "--to", str(pubfile), str(path), "-o", str(out_dir / path.name)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )


def cli_floor(env: dict[str, str], runs: int = 10) -> tuple[float, float]:
    """Median seconds of `python -c pass` and of `python -c 'import crypto.cli'` (what every CLI call pays)."""
    results = []
    for code in ("pass", "import crypto.cli"):
        samples = [
            timed(lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True))  # noqa: B023,S603
            for _ in range(runs)
        ]
        results.append(statistics.median(samples))
    return results[0], results[1]


def gnupg(inputs: list[Path], out_dir: Path, home: Path, fingerprint: str) -> None:
    for path in inputs:
        subprocess.run(  # noqa: S603
            [
                GPG or "gpg",
                "--batch",
                "--yes",
                "--quiet",
                "--trust-model",
                "always",
                "--encrypt",
                "-r",
                fingerprint,
                "-o",
                str(out_dir / f"{path.name}.gpg"),
                str(path),
            ],
            env={"GNUPGHOME": str(home)},
            check=True,
        )


def measure(
    label: str,
    inputs: list[Path],
    work: Path,
    repeat: int,
    pubfile: Path,
    recipient: object,
    home: Path,
    fpr: str,
    env: dict[str, str],
) -> dict[str, float]:
    """Best-of-`repeat` seconds for the three sealers, interleaved."""
    best = {"candour_in_process": float("inf"), "candour_cli": float("inf"), "gpg": float("inf")}
    for round_number in range(repeat):
        for name in best:
            out_dir = work / f"{label}-{name}-{round_number}"
            out_dir.mkdir()
            if name == "candour_in_process":
                seconds = timed(lambda: candour_in_process(inputs, out_dir, recipient))  # noqa: B023
            elif name == "candour_cli":
                seconds = timed(lambda: candour_cli(inputs, out_dir, pubfile, env))  # noqa: B023
            else:
                seconds = timed(lambda: gnupg(inputs, out_dir, home, fpr))  # noqa: B023
            best[name] = min(best[name], seconds)
            shutil.rmtree(out_dir)
    return best


def report(label: str, best: dict[str, float], items: int, item_bytes: int) -> dict[str, object]:
    gpg_seconds = best["gpg"]
    rows: dict[str, object] = {}
    for name, seconds in best.items():
        per_item_ms = seconds / items * 1000
        mb_s = items * item_bytes / seconds / 1e6
        speedup = gpg_seconds / seconds
        figure(
            f"{label} {name}",
            f"{seconds:.3f} s total, {per_item_ms:.2f} ms/item, {mb_s:.1f} MB/s, speed-up vs gpg ×{speedup:.2f}",
        )
        rows[name] = {"seconds": round(seconds, 4), "ms_per_item": round(per_item_ms, 3), "speedup_vs_gpg": speedup}
    return rows


def main() -> None:
    args = parse_args()
    info = print_header("Candour sealing vs GnuPG (gpg --encrypt per item)")
    if GPG is None:
        print("SKIPPED: gpg is not installed (apt-get install gnupg); nothing measured.")
        write_result("vs_gnupg", {"machine": info, "skipped": "gpg not installed"})
        return
    gpg_version = subprocess.run([GPG, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]  # noqa: S603
    print(f"gpg: {gpg_version} ({GPG}), key RSA-4096, default settings (compression on, no fsync)")
    reviewer = generate_reviewer_keys("Bench Reviewer")
    with tempfile.TemporaryDirectory(prefix="candour-bench-gpg-") as tmp:
        work = Path(tmp)
        home = work / "gnupghome"
        fingerprint = gpg_key(home)
        pubfile = work / "reviewer.pub"
        pubfile.write_text(reviewer.public.to_line() + "\n")
        (work / "in").mkdir()
        messages = make_messages(work / "in", args.messages, args.message_bytes)
        big = make_file(work / "in" / "big.bin", args.file_mb)
        env = cli_env(work / "pycache")
        candour_cli(messages[:1], work, pubfile, env)  # warm-up: compiles the bytecode cache once
        start_up, import_cli = cli_floor(env)
        figure(
            "CLI floor",
            f"python start-up {start_up * 1000:.1f} ms, start-up + import crypto.cli {import_cli * 1000:.1f} ms",
        )
        common = (args.repeat, pubfile, reviewer.public, home, fingerprint, env)
        small = measure("messages", messages, work, *common)
        small_rows = report(f"{args.messages} × {args.message_bytes} B", small, args.messages, args.message_bytes)
        large = measure("file", [big], work, *common)
        large_rows = report(f"1 × {args.file_mb} MB", large, 1, args.file_mb * 1_000_000)
    verdicts = [
        goal(
            "faster than gpg per item (messages, CLI process per item)",
            small["candour_cli"] < small["gpg"],
            f"speed-up ×{small['gpg'] / small['candour_cli']:.2f} (CLI), "
            f"×{small['gpg'] / small['candour_in_process']:.1f} (in-process)",
        ),
        goal(
            f"faster than gpg on one {args.file_mb} MB file",
            large["candour_in_process"] < large["gpg"],
            f"speed-up ×{large['gpg'] / large['candour_in_process']:.2f} (in-process), "
            f"×{large['gpg'] / large['candour_cli']:.2f} (CLI)",
        ),
    ]
    write_result(
        "vs_gnupg",
        {
            "machine": info,
            "gpg": gpg_version,
            "cli_floor_ms": {"python_start": start_up * 1000, "import_crypto_cli": import_cli * 1000},
            "messages": small_rows,
            "file": large_rows,
            "goals": verdicts,
        },
    )


if __name__ == "__main__":
    main()
