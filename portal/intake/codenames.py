"""From a codename to its keys and its login lookup hash, within the portal's
key-derivation budget (portal/argon2_budget.py)."""

from __future__ import annotations

from flask import current_app

from crypto.codename import ReporterKeys, derive_reporter_keys, login_lookup_hash
from portal.argon2_budget import DEFAULT_WAIT_SECONDS, argon2_slot, at_low_priority


def keys_for(codename: str) -> ReporterKeys:
    """A codename login's keys, derived at low priority so a flood of logins cannot take
    the CPU that pages need. Raises Argon2BusyError when no derivation slot frees up
    in time (or ARGON2_MAX_WAITING logins already wait)."""
    config = current_app.config
    salt = bytes.fromhex(config["INSTANCE_SALT"])
    with argon2_slot(int(config["ARGON2_CONCURRENCY"]), float(config.get("ARGON2_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))):
        return at_low_priority(lambda: derive_reporter_keys(codename, salt))


def keys_for_new_report(codename: str) -> ReporterKeys:
    """A new no-JavaScript report's keys: waits in the reports' own, longer queue
    (NOJS_REPORT_QUEUE, NOJS_REPORT_WAIT_SECONDS). Raises Argon2BusyError beyond it."""
    config = current_app.config
    with argon2_slot(
        int(config["ARGON2_CONCURRENCY"]),
        float(config.get("NOJS_REPORT_WAIT_SECONDS", 60)),
        int(config.get("NOJS_REPORT_QUEUE", 48)),
        queue="report",
    ):
        return derive_reporter_keys(codename, bytes.fromhex(config["INSTANCE_SALT"]))


def login_hash(login_token: bytes) -> bytes:
    return login_lookup_hash(login_token, bytes.fromhex(current_app.config["LOGIN_PEPPER"]))
