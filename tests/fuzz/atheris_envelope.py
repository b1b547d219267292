"""atheris harness: the envelope reader (`crypto.envelope.open_envelope`).

    .venv/bin/python -m tests.fuzz.atheris_envelope -max_total_time=120

Contract: an input opens only if it is one of the valid seed envelopes, byte for
byte; anything else raises a `CandourError` subclass. Any other exception is a crash.
"""

import io

import atheris

with atheris.instrument_imports(include=["crypto"]):
    from crypto.envelope import open_envelope
    from crypto.errors import CandourError

from tests.fuzz.run_atheris import run
from tests.support.fuzz_support import valid_envelopes, world

SEEDS = set(valid_envelopes())
ALICE = world().alice


def test_one_input(data: bytes) -> None:
    try:
        open_envelope(io.BytesIO(data), io.BytesIO(), ALICE)
    except CandourError:
        return
    if data not in SEEDS:
        raise AssertionError("an envelope that is not one of the sealed seeds opened")


if __name__ == "__main__":
    run(test_one_input, SEEDS, "envelope")
