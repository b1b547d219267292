"""Flood control without tracking people (issue #7 item 1).

Nothing here stores or logs an IP address, a user agent or a time about a reporter:
behind an onion service every client is 127.0.0.1 anyway, and a per-address limit
would be a list of who sent what when. Instead:

- Proof of work on browser-sealed submissions and follow-ups. `GET /report/challenge`
  hands out a stateless challenge: 16 random bytes, a difficulty and a coarse expiry
  (a minute number), MACed with a key derived from the in-memory reporter session key
  that gunicorn's master shares with every worker, so any worker can check it. The
  browser (static/js/pow.js) finds a counter such that
  BLAKE2b-256(challenge ‖ counter as 8 bytes big-endian) has at least `difficulty`
  leading zero bits and sends challenge and counter as the form fields right after
  the CSRF token, before any part. A spent challenge is remembered in memory until it
  expires, per process: a stamp can be spent at most once per worker (with 2 workers,
  at most twice) — still one unit of work per submission or two.
- The difficulty is POW_BASE_BITS, raised by POW_STEP_BITS for each doubling of the
  recent rate of admitted stamps above POW_RATE_THRESHOLD per minute (a per-process
  ring of per-10-second counts: numbers only, no identifiers, no times of anyone).
- Process-wide gates (`ConcurrencyGate`): server-side sealing uploads on the
  no-JavaScript path (SERVER_SEALING_CONCURRENCY) and reporter POSTs as a whole
  (REPORTER_POST_CONCURRENCY, below gunicorn's threads) so a flood of slow uploads can
  never take the threads a reviewer's workspace needs. Beyond a gate: 503 at once.
- Follow-ups per case per day (FOLLOWUPS_PER_CASE_PER_DAY), counted in memory under
  a keyed hash of the case id, per process, forgotten when the UTC day changes or the
  server restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass

from crypto.identity import b64url, unb64url

NONCE_BYTES = 16
MAC_BYTES = 16
# nonce ‖ difficulty (1 byte) ‖ expiry minute (4 bytes) ‖ MAC
CHALLENGE_BYTES = NONCE_BYTES + 1 + 4 + MAC_BYTES
COUNTER_BYTES = 8
MAX_DIFFICULTY = 32
RATE_SLOT_SECONDS = 10
RATE_SLOTS = 6  # 6 × 10 s: the last minute
CHALLENGE_FIELD = "pow_challenge"
COUNTER_FIELD = "pow_counter"


class StampError(Exception):
    """A proof-of-work stamp that must not admit a submission; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pow_key(session_key: bytes) -> bytes:
    # A separate key for MACs, so a challenge can never be confused with a cookie.
    return hashlib.blake2b(b"candour-pow-mac", key=session_key, digest_size=32, person=b"candour-pow-v1").digest()


def _mac(key: bytes, body: bytes) -> bytes:
    return hashlib.blake2b(body, key=key, digest_size=MAC_BYTES).digest()


def _minute(now: float) -> int:
    return int(now // 60)


def issue_challenge(key: bytes, difficulty: int, ttl_seconds: int, now: float | None = None) -> str:
    """A fresh challenge token (b64u) valid for about `ttl_seconds`."""
    if not 0 <= difficulty <= MAX_DIFFICULTY:
        raise ValueError(f"difficulty must be 0..{MAX_DIFFICULTY}, not {difficulty}")
    moment = time.time() if now is None else now
    # Rounded up to the next minute: coarse, so the token says little about when it was made.
    expiry = _minute(moment + ttl_seconds) + 1
    body = secrets.token_bytes(NONCE_BYTES) + bytes([difficulty]) + expiry.to_bytes(4, "big")
    return b64url(body + _mac(key, body))


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + (8 - byte.bit_length())
    return bits


def stamp_hash(challenge: bytes, counter: int) -> bytes:
    return hashlib.blake2b(challenge + counter.to_bytes(COUNTER_BYTES, "big"), digest_size=32).digest()


@dataclass(frozen=True)
class Stamp:
    nonce: bytes
    difficulty: int
    expiry_minute: int


def verify_stamp(key: bytes, challenge: str, counter: str, min_bits: int, now: float | None = None) -> Stamp:
    """Check a stamp's MAC, expiry and work; raises StampError. Reuse is `SpentStamps`' job."""
    try:
        raw = unb64url(challenge) if 0 < len(challenge) <= 64 else b""
    except ValueError:
        raw = b""
    if len(raw) != CHALLENGE_BYTES:
        raise StampError("malformed")
    body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(_mac(key, body), mac):
        raise StampError("forged")
    difficulty = body[NONCE_BYTES]
    expiry = int.from_bytes(body[NONCE_BYTES + 1 :], "big")
    if _minute(time.time() if now is None else now) > expiry:
        raise StampError("expired")
    if difficulty < min_bits:
        raise StampError("too_easy")
    if not counter.isdigit() or len(counter) > 20 or int(counter) >= 1 << (8 * COUNTER_BYTES):
        raise StampError("malformed")
    if leading_zero_bits(stamp_hash(raw, int(counter))) < difficulty:
        raise StampError("insufficient")
    return Stamp(nonce=body[:NONCE_BYTES], difficulty=difficulty, expiry_minute=expiry)


class SpentStamps:
    """Nonces of stamps already spent in this process, each kept until it expires."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._spent: dict[bytes, int] = {}
        self._capacity = capacity

    def spend(self, stamp: Stamp, now: float | None = None) -> bool:
        """True if the stamp was unspent (and is now spent); False if reused or the set is full."""
        minute = _minute(time.time() if now is None else now)
        with self._lock:
            if stamp.nonce in self._spent:
                return False
            if len(self._spent) >= self._capacity:
                self._spent = {nonce: expiry for nonce, expiry in self._spent.items() if expiry >= minute}
                if len(self._spent) >= self._capacity:
                    return False  # refuse rather than forget: a full set means a flood
            self._spent[stamp.nonce] = stamp.expiry_minute
            return True


class SubmissionRate:
    """Admitted stamps in the last minute, per process: a ring of per-10-second counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = [0] * RATE_SLOTS
        self._slot = 0

    def _advance(self, now: float) -> None:
        slot = int(now // RATE_SLOT_SECONDS)
        for passed in range(self._slot + 1, min(slot, self._slot + RATE_SLOTS) + 1):
            self._counts[passed % RATE_SLOTS] = 0
        if slot - self._slot >= RATE_SLOTS:
            self._counts = [0] * RATE_SLOTS
        self._slot = max(self._slot, slot)

    def record(self, now: float | None = None) -> None:
        with self._lock:
            self._advance(time.monotonic() if now is None else now)
            self._counts[self._slot % RATE_SLOTS] += 1

    def per_minute(self, now: float | None = None) -> int:
        with self._lock:
            self._advance(time.monotonic() if now is None else now)
            return sum(self._counts)


def difficulty_for(rate_per_minute: int, base_bits: int, step_bits: int, threshold: int, max_bits: int) -> int:
    """POW_BASE_BITS, plus POW_STEP_BITS per doubling of the rate above the threshold."""
    if threshold < 1 or rate_per_minute <= threshold:
        return min(base_bits, max_bits)
    doublings = math.ceil(math.log2(rate_per_minute / threshold))
    return min(base_bits + step_bits * doublings, max_bits)


class ConcurrencyGate:
    """A process-wide count of requests inside a section. `try_enter` never waits;
    `enter` may wait a short, bounded while for a place."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._inside = 0
        self._waiting = 0

    def try_enter(self, limit: int) -> bool:
        with self._lock:
            if self._inside >= limit:
                return False
            self._inside += 1
            return True

    def enter(self, limit: int, *, wait_seconds: float, max_waiting: int) -> bool:
        """Enter at once if there is room, else wait up to `wait_seconds` for a place,
        unless `max_waiting` requests already wait (then refuse at once)."""
        with self._lock:
            if self._inside < limit:
                self._inside += 1
                return True
            if self._waiting >= max_waiting or wait_seconds <= 0:
                return False
            self._waiting += 1
            try:
                if not self._freed.wait_for(lambda: self._inside < limit, timeout=wait_seconds):
                    return False
            finally:
                self._waiting -= 1
            self._inside += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._inside = max(0, self._inside - 1)
            self._freed.notify()

    @property
    def inside(self) -> int:
        return self._inside


class DailyCaseCounter:
    """Follow-ups per case today, in memory only, under a keyed hash of the case id.

    No time is kept per case: the whole table is forgotten when the UTC day changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day = ""
        self._counts: dict[bytes, int] = {}

    @staticmethod
    def _slot(key: bytes, case_id: str) -> bytes:
        return hashlib.blake2b(case_id.encode("utf-8"), key=key, digest_size=16, person=b"candour-fu-cnt").digest()

    def _roll(self, day: str) -> None:
        if day != self._day:
            self._day = day
            self._counts = {}

    def count(self, key: bytes, case_id: str, day: str) -> int:
        with self._lock:
            self._roll(day)
            return self._counts.get(self._slot(key, case_id), 0)

    def add(self, key: bytes, case_id: str, day: str) -> None:
        with self._lock:
            self._roll(day)
            slot = self._slot(key, case_id)
            self._counts[slot] = self._counts.get(slot, 0) + 1


# One of each per process (gunicorn worker): module state, shared by every app object.
SPENT = SpentStamps()
RATE = SubmissionRate()
SERVER_SEALING = ConcurrencyGate()
REPORTER_POSTS = ConcurrencyGate()
FOLLOWUPS = DailyCaseCounter()
