"""Runs one atheris harness: seeds a corpus with valid objects, then hands over to libFuzzer.

Not a test module (pytest collects only test_*.py). Each tests/fuzz/atheris_*.py harness
imports the crypto modules under `atheris.instrument_imports()` first, then calls `run`.
Arguments are libFuzzer's (e.g. -max_total_time=120, -runs=100000); without a corpus
directory a fresh one is made and seeded. Crashing inputs are written to
bench/out/fuzz/ (git-ignored) as crash-<sha1>.
"""

import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import atheris

ARTIFACTS = Path(__file__).resolve().parents[2] / "bench" / "out" / "fuzz"


def run(test_one_input: Callable[[bytes], None], seeds: Iterable[bytes], name: str) -> None:
    args = list(sys.argv)
    if not any(not arg.startswith("-") for arg in args[1:]):
        corpus = Path(tempfile.mkdtemp(prefix=f"candour-{name}-corpus-"))
        for number, seed in enumerate(seeds):
            (corpus / f"seed-{number}").write_bytes(seed)
        args.append(str(corpus))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if not any(arg.startswith("-artifact_prefix=") for arg in args):
        args.append(f"-artifact_prefix={ARTIFACTS}/{name}-")
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()
