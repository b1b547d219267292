"""From a codename to its keys and its login lookup hash (docs/format.md §6).

New cases get codename derivation version 2 (one keyed BLAKE2b: microseconds, no
memory), so a new no-JavaScript report never waits for a key derivation. Cases made
before it keep version 1 (Argon2id, 64 MiB): a codename login tries version 2 first and
derives version 1, within the portal's budget (portal/argon2_budget.py), only when no
version 2 case matched and some version 1 case still exists. Why a fast derivation is
enough for a codename: docs/threat-model.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app

from crypto.codename import CODENAME_VERSION, CODENAME_VERSIONS, ReporterKeys, derive_reporter_keys, login_lookup_hash
from portal.argon2_budget import DEFAULT_WAIT_SECONDS, argon2_slot, at_low_priority
from portal.intake.refusals import Refusal, SubmissionRefused
from portal.store import cases as case_store
from portal.store.codename_versions import any_case_with_version
from portal.store.db import get_db

# The browser sends the version it derived with (static/js/report-page.js). A page
# loaded before version 2 existed sends none: its keys are version 1.
VERSION_FIELD = "codename_version"
VERSION_WHEN_ABSENT = 1


def _salt() -> bytes:
    return bytes.fromhex(current_app.config["INSTANCE_SALT"])


def keys_for(codename: str, version: int) -> ReporterKeys:
    """A codename's keys in one derivation version. Version 1 holds an Argon2 slot and
    raises Argon2BusyError when none frees up in time (or ARGON2_MAX_WAITING logins
    already wait); version 2 needs no slot."""
    if version != 1:
        return derive_reporter_keys(codename, _salt(), version)
    config, salt = current_app.config, _salt()  # read here: the low-priority thread has no app context
    with argon2_slot(int(config["ARGON2_CONCURRENCY"]), float(config.get("ARGON2_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))):
        # At low priority, so a flood of version 1 logins cannot take the CPU pages need.
        return at_low_priority(lambda: derive_reporter_keys(codename, salt, 1))


def keys_for_new_report(codename: str) -> ReporterKeys:
    """A new case's keys: the current version (2), derived at once."""
    return derive_reporter_keys(codename, _salt(), CODENAME_VERSION)


def log_in_with_codename(codename: str) -> tuple[str, ReporterKeys] | None:
    """The case a (normalised) codename opens and its keys, or None. Version 2 first;
    version 1 only if that found nothing and a version 1 case exists, so on an instance
    with none a mistyped codename costs no Argon2 at all. Raises Argon2BusyError when
    the version 1 derivation finds no slot."""
    conn = get_db()
    keys = keys_for(codename, CODENAME_VERSION)
    case_id = case_store.find_case_by_login_hash(conn, login_hash(keys.login_token))
    if case_id is not None:
        return case_id, keys
    if not any_case_with_version(conn, 1):
        return None
    keys = keys_for(codename, 1)
    case_id = case_store.find_case_by_login_hash(conn, login_hash(keys.login_token))
    return None if case_id is None else (case_id, keys)


def legacy_codenames_exist() -> bool:
    """Whether a browser whose version 2 token matched nothing should try version 1."""
    return any_case_with_version(get_db(), 1)


def browser_codename_version(values: Mapping[str, list[str]]) -> int:
    """The derivation version a browser-sealed report's keys come from."""
    given = values.get(VERSION_FIELD)
    if not given:
        return VERSION_WHEN_ABSENT
    if len(given) == 1 and given[0] in {str(version) for version in CODENAME_VERSIONS}:
        return int(given[0])
    raise SubmissionRefused(Refusal.MALFORMED, VERSION_FIELD)


def login_hash(login_token: bytes) -> bytes:
    return login_lookup_hash(login_token, bytes.fromhex(current_app.config["LOGIN_PEPPER"]))
