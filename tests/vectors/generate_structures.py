"""Write the structure vectors (docs/format.md §13.2): one JSON file per case in
tests/vectors/<family>/, for key files, identity and organisation lines, signed lists,
codenames, envelope streams, submissions, replies, reply files and export bundles.

    .venv/bin/python -m tests.vectors.generate_structures                  # rewrite every family folder
    .venv/bin/python -m tests.vectors.generate_structures --family reply   # rewrite one family
    .venv/bin/python -m tests.vectors.generate_structures --check          # build and check, write nothing

Every vector is run against the Python reference before anything is written; a vector
the reference does not meet stops the generator unless its disagreement is listed, with
the reason, in tests/vectors/known_disagreements.py (the normative text wins; the code
is fixed, then the entry removed). Inputs are fixed (seeds, salts, nonces, days);
sealed boxes and secretstream headers draw their own randomness in libsodium, so a
regenerated set has other bytes and the same outcomes. The files are committed and
the test checks the committed files, as for the envelope vectors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from tests.vectors.known_disagreements import KNOWN_DISAGREEMENTS
from tests.vectors.structure_cases import codename_vectors, stream_vectors, submission_vectors
from tests.vectors.structure_common import Vector
from tests.vectors.structure_keys import identity_vectors, keyfile_vectors, list_vectors, org_vectors
from tests.vectors.structure_replies import bundle_vectors, reply_vectors, replyfile_vectors
from tests.vectors.structure_runners import MissingApi, matches, run

HERE = Path(__file__).resolve().parent
FAMILIES: tuple[Callable[[], Iterable[Vector]], ...] = (
    keyfile_vectors,
    identity_vectors,
    org_vectors,
    list_vectors,
    codename_vectors,
    stream_vectors,
    submission_vectors,
    reply_vectors,
    replyfile_vectors,
    bundle_vectors,
)
FAMILY_NAMES = (
    "keyfile",
    "identity",
    "org",
    "list",
    "codename",
    "stream",
    "submission",
    "reply",
    "replyfile",
    "bundle",
)


def build() -> list[Vector]:
    vectors: list[Vector] = []
    for family in FAMILIES:
        vectors.extend(family())
    names = [vector.name for vector in vectors]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f"two vectors share a name: {duplicates}"
    assert {vector.family for vector in vectors} <= set(FAMILY_NAMES)
    return vectors


def check(vectors: Iterable[Vector]) -> Iterator[str]:
    """Yield a line per problem: an unmet vector not listed, or a listed one that now passes."""
    for vector in vectors:
        document = json.loads(json.dumps(vector.document()))  # exactly what the file will hold
        try:
            result = run(document)
        except MissingApi as missing:
            result = {"outcome": f"not runnable: {missing}"}
        met = matches(document, result)
        listed = vector.name in KNOWN_DISAGREEMENTS
        if not met and not listed:
            yield f"{vector.name}: expected {document['expected']}, the reference gave {result}"
        if met and listed:
            yield f"{vector.name}: the reference now meets it; remove it from known_disagreements.py"


def write(vectors: list[Vector], families: Iterable[str]) -> None:
    """Rewrite the folders of `families` only: regenerating redraws libsodium's randomness,
    so every file of a rewritten family changes."""
    families = set(families)
    for family in families:
        folder = HERE / family
        folder.mkdir(exist_ok=True)
        for stale in folder.glob("*.json"):
            stale.unlink()
    for vector in vectors:
        if vector.family not in families:
            continue
        path = HERE / vector.family / f"{vector.case}.json"
        path.write_text(json.dumps(vector.document(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="build and check the vectors, write nothing")
    parser.add_argument(
        "--family", action="append", choices=FAMILY_NAMES, help="rewrite only this family (repeatable; default: all)"
    )
    args = parser.parse_args()
    vectors = build()
    problems = list(check(vectors))
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    if not args.check:
        write(vectors, args.family or FAMILY_NAMES)
    print(f"{len(vectors)} structure vectors {'checked' if args.check else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
