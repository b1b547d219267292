"""Codename derivation, version 1 (Argon2id, 64 MiB) against version 2 (keyed BLAKE2b),
per call, in one run: wall time and CPU time of everything a new case needs from its
codename (`derive_reporter_keys`: the master key and three subkeys, then the X25519 reply
public key and the Ed25519 public key), and of the master key alone.

    .venv/bin/python bench/codename_derivation.py [--v1-calls 20] [--v2-calls 20000]

Each version derives fresh codenames (generated before timing) under one instance salt;
the medians and the ratio v1 / v2 are printed. Also the peak memory one call adds
(ru_maxrss before and after the first v1 call, in a process that has not run Argon2).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

from bench.support.common import figure, print_header, write_result

from crypto.codename import derive_master_key, derive_reporter_keys, generate_codename


def new_case_keys(codename: str, salt: bytes, version: int) -> tuple[bytes, bytes, bytes]:
    """What the portal stores for a new case: the login token and both public keys."""
    keys = derive_reporter_keys(codename, salt, version)
    return keys.login_token, keys.reply_public_key, keys.sign_public_key


def per_call(function: object, codenames: list[str], salt: bytes, version: int) -> tuple[float, float]:
    """Median wall seconds and mean CPU seconds per call."""
    assert callable(function)
    walls = []
    cpu_start = time.process_time()
    for codename in codenames:
        start = time.perf_counter()
        function(codename, salt, version)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), (time.process_time() - cpu_start) / len(codenames)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--v1-calls", type=int, default=20)
    parser.add_argument("--v2-calls", type=int, default=20000)
    args = parser.parse_args()
    info = print_header("codename derivation v1 (Argon2id) vs v2 (keyed BLAKE2b)")
    salt = bytes(range(16))
    v1_names = [generate_codename() for _ in range(args.v1_calls)]
    v2_names = [generate_codename() for _ in range(args.v2_calls)]

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    derive_master_key(v1_names[0], salt, 1)
    rss_added_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before

    results = {}
    for label, function in (("keys", new_case_keys), ("master key", derive_master_key)):
        v1_wall, v1_cpu = per_call(function, v1_names, salt, 1)
        v2_wall, v2_cpu = per_call(function, v2_names, salt, 2)
        figure(f"{label}, v1 per call", f"{v1_wall * 1e3:.2f} ms wall (median), {v1_cpu * 1e3:.2f} ms CPU (mean)")
        figure(f"{label}, v2 per call", f"{v2_wall * 1e6:.1f} µs wall (median), {v2_cpu * 1e6:.1f} µs CPU (mean)")
        figure(f"{label}, ratio v1 / v2", f"{v1_wall / v2_wall:,.0f}× wall, {v1_cpu / v2_cpu:,.0f}× CPU")
        results[label] = {"v1_wall_s": v1_wall, "v1_cpu_s": v1_cpu, "v2_wall_s": v2_wall, "v2_cpu_s": v2_cpu}
    figure("peak memory one v1 call adds", f"{rss_added_kib / 1024:.0f} MiB (v2: none measurable)")
    keys_v2_per_core = 1 / results["keys"]["v2_cpu_s"]
    figure("v2 derivations per second per core (keys)", f"{keys_v2_per_core:,.0f}")
    write_result(
        "codename_derivation",
        {"machine": info, "results": results, "v1_rss_added_kib": rss_added_kib, "calls": vars(args)},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
