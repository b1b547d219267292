"""What the envelope's length padding (16 KiB floor, then PADMÉ) costs, by part size.

    .venv/bin/python -m bench.padding_overhead

Overhead is (padded size − content size) / content size, the 0x80 marker included;
the 17-byte tag per 64 KiB chunk and the header are not padding and are left out.
The maximum is found exactly: within one power of two, PADMÉ's rounding step is fixed
and the relative overhead is largest at the bottom of that range, so the worst case
of [2^E, 2^(E+1)) is at n = 2^E; the scan below also checks every size up to 4 MiB.
"""

import sys

from crypto.padding import MIN_PADDED_SIZE, padded_size

KIB = 1024
MIB = 1024 * KIB
TYPICAL = [
    ("1 KiB (a short report)", KIB),
    ("10 KiB", 10 * KIB),
    ("16 KiB − 1 (fills the floor)", MIN_PADDED_SIZE - 1),
    ("16 KiB", 16 * KIB),
    ("50 KiB", 50 * KIB),
    ("100 KiB", 100 * KIB),
    ("500 KiB (a scanned page)", 500 * KIB),
    ("1 MiB", MIB),
    ("1 MB + 1", 1_000_001),
    ("3.2 MB (a phone photo)", 3_200_000),
    ("10 MB", 10_000_000),
    ("25 MB (a mail attachment cap)", 25_000_000),
    ("64 MiB + 1", 64 * MIB + 1),
    ("100 MB", 100_000_000),
    ("250 MB", 250_000_000),
    ("500 MB", 500_000_000),
]
LIMIT = 500_000_000


def overhead(size: int) -> float:
    return (padded_size(size) - size) / size


def worst_case(low: int, high: int) -> tuple[float, int]:
    """Largest overhead for sizes in [low, high], with the size where it occurs."""
    candidates = {low, high}
    exponent = low.bit_length() - 1
    while (1 << exponent) <= high:
        if (1 << exponent) >= low:
            candidates.add(1 << exponent)
        exponent += 1
    worst = max(overhead(n) for n in candidates)
    return worst, min(n for n in candidates if overhead(n) == worst)


def main() -> int:
    print("reproduce: .venv/bin/python -m bench.padding_overhead")
    print(f"{'content':<32} {'bytes':>13} {'padded':>13} {'overhead':>9}")
    for label, size in TYPICAL:
        print(f"{label:<32} {size:>13,} {padded_size(size):>13,} {overhead(size):>8.2%}")

    scan_high = 4 * MIB
    scanned = max(overhead(n) for n in range(MIN_PADDED_SIZE, scan_high + 1))
    predicted = worst_case(MIN_PADDED_SIZE, scan_high)
    if scanned != predicted[0]:
        raise SystemExit(f"the exhaustive scan ({scanned}) disagrees with the power-of-two rule ({predicted})")
    worst, at = worst_case(MIN_PADDED_SIZE, LIMIT)
    print(f"\nmaximum overhead for 16 KiB ≤ n ≤ 500 MB: {worst:.2%} at n = {at:,} (checked exhaustively to 4 MiB)")
    for low, high in [(MIB, LIMIT), (10 * MIB, LIMIT), (100 * MIB, LIMIT)]:
        worst, at = worst_case(low, high)
        print(f"maximum overhead for {low // MIB} MiB ≤ n ≤ 500 MB: {worst:.2%} at n = {at:,}")
    print("below 16 KiB every part is padded to 16 KiB: the floor hides how short a report is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
