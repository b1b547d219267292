"""The organisation's audit trail as an export carries it, and the check that it was never rewritten.

docs/format.md §10 (manifest v2) and docs/architecture.md: every audit entry is
{seq, day, actor, action, case_id, details} and

    entry_hash = BLAKE2b-256(previous entry_hash ‖ canonical JSON of
                             {seq, day, actor, action, case_id, details})

with the first entry chained to 32 zero bytes, `details` hashed as the JSON text the
portal stores, and canonical JSON = sorted keys, no spaces, UTF-8 (not \\u-escaped).
The export carries the current head and the entries after the reviewer's previous
export; the kit checks, from the head it pinned last time, that the new head extends
it. Nothing here is about report content: entries say who did what on which day.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .strict_json import JsonReader

GENESIS = bytes(32)
HASH_BYTES = 32
MAX_ENTRIES = 100_000
MAX_SEQ = 2**63 - 1
MAX_FIELD_CHARS = 1_000
MAX_DETAILS_CHARS = 64 * 1024

REWRITTEN = "the organisation's audit trail was rewritten since your last export"


@dataclass(frozen=True)
class AuditHead:
    seq: int
    hash: bytes


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    day: str
    actor: str
    action: str
    case_id: str | None
    details: str  # the canonical JSON text, as stored and hashed
    entry_hash: bytes


@dataclass(frozen=True)
class AuditTrail:
    head: AuditHead
    entries: tuple[AuditEntry, ...]
    truncated: bool


@dataclass(frozen=True)
class Continuity:
    """The outcome of `check_continuity`: `ok` False means rewritten; `checked` False means it could not be told."""

    ok: bool
    checked: bool
    message: str


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(prev_hash: bytes, entry: AuditEntry) -> bytes:
    body = canonical_json(
        {
            "seq": entry.seq,
            "day": entry.day,
            "actor": entry.actor,
            "action": entry.action,
            "case_id": entry.case_id,
            "details": entry.details,
        }
    )
    return hashlib.blake2b(prev_hash + body, digest_size=32).digest()


_ENTRY_KEYS = ("seq", "day", "actor", "action", "case_id", "details", "entry_hash")


def parse_audit(r: JsonReader, value: Any, where: str = "the audit trail") -> AuditTrail:
    """Check the manifest's `audit` object strictly with reader `r` (its errors are `r`'s)."""
    top = r.obj(value, where, ("head", "entries"), ("truncated",))
    head_json = r.obj(top["head"], f"{where}'s head", ("seq", "hash"))
    head = AuditHead(
        seq=r.integer(head_json["seq"], f"{where}'s head seq", 0, MAX_SEQ),
        hash=r.hex_bytes(head_json["hash"], f"{where}'s head hash", HASH_BYTES),
    )
    truncated = r.boolean(top["truncated"], f"{where}'s truncated") if "truncated" in top else False
    entries: list[AuditEntry] = []
    for item in r.list(top["entries"], f"{where}'s entries", MAX_ENTRIES):
        item = r.obj(item, f"an entry of {where}", _ENTRY_KEYS)
        details = item["details"]
        if isinstance(details, (dict, list)):
            # An object is hashed as the portal stores it: its canonical JSON text.
            details = canonical_json(details).decode("utf-8")
        entries.append(
            AuditEntry(
                seq=r.integer(item["seq"], f"an entry seq of {where}", 1, MAX_SEQ),
                day=r.day(item["day"], f"an entry day of {where}"),
                actor=r.text(item["actor"], f"an entry actor of {where}", MAX_FIELD_CHARS),
                action=r.text(item["action"], f"an entry action of {where}", MAX_FIELD_CHARS, non_empty=True),
                case_id=r.optional_text(item["case_id"], f"an entry case_id of {where}", MAX_FIELD_CHARS),
                details=r.text(details, f"an entry's details in {where}", MAX_DETAILS_CHARS),
                entry_hash=r.hex_bytes(item["entry_hash"], f"an entry hash of {where}", HASH_BYTES),
            )
        )
    for before, after in zip(entries, entries[1:], strict=False):
        if after.seq != before.seq + 1:
            raise r.fail(f"{where}'s entries jump from {before.seq} to {after.seq}")
    if entries and (entries[-1].seq != head.seq or entries[-1].entry_hash != head.hash):
        raise r.fail(f"{where}'s last entry is not its head")
    if head.seq == 0 and head.hash != GENESIS:
        raise r.fail(f"{where}'s head is entry 0 but not the empty trail")
    return AuditTrail(head=head, entries=tuple(entries), truncated=truncated)


def check_continuity(trail: AuditTrail, pinned: AuditHead | None) -> Continuity:
    """Does `trail` extend `pinned` (the head from the reviewer's last export)?

    The entries are recomputed as a chain; the pinned head must be one of them (same
    seq, same hash), or the entry just before the first one, or — with no new entries —
    the head itself. A head older than the pinned one, or any other mismatch, is a
    rewrite. When the export holds too few entries to tell (truncated, or entries of an
    export that was never opened here are missing), `checked` is False.
    """
    entries = trail.entries
    # The chain inside the export must hold together on its own.
    for before, after in zip(entries, entries[1:], strict=False):
        if entry_hash(before.entry_hash, after) != after.entry_hash:
            return Continuity(False, True, f"{REWRITTEN}: entry {after.seq} does not follow entry {before.seq}")
    if entries and entries[0].seq == 1 and entry_hash(GENESIS, entries[0]) != entries[0].entry_hash:
        return Continuity(False, True, f"{REWRITTEN}: its first entry does not hash to what it claims")
    if pinned is None:
        return Continuity(True, False, "first export seen here: the audit trail's head is now pinned")
    head = trail.head
    if head.seq < pinned.seq:
        return Continuity(False, True, f"{REWRITTEN}: it now ends at entry {head.seq}, before entry {pinned.seq}")
    if head.seq == pinned.seq:
        if head.hash != pinned.hash:
            return Continuity(False, True, f"{REWRITTEN}: entry {pinned.seq} has changed")
        return Continuity(True, True, "the audit trail has no new entries and matches your last export")
    if not entries:
        return Continuity(True, False, "the export carries only the audit trail's head: continuity not checked")
    first = entries[0]
    if first.seq == pinned.seq + 1:
        if entry_hash(pinned.hash, first) != first.entry_hash:
            return Continuity(False, True, f"{REWRITTEN}: entry {first.seq} does not follow entry {pinned.seq}")
        return Continuity(True, True, f"the audit trail extends your last export (entries {first.seq}–{head.seq})")
    if first.seq <= pinned.seq:
        match = entries[pinned.seq - first.seq]
        if match.entry_hash != pinned.hash:
            return Continuity(False, True, f"{REWRITTEN}: entry {pinned.seq} has changed")
        return Continuity(True, True, f"the audit trail extends your last export (to entry {head.seq})")
    return Continuity(
        True,
        False,
        f"the export's audit entries start at {first.seq}, after your last export's head {pinned.seq} "
        "(an export was not opened on this machine): continuity not checked",
    )
