"""Proof-of-work stamps made in Python, as static/js/pow.js makes them in the browser."""

from __future__ import annotations

import json
from typing import Any

from crypto.identity import unb64url
from portal.flood import CHALLENGE_FIELD, COUNTER_FIELD, leading_zero_bits, stamp_hash


def solve(challenge: str, difficulty: int) -> int:
    raw = unb64url(challenge)
    counter = 0
    while leading_zero_bits(stamp_hash(raw, counter)) < difficulty:
        counter += 1
    return counter


def stamp_fields(client: Any) -> list[tuple[str, str]]:
    """A fresh challenge from the portal (Flask test client), solved: the two form fields."""
    answer = json.loads(client.get("/report/challenge").get_data(as_text=True))
    counter = solve(answer["challenge"], int(answer["difficulty"]))
    return [(CHALLENGE_FIELD, answer["challenge"]), (COUNTER_FIELD, str(counter))]
