"""Cases, submissions and what a reporter sees of them.

Everything here is either ciphertext (blob names, sealed reply copies), public keys,
keyed hashes or day-grained dates. Views call these functions; no SQL lives in views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from portal.store.db import Connection, transaction
from portal.store.group_commit import run_grouped
from portal.store.reviewers import Reviewer


class CaseExistsError(Exception):
    """A case or submission with that id is already stored (a replayed submission id)."""


class CaseNotFoundError(Exception):
    """No case has that id."""


@dataclass(frozen=True)
class StoredPart:
    """One sealed part as it is kept: the blob holding the envelope and its header hash."""

    index: int
    blob: str
    sealed_size: int
    header_hash: bytes


@dataclass(frozen=True)
class CaseView:
    id: str
    created_day: str
    status: str
    outcome: str | None
    sealed_on: str
    reporter_reply_key: bytes
    reporter_sign_key: bytes
    acknowledge_by: str | None
    feedback_by: str | None
    reviewers: tuple[Reviewer, ...]


@dataclass(frozen=True)
class StatusEvent:
    day: str
    status: str
    outcome: str | None
    reason: str | None
    reviewer: Reviewer | None
    statement: bytes | None
    signature: bytes | None


@dataclass(frozen=True)
class StoredReply:
    """A reply as the server lists it to the reporter's view (which verifies it)."""

    seq: int
    day: str
    reviewer: Reviewer
    statement: bytes
    signature: bytes
    for_reporter: bytes
    # replies.feedback: stored from the signed statement when the reply was accepted
    # (the feedback deadline's one truth, shared with the queue and the export).
    feedback: bool = False


@dataclass(frozen=True)
class SubmissionSummary:
    id: str
    kind: str
    day: str
    sealed_on: str
    part_count: int


_REVIEWER_COLUMNS = (
    "r.id, r.key_id, r.identity, r.fingerprint, r.display_name, r.role, r.required, r.active, r.added_day"
)


def _reviewer(row: Sequence[object], offset: int = 0) -> Reviewer:
    values = list(row[offset : offset + 9])
    return Reviewer(
        id=int(values[0]),  # type: ignore[call-overload]
        key_id=str(values[1]),
        identity=str(values[2]),
        fingerprint=str(values[3]),
        display_name=str(values[4]),
        role=str(values[5]),
        required=bool(values[6]),
        active=bool(values[7]),
        added_day=str(values[8]),
    )


def add_days(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _insert_submission(
    conn: Connection,
    *,
    submission_id: str,
    case_id: str,
    kind: str,
    day: str,
    sealed_on: str,
    parts: Sequence[StoredPart],
) -> None:
    if conn.execute("SELECT 1 FROM submissions WHERE id = ?", (submission_id,)).fetchone():
        raise CaseExistsError(f"submission {submission_id} is already stored: a submission id is used once")
    indexes = sorted(part.index for part in parts)
    if indexes != list(range(len(parts))):
        raise ValueError(f"a submission's parts are 0..n without gaps, not {indexes}")
    conn.execute(
        "INSERT INTO submissions (id, case_id, kind, day, sealed_on, part_count) VALUES (?, ?, ?, ?, ?, ?)",
        (submission_id, case_id, kind, day, sealed_on, len(parts)),
    )
    conn.executemany(
        "INSERT INTO parts (submission_id, part_index, blob, sealed_size, header_hash) VALUES (?, ?, ?, ?, ?)",
        [(submission_id, part.index, part.blob, part.sealed_size, part.header_hash) for part in parts],
    )


def create_case(
    conn: Connection,
    *,
    case_id: str,
    day: str,
    initial_status: str,
    acknowledge_by: str,
    feedback_by: str,
    sealed_on: str,
    login_hash: bytes,
    reporter_reply_key: bytes,
    reporter_sign_key: bytes,
    reviewer_ids: Sequence[int],
    parts: Sequence[StoredPart],
    codename_version: int = 1,
    recipients_signed: tuple[bytes, bytes] | None = None,
) -> None:
    """Store a new case with its report, parts, recipients, first status and
    deadlines, all in one transaction: either every row exists or none does.
    `codename_version` is the derivation its login hash and keys come from (§6); the
    default is the column's, the one that never locks a case out (a login tries both).
    `recipients_signed` is the reporter's recipients statement and its signature (§7.1),
    checked by the caller."""
    if not reviewer_ids:
        raise ValueError("a case needs at least one reviewer")

    # Group-committed with other requests' rows (one WAL fsync for the batch); still
    # one all-or-nothing unit, and durable before this returns.
    def rows(conn: Connection) -> None:
        if conn.execute("SELECT 1 FROM cases WHERE id = ? OR login_hash = ?", (case_id, login_hash)).fetchone():
            raise CaseExistsError(f"case {case_id} (or its codename) is already stored")
        conn.execute(
            "INSERT INTO cases (id, created_day, status, outcome, sealed_on, login_hash, reporter_reply_key,"
            " reporter_sign_key, acknowledge_by, feedback_by, codename_version, sealed_to_statement,"
            " sealed_to_signature) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                case_id,
                day,
                initial_status,
                sealed_on,
                login_hash,
                reporter_reply_key,
                reporter_sign_key,
                acknowledge_by,
                feedback_by,
                codename_version,
                recipients_signed[0] if recipients_signed else None,
                recipients_signed[1] if recipients_signed else None,
            ),
        )
        conn.executemany(
            "INSERT INTO case_reviewers (case_id, reviewer_id) VALUES (?, ?)",
            [(case_id, reviewer_id) for reviewer_id in sorted(set(reviewer_ids))],
        )
        _insert_submission(
            conn, submission_id=case_id, case_id=case_id, kind="report", day=day, sealed_on=sealed_on, parts=parts
        )
        # Recorded by the server (no reviewer, no signature): the report arrived.
        conn.execute(
            "INSERT INTO status_events (case_id, day, status, outcome, reason, reviewer_id, statement, signature)"
            " VALUES (?, ?, ?, NULL, NULL, NULL, NULL, NULL)",
            (case_id, day, initial_status),
        )

    run_grouped(conn, rows)


def add_followup(
    conn: Connection, *, case_id: str, submission_id: str, day: str, sealed_on: str, parts: Sequence[StoredPart]
) -> None:
    """Store a follow-up submission on an existing case, in one (group-committed) transaction."""

    def rows(conn: Connection) -> None:
        if not conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone():
            raise CaseNotFoundError(f"no case {case_id}: it may have been closed and destroyed")
        _insert_submission(
            conn,
            submission_id=submission_id,
            case_id=case_id,
            kind="followup",
            day=day,
            sealed_on=sealed_on,
            parts=parts,
        )

    run_grouped(conn, rows)


def find_case_by_login_hash(conn: Connection, login_hash: bytes) -> str | None:
    row = conn.execute("SELECT id FROM cases WHERE login_hash = ?", (login_hash,)).fetchone()
    return None if row is None else str(row[0])


def case_reviewers(conn: Connection, case_id: str) -> list[Reviewer]:
    """Everyone the case was sealed to, removed reviewers included, required first."""
    rows = conn.execute(
        f"SELECT {_REVIEWER_COLUMNS} FROM case_reviewers cr JOIN reviewers r ON r.id = cr.reviewer_id"  # noqa: S608
        " WHERE cr.case_id = ? ORDER BY r.required DESC, r.display_name COLLATE NOCASE, r.key_id",
        (case_id,),
    ).fetchall()
    return [_reviewer(row) for row in rows]


def load_case_view(conn: Connection, case_id: str) -> CaseView | None:
    row = conn.execute(
        "SELECT id, created_day, status, outcome, sealed_on, reporter_reply_key, reporter_sign_key,"
        " acknowledge_by, feedback_by FROM cases WHERE id = ?",
        (case_id,),
    ).fetchone()
    if row is None:
        return None
    return CaseView(
        id=row[0],
        created_day=row[1],
        status=row[2],
        outcome=row[3],
        sealed_on=row[4],
        reporter_reply_key=bytes(row[5]),
        reporter_sign_key=bytes(row[6]),
        acknowledge_by=row[7],
        feedback_by=row[8],
        reviewers=tuple(case_reviewers(conn, case_id)),
    )


def load_case_views(conn: Connection, case_ids: Sequence[str]) -> dict[str, CaseView]:
    """`load_case_view` for several cases with two statements in all (not two per case)."""
    if not case_ids:
        return {}
    marks = ",".join("?" * len(case_ids))
    reviewers: dict[str, list[Reviewer]] = {case_id: [] for case_id in case_ids}
    for row in conn.execute(
        f"SELECT cr.case_id, {_REVIEWER_COLUMNS} FROM case_reviewers cr JOIN reviewers r ON r.id = cr.reviewer_id"  # noqa: S608 - only placeholders are interpolated
        f" WHERE cr.case_id IN ({marks}) ORDER BY r.required DESC, r.display_name COLLATE NOCASE, r.key_id",
        list(case_ids),
    ):
        reviewers[row[0]].append(_reviewer(row, 1))
    rows = conn.execute(
        "SELECT id, created_day, status, outcome, sealed_on, reporter_reply_key, reporter_sign_key,"  # noqa: S608 - only placeholders are interpolated
        f" acknowledge_by, feedback_by FROM cases WHERE id IN ({marks})",
        list(case_ids),
    ).fetchall()
    return {
        row[0]: CaseView(
            id=row[0],
            created_day=row[1],
            status=row[2],
            outcome=row[3],
            sealed_on=row[4],
            reporter_reply_key=bytes(row[5]),
            reporter_sign_key=bytes(row[6]),
            acknowledge_by=row[7],
            feedback_by=row[8],
            reviewers=tuple(reviewers[row[0]]),
        )
        for row in rows
    }


def list_status_events(conn: Connection, case_id: str) -> list[StatusEvent]:
    """The case's status changes, oldest first."""
    rows = conn.execute(
        f"SELECT e.day, e.status, e.outcome, e.reason, e.statement, e.signature, {_REVIEWER_COLUMNS}"  # noqa: S608
        " FROM status_events e LEFT JOIN reviewers r ON r.id = e.reviewer_id"
        " WHERE e.case_id = ? ORDER BY e.day, e.id",
        (case_id,),
    ).fetchall()
    events = []
    for row in rows:
        events.append(
            StatusEvent(
                day=row[0],
                status=row[1],
                outcome=row[2],
                reason=row[3],
                statement=None if row[4] is None else bytes(row[4]),
                signature=None if row[5] is None else bytes(row[5]),
                reviewer=None if row[6] is None else _reviewer(row, 6),
            )
        )
    return events


def list_replies(conn: Connection, case_id: str) -> list[StoredReply]:
    """Replies in the order they were accepted (the order the reporter's view checks them in)."""
    rows = conn.execute(
        f"SELECT p.seq, p.day, p.statement, p.signature, p.for_reporter, {_REVIEWER_COLUMNS}, p.feedback"  # noqa: S608
        " FROM replies p JOIN reviewers r ON r.id = p.reviewer_id WHERE p.case_id = ? ORDER BY p.id",
        (case_id,),
    ).fetchall()
    return [
        StoredReply(
            seq=row[0],
            day=row[1],
            statement=bytes(row[2] or b""),
            signature=bytes(row[3] or b""),
            for_reporter=bytes(row[4]),
            reviewer=_reviewer(row, 5),
            feedback=bool(row[14]),
        )
        for row in rows
    ]


def add_reply(
    conn: Connection,
    *,
    case_id: str,
    reviewer_id: int,
    seq: int,
    day: str,
    statement: bytes,
    signature: bytes,
    for_reporter: bytes,
    reviewers_blob: str | None = None,
    feedback: bool = False,
) -> None:
    """Store one reply as given. Checks nothing cryptographic: the reply upload
    verifies first (crypto.reply.verify_reply_signature, check_reply_binding,
    check_sequence), and the reporter's view verifies again on every display.
    `feedback`: the signed statement's feedback mark, as the upload stores it."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO replies (case_id, reviewer_id, seq, day, statement, signature, for_reporter, reviewers_blob,"
            " feedback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (case_id, reviewer_id, seq, day, statement, signature, for_reporter, reviewers_blob, int(feedback)),
        )


def list_submissions(conn: Connection, case_id: str) -> list[SubmissionSummary]:
    """The report and its follow-ups, oldest first (ids are random, so order by day, then insertion)."""
    rows = conn.execute(
        "SELECT id, kind, day, sealed_on, part_count FROM submissions WHERE case_id = ?"
        " ORDER BY day, kind = 'followup', rowid",
        (case_id,),
    ).fetchall()
    return [SubmissionSummary(id=r[0], kind=r[1], day=r[2], sealed_on=r[3], part_count=r[4]) for r in rows]


def list_parts(conn: Connection, submission_id: str) -> list[StoredPart]:
    rows = conn.execute(
        "SELECT part_index, blob, sealed_size, header_hash FROM parts WHERE submission_id = ? ORDER BY part_index",
        (submission_id,),
    ).fetchall()
    return [StoredPart(index=r[0], blob=r[1], sealed_size=r[2], header_hash=bytes(r[3])) for r in rows]


@dataclass(frozen=True)
class Deadline:
    """A deadline as the workspace queue lists it (worked out by `crypto.deadlines` in
    portal/reviewer/queue.py; the reporter's page uses crypto's `Deadline` itself)."""

    day: str
    met: bool
    overdue: bool


def submission_exists(conn: Connection, submission_id: str) -> bool:
    """Whether a submission (a report or follow-up) with this id is stored."""
    return conn.execute("SELECT 1 FROM submissions WHERE id = ?", (submission_id,)).fetchone() is not None
