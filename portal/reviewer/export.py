"""One download of a reviewer's cases as an export bundle (docs/format.md §10).

Planning reads everything the manifest needs in one read transaction (a consistent
snapshot: the cases, their submissions, parts, timeline and replies up to the
change counter `until`). Writing streams: a worker thread runs
`crypto.bundle.BundleWriter` into a bounded queue and the response yields from it,
so a blob passes through in 1 MiB pieces and is never held whole in memory, and a
slow download holds the writer back instead of piling bytes up.

Each case is exported whole (report, follow-ups, replies): the offline tool checks
every follow-up and reply against the reporter's signed report, so a case without
its report could not be read.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from crypto.bundle import (
    BundleWriter,
    audit_section,
    bundle_manifest,
    case_entry,
    reply_entry,
    reviewer_entry,
    submission_entry,
    timeline_entry,
)
from crypto.errors import CandourError
from crypto.identity import PublicIdentity, parse_public_identity
from crypto.submission import ReporterPublic
from portal import audit, workflow
from portal.store import audit_log, db, instance_meta
from portal.store import export as export_rows
from portal.store.blobs import open_blob
from portal.store.export import current_counter  # noqa: F401 - bench/growth.py reads it from here

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
QUEUE_CHUNKS = 4  # at most this many 1 MiB pieces wait for the client
PUT_WAIT_SECONDS = 1.0

# The export carries at most this many audit entries; beyond it only the head.
MAX_AUDIT_ENTRIES = 100_000

MODE_CHANGED = "changed"
MODE_ALL = "all"
MODE_CHOSEN = "chosen"


class ExportError(Exception):
    """Nothing to export, or a case cannot be exported; the message says which."""


@dataclass
class ExportPlan:
    reviewer_id: int
    identity: PublicIdentity
    mode: str
    since: int
    until: int
    day: str
    case_ids: list[str]
    reviewers: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    members: list[tuple[str, str]] = field(default_factory=list)  # (bundle member name, blob name)
    signed_list: dict[str, Any] | None = None
    workflow: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    audit_seq: int = 0  # the audit head this export carries; the reviewer's next mark

    def manifest(self) -> dict[str, Any]:
        return bundle_manifest(
            reviewer_key_id=self.identity.key_id,
            day=self.day,
            since=self.since,
            until=self.until,
            reviewers=self.reviewers,
            cases=self.cases,
            signed_list=self.signed_list,
            workflow=self.workflow,
            audit=self.audit,
        )

    @property
    def filename(self) -> str:
        return f"candour-{self.day}-{self.identity.key_id.hex()}.zip"


def last_export_mark(conn: db.Connection, reviewer_id: int) -> int:
    return export_rows.last_export_mark(conn, reviewer_id)


def plan_export(conn: db.Connection, reviewer_id: int, mode: str, chosen: list[str] | None = None) -> ExportPlan:
    """Everything the bundle will hold, read in one snapshot. Raises `ExportError`."""
    with export_rows.plan_snapshot(conn):
        return _plan(conn, reviewer_id, mode, chosen or [])


def _plan(conn: db.Connection, reviewer_id: int, mode: str, chosen: list[str]) -> ExportPlan:
    me = export_rows.reviewer_identity(conn, reviewer_id)
    if me is None:
        raise ExportError("your account is not linked to a reviewer key")
    identity = parse_public_identity(me)
    until = export_rows.current_counter(conn)
    since = export_rows.last_export_mark(conn, reviewer_id) if mode == MODE_CHANGED else 0
    if mode == MODE_CHOSEN:
        if not chosen:
            raise ExportError("choose at least one case to export")
        case_ids = sorted(set(chosen))
    else:
        case_ids = export_rows.changed_case_ids(conn, reviewer_id, since, until)
    if not case_ids:
        raise ExportError("no case is new or changed since your last export")

    cases: list[dict[str, Any]] = []
    members: list[tuple[str, str]] = []
    people: set[int] = {reviewer_id}
    for case_id in case_ids:
        row = export_rows.case_row_for(conn, case_id, reviewer_id)
        if row is None:
            # The caller checked visibility; this is a case destroyed meanwhile.
            raise ExportError(f"case {case_id} is not one of your cases (or no longer exists)")
        recipients = export_rows.case_recipients(conn, case_id)
        people.update(recipient[0] for recipient in recipients)
        cases.append(_case_entry(conn, row, [recipient[1] for recipient in recipients], members))
    by_id = export_rows.reviewer_rows(conn, people)
    reviewers = [reviewer_entry(parse_public_identity(row[2]), row[3], row[4], bool(row[5])) for row in by_id.values()]
    audit_json, audit_seq = _audit_part(conn, reviewer_id)
    return ExportPlan(
        reviewer_id=reviewer_id,
        identity=identity,
        mode=mode,
        since=since,
        until=until,
        day=db.today(),
        case_ids=case_ids,
        reviewers=reviewers,
        cases=cases,
        members=members,
        signed_list=_signed_list(conn),
        workflow=workflow.export_workflow(),
        audit=audit_json,
        audit_seq=audit_seq,
    )


def _signed_list(conn: db.Connection) -> dict[str, Any] | None:
    """The organisation-signed list exactly as loaded, or None without an organisation key."""
    if not current_app.config.get("ORG_PUBLIC_KEY"):
        return None
    text = instance_meta.get_meta(conn, instance_meta.LIST_JSON)
    return None if text is None else dict(json.loads(text))


def _audit_part(conn: db.Connection, reviewer_id: int) -> tuple[dict[str, Any], int]:
    """The trail's head and the entries after this reviewer's previous export (all on a
    first export), at most MAX_AUDIT_ENTRIES (beyond that only the head, marked truncated):
    the kit recomputes the chain from the head it pinned. Returns (section, head seq)."""
    head = audit_log.last_link(conn)
    if head is None:
        return audit_section(0, bytes(32), []), 0
    after = export_rows.last_audit_mark(conn, reviewer_id)
    rows = audit_log.rows_after(conn, after, MAX_AUDIT_ENTRIES + 1)
    truncated = len(rows) > MAX_AUDIT_ENTRIES
    # details as the exact stored text: what the chain hashed.
    listed = [
        {
            "seq": row[0],
            "day": row[1],
            "actor": row[2],
            "action": row[3],
            "case_id": row[4],
            "details": row[5],
            "entry_hash": bytes(row[6]).hex(),
        }
        for row in rows
    ]
    return audit_section(head[0], head[1], listed, truncated=truncated), head[0]


def _case_entry(conn: db.Connection, row: Any, recipients: list[str], members: list[tuple[str, str]]) -> dict[str, Any]:
    case_id = row[0]
    timeline = [
        timeline_entry(
            day=event[0],
            status=event[1],
            outcome=event[2],
            reason=event[3] or "",
            by=event[4],
            statement=None if event[5] is None else bytes(event[5]),
            signature=None if event[6] is None else bytes(event[6]),
        )
        for event in export_rows.timeline_rows(conn, case_id)
    ]
    submissions = []
    for submission in export_rows.submission_rows(conn, case_id):
        parts = export_rows.part_rows(conn, submission[0])
        entry = submission_entry(case_id, submission[0], submission[1], submission[2], [p[0] for p in parts])
        submissions.append(entry)
        members.extend((part["member"], blob[1]) for part, blob in zip(entry["parts"], parts, strict=True))
    replies = []
    reply_members: set[str] = set()
    for reply in export_rows.signed_reply_rows(conn, case_id):
        try:
            entry = reply_entry(case_id, bytes(reply[0]), bytes(reply[1]))
        except CandourError:
            # Only the upload path writes replies and it parses them first: a row that
            # does not parse was put there by hand. Leave it out rather than fail the
            # whole export; the reporter's page shows such a row as rejected.
            log.warning("export: a reply row of a case has a malformed statement; left out")
            continue
        if entry["member"] in reply_members:
            log.warning("export: a case has two reply rows with one reviewer and number; the second is left out")
            continue
        reply_members.add(entry["member"])
        replies.append(entry)
        members.append((entry["member"], reply[2]))
    return case_entry(
        case=case_id,
        created=row[1],
        status=row[2],
        outcome=row[3],
        sealed_on=row[4],
        acknowledge_by=row[5],
        feedback_by=row[6],
        recipients=recipients,
        reporter=ReporterPublic(reply_key=bytes(row[7]), sign_key=bytes(row[8])),
        timeline=timeline,
        submissions=submissions,
        replies=replies,
    )


# --- streaming ----------------------------------------------------------------------------


class _Cancelled(Exception):
    """The client went away; the writer thread stops."""


_END = object()


class _QueueSink:
    """A write-only file for zipfile: bytes go to the response in ~1 MiB pieces."""

    def __init__(self, pieces: queue.Queue[object], cancelled: threading.Event) -> None:
        self._pieces = pieces
        self._cancelled = cancelled
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self.flush_out()
        return len(data)

    def flush(self) -> None:
        # zipfile flushes after headers; sending many tiny pieces helps nobody.
        pass

    def flush_out(self) -> None:
        if self._buffer:
            piece = bytes(self._buffer)
            self._buffer.clear()
            put(self._pieces, piece, self._cancelled)


def put(pieces: queue.Queue[object], item: object, cancelled: threading.Event) -> None:
    while True:
        if cancelled.is_set():
            raise _Cancelled
        try:
            pieces.put(item, timeout=PUT_WAIT_SECONDS)
            return
        except queue.Full:
            continue


def _write_bundle(
    plan: ExportPlan, instance_path: str, pieces: queue.Queue[object], cancelled: threading.Event
) -> None:
    sink = _QueueSink(pieces, cancelled)
    try:
        writer = BundleWriter(sink, plan.identity, plan.day)  # type: ignore[arg-type]
        for member, blob in plan.members:
            with open_blob(instance_path, blob) as source:
                writer.add_member(member, source)
        writer.finish(plan.manifest())
        sink.flush_out()
        put(pieces, _END, cancelled)
    except _Cancelled:
        return
    except Exception as exc:  # handed to the response generator, which re-raises it
        try:
            put(pieces, exc, cancelled)
        except _Cancelled:
            return


def stream_bundle(plan: ExportPlan, instance_path: str, on_complete: Callable[[], None]) -> Iterator[bytes]:
    """Yield the bundle's bytes; call `on_complete` once the last byte is handed over.

    If the client disconnects the generator is closed and the writer thread stops at
    its next piece. If writing fails the generator raises: the client gets a cut-off
    file, which the offline tool refuses as incomplete, and no export is recorded.
    """
    pieces: queue.Queue[object] = queue.Queue(maxsize=QUEUE_CHUNKS)
    cancelled = threading.Event()
    thread = threading.Thread(
        target=_write_bundle, args=(plan, instance_path, pieces, cancelled), name="candour-export", daemon=True
    )
    thread.start()
    try:
        while True:
            item = pieces.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                log.error("export bundle failed: %s", type(item).__name__)
                raise item
            assert isinstance(item, bytes)  # noqa: S101 - the queue carries bytes, _END or an exception
            yield item
        on_complete()
    finally:
        cancelled.set()
        thread.join(timeout=5)


def record_export(instance_path: str, plan: ExportPlan, actor: str) -> None:
    """After the download: move the reviewer's mark (not for a chosen set, which may
    leave other changed cases out) and write the audit entry."""
    with closing(db.connect(instance_path)) as conn:
        with audit.audited_transaction(conn, instance_path):
            if plan.mode != MODE_CHOSEN:
                export_rows.move_export_mark(conn, plan.reviewer_id, plan.until)
            # Every export carries the trail up to its head, a chosen set's too.
            export_rows.move_audit_mark(conn, plan.reviewer_id, plan.audit_seq)
            audit.append(
                conn,
                actor=actor,
                action="export",
                details={
                    "mode": plan.mode,
                    "since": plan.since,
                    "until": plan.until,
                    "case_count": len(plan.case_ids),
                    "cases": plan.case_ids,
                    "members": len(plan.members),
                },
            )
