"""The audit trail: every reviewer and administrator action, to the day, hash-chained.

Each entry is {seq, day, actor, action, case_id, details} and
entry_hash = BLAKE2b-256(previous entry_hash ‖ canonical JSON of the entry), the
first entry chained to 32 zero bytes. Editing, reordering or deleting an entry breaks
the chain from that point on. Deleting the newest entries (truncating the tail) keeps
a valid chain, so the newest (seq, hash) is also written to `instance/audit-head`
after every commit; `verify_chain` checks the chain reaches it.

`details` never carries report content: counts, statuses, reasons a reviewer typed
for the reporter (already shown to the reporter), key ids and usernames.

What reporters see of a case's history is the status_events table, read with
`portal.store.cases.list_status_events` (one source of truth); the trail records
the same action as well, for the organisation.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.files import write_atomically
from portal.store import audit_log
from portal.store.audit_log import actor_label as actor_label  # part of this module's API
from portal.store.db import Connection, today, transaction

HEAD_FILENAME = "audit-head"
GENESIS = bytes(32)
SYSTEM = "system"

# Every action the trail knows; a typo in a caller fails loudly instead of writing
# an action nobody searches for.
ACTIONS = frozenset(
    {
        "login",
        "login_failed",
        "logout",
        "second_factor_enrolled",
        "password_changed",
        "export",
        "replies_imported",
        "status_changed",
        "reviewer_added",
        "reviewer_removed",
        "reviewer_required_changed",
        "account_created",
        "password_reset",
        "second_factor_reset",
        "sessions_revoked",
        "reset_requested",
        "reset_withdrawn",
        "org_reviewer_list_loaded",
        "retention_purge",
        "backup_made",
        "instance_restored",
        # e-mail notifications (portal/notify/)
        "digest_sent",
        "case_escalated",
        "notify_address_requested",
        "notify_address_confirmed",
        "notify_address_removed",
    }
)


class AuditError(Exception):
    """The audit trail could not be written."""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    day: str
    actor: str
    action: str
    case_id: str | None
    details: dict[str, Any]
    entry_hash: bytes


@dataclass(frozen=True)
class ChainProblem:
    """The first thing wrong with the trail: `seq` is where it was found."""

    seq: int | None
    message: str


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: one byte string per value, so the hash is stable."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(
    prev_hash: bytes, *, seq: int, day: str, actor: str, action: str, case_id: str | None, details_json: str
) -> bytes:
    # details are hashed as the exact stored text (already canonical), so a
    # verifier never re-serialises what it read.
    body = canonical_json(
        {"seq": seq, "day": day, "actor": actor, "action": action, "case_id": case_id, "details": details_json}
    )
    return hashlib.blake2b(prev_hash + body, digest_size=32).digest()


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    case_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry inside the caller's transaction (so the action and its record
    commit together). Call `anchor_head` after the commit."""
    if action not in ACTIONS:
        raise AuditError(f"unknown audit action {action!r}; add it to portal.audit.ACTIONS")
    if not conn.in_transaction:
        raise AuditError("audit.append must run inside a transaction (use store.db.transaction)")
    details_json = canonical_json(dict(details or {})).decode("utf-8")
    last = audit_log.last_link(conn)
    seq, prev = (1, GENESIS) if last is None else (last[0] + 1, last[1])
    day = today()
    digest = entry_hash(prev, seq=seq, day=day, actor=actor, action=action, case_id=case_id, details_json=details_json)
    audit_log.insert_entry(
        conn,
        seq=seq,
        day=day,
        actor=actor,
        action=action,
        case_id=case_id,
        details_json=details_json,
        entry_hash=digest,
    )
    return AuditEntry(seq, day, actor, action, case_id, json.loads(details_json), digest)


def record(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    *,
    actor: str,
    action: str,
    case_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in its own transaction and anchor the head."""
    with transaction(conn):
        entry = append(conn, actor=actor, action=action, case_id=case_id, details=details)
    anchor_head(conn, instance_path)
    return entry


@contextmanager
def audited_transaction(conn: Connection, instance_path: str | os.PathLike[str]) -> Iterator[Connection]:
    """`transaction(conn)` that anchors the audit head after a successful commit."""
    with transaction(conn):
        yield conn
    anchor_head(conn, instance_path)


# --- the head anchor ---------------------------------------------------------------------


def _head_path(instance_path: str | os.PathLike[str]) -> Path:
    return Path(instance_path) / HEAD_FILENAME


def read_head(instance_path: str | os.PathLike[str]) -> tuple[int, bytes] | None:
    """(seq, entry_hash) from instance/audit-head, or None if there is none."""
    try:
        text = _head_path(instance_path).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    try:
        seq_text, hash_text = text.split()
        return int(seq_text), bytes.fromhex(hash_text)
    except ValueError as exc:
        raise AuditError(f"{_head_path(instance_path)} is damaged (expected 'SEQ HASH'): {text[:80]!r}") from exc


def anchor_head(conn: Connection, instance_path: str | os.PathLike[str]) -> None:
    """Write the newest committed (seq, hash) to instance/audit-head, atomically.

    Several workers append concurrently; a lock file serialises the writers and a
    head never moves backwards, so a slow writer cannot replace a newer head with
    an older one.
    """
    head = _head_path(instance_path)
    with open(head.with_name(HEAD_FILENAME + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        row = audit_log.last_link(conn)
        if row is None:
            return
        current = read_head(instance_path)
        if current is not None and current[0] >= row[0]:
            return
        write_atomically(head, f"{row[0]} {row[1].hex()}\n".encode("ascii"), mode=0o600, strict=True)


# --- reading and verifying -------------------------------------------------------------------


def entry_from_row(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=row[0],
        day=row[1],
        actor=row[2],
        action=row[3],
        case_id=row[4],
        details=json.loads(row[5]),
        entry_hash=bytes(row[6]),
    )


def entries_for_case(conn: Connection, case_id: str) -> list[AuditEntry]:
    """A case's part of the trail, oldest first (what a reviewer sees on the case page)."""
    return [entry_from_row(row) for row in audit_log.rows_for_case(conn, case_id)]


def recent_entries(conn: Connection, limit: int = 200) -> list[AuditEntry]:
    return [entry_from_row(row) for row in audit_log.recent_rows(conn, limit)]


def entries_after(conn: Connection, seq: int, limit: int) -> list[AuditEntry]:
    """Entries after `seq`, oldest first, at most `limit` (an export's part of the trail)."""
    return [entry_from_row(row) for row in audit_log.rows_after(conn, seq, limit)]


def entries_about(conn: Connection, actor: str, limit: int = 200) -> list[AuditEntry]:
    """The newest entries an account did, or that were done to it (an account holder's own view)."""
    return [entry_from_row(row) for row in audit_log.rows_for_actor(conn, actor, limit)]


def verify_chain(conn: Connection, instance_path: str | os.PathLike[str]) -> tuple[int, ChainProblem | None]:
    """Walk the whole trail. Returns (entries checked, the first problem or None).

    Finds: a gap or repeat in seq (deleted or reordered entries), an entry whose hash
    does not follow from its content and its predecessor (edited, reordered, or
    inserted), and a trail that ends before the anchored head (truncated tail) or
    whose head entry differs from the anchor (tail replaced).
    """
    expected_seq = 1
    prev = GENESIS
    count = 0
    hashes_at: dict[int, bytes] = {}
    head = read_head(instance_path)
    for row in audit_log.all_rows_in_storage_order(conn):
        seq, day, actor, action, case_id, details_json, stored = row
        if seq != expected_seq:
            what = "missing (deleted)" if seq > expected_seq else "out of order or repeated"
            return count, ChainProblem(expected_seq, f"entry {expected_seq} is {what}: the next entry found is {seq}")
        computed = entry_hash(
            prev, seq=seq, day=day, actor=actor, action=action, case_id=case_id, details_json=details_json
        )
        if computed != bytes(stored):
            return count, ChainProblem(
                seq,
                f"entry {seq} does not match the chain: it, or an entry before it, was edited, reordered or replaced",
            )
        if head is not None and seq == head[0]:
            hashes_at[seq] = computed
        prev = computed
        expected_seq += 1
        count += 1
    if head is None:
        if count:
            return count, ChainProblem(
                None, f"{HEAD_FILENAME} is missing from the instance but the trail has {count} entries"
            )
        return count, None
    head_seq, head_hash = head
    if head_seq > count:
        return count, ChainProblem(
            count + 1,
            f"the trail ends at entry {count} but {HEAD_FILENAME} records entry {head_seq}: "
            f"entries {count + 1}–{head_seq} were deleted (the tail was truncated)",
        )
    if hashes_at.get(head_seq) != head_hash:
        return count, ChainProblem(
            head_seq, f"entry {head_seq} differs from the one {HEAD_FILENAME} recorded: the tail was replaced"
        )
    return count, None
