"""The Argon2id budget: a bounded number of derivations, and a bounded queue of
waiters beyond which a request is refused at once (portal/argon2_budget.py)."""

from __future__ import annotations

import threading
import time

import pytest

from portal.argon2_budget import Argon2BusyError, argon2_slot


def test_waiters_beyond_the_queue_are_refused_at_once() -> None:
    release = threading.Event()
    entered = threading.Barrier(2)
    waiting_started = threading.Event()
    outcomes: list[str] = []

    def holder() -> None:
        with argon2_slot(1, wait_seconds=10, max_waiting=1):
            entered.wait(timeout=10)
            release.wait(timeout=10)

    def waiter() -> None:
        waiting_started.set()
        try:
            with argon2_slot(1, wait_seconds=10, max_waiting=1):
                outcomes.append("got the slot")
        except Argon2BusyError:
            outcomes.append("refused")

    holding = threading.Thread(target=holder)
    holding.start()
    entered.wait(timeout=10)
    queued = threading.Thread(target=waiter)
    queued.start()
    waiting_started.wait(timeout=10)
    time.sleep(0.1)  # the waiter is now inside the semaphore's wait
    started = time.monotonic()
    with pytest.raises(Argon2BusyError), argon2_slot(1, wait_seconds=10, max_waiting=1):
        pass
    assert time.monotonic() - started < 0.05
    release.set()
    holding.join(timeout=10)
    queued.join(timeout=10)
    assert outcomes == ["got the slot"]


def test_without_a_queue_bound_a_waiter_times_out() -> None:
    with argon2_slot(1):
        started = time.monotonic()
        with pytest.raises(Argon2BusyError), argon2_slot(1, wait_seconds=0.2):
            pass
        assert 0.15 < time.monotonic() - started < 5


def test_a_free_slot_is_taken_even_with_a_zero_queue() -> None:
    with argon2_slot(2, max_waiting=0), argon2_slot(2, max_waiting=0):
        with pytest.raises(Argon2BusyError), argon2_slot(2, max_waiting=0):
            pass


def test_a_login_derivation_runs_on_a_lower_priority_thread_and_returns_its_result() -> None:
    import os
    import threading

    from portal.argon2_budget import LOW_PRIORITY_NICE, at_low_priority

    def niceness_here() -> tuple[int, int]:
        own = threading.get_native_id()
        return own, os.getpriority(os.PRIO_PROCESS, own)

    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread_id, niceness = at_low_priority(niceness_here)
    assert thread_id != threading.get_native_id()
    assert niceness == min(19, caller + LOW_PRIORITY_NICE)
    # The caller's own priority is untouched.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller
