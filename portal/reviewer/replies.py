"""Accepting the replies in an uploaded reply file (docs/format.md §8, §9).

Each reply is checked on its own and kept or refused with its own reason, so one
bad reply costs only itself. A reply is kept only if: its statement is signed by an
ACTIVE registered reviewer (the signature, the signer's key and both hashes check:
`crypto.reply.verify_reply_signature`); the case exists and the signer is one of its
recipients; it is bound to the case and its reporter's reply key
(`check_reply_binding`); its number is greater than the signer's last accepted one on
the case (`check_sequence`: a refused reply leaves a gap, never a dead end; equal or
lower is a replay); and its status change, if any, is allowed by the workflow. Its
signed feedback mark is kept with it (the feedback deadline, `crypto.deadlines`).

The reviewers' copy becomes a blob before the transaction (disk writes stay out of
the database write lock); if the reply is then refused the blob is removed again.
From the blob's commit until its row is committed (or the blob removed) the upload
holds the blob writers' lock (`committing_blobs`, as the reporter intake's
`PendingBlobs` does): until then the blob looks like an orphan, and a start-up sweep
of a restarted master must not delete it under a worker that outlived the old one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import sqlcipher3

from crypto.errors import BindingError, CandourError, SignatureError
from crypto.identity import PublicIdentity, parse_public_identity
from crypto.reply import ReplyStatement, SignedReply, check_reply_binding, check_sequence, verify_reply_signature
from portal import audit
from portal.store import replies as reply_rows
from portal.store.blobs import BlobWriter, committing_blobs, delete_blob
from portal.store.db import Connection, today, transaction
from portal.workflow import TransitionError, check_transition, record_status_change


@dataclass(frozen=True)
class ReplyResult:
    position: int
    accepted: bool
    message: str
    case_id: str | None = None
    seq: int | None = None
    reviewer_key_id: str | None = None
    status: str | None = None


def active_reviewer_keys(conn: Connection) -> dict[bytes, tuple[int, PublicIdentity]]:
    """Active reviewers by key id: (row id, public identity)."""
    keys = {}
    for row_id, line in reply_rows.active_reviewer_identities(conn):
        identity = parse_public_identity(line)
        keys[identity.key_id] = (row_id, identity)
    return keys


def import_replies(
    conn: Connection, instance_path: str | os.PathLike[str], replies: list[SignedReply], actor: str
) -> list[ReplyResult]:
    """Check and store each reply; record one audit entry for the upload."""
    keys = active_reviewer_keys(conn)
    known = {key_id: identity for key_id, (_row, identity) in keys.items()}
    results = []
    for position, reply in enumerate(replies, start=1):
        try:
            statement = verify_reply_signature(reply, known)
        except SignatureError as exc:
            results.append(
                ReplyResult(
                    position,
                    False,
                    f"not accepted: {exc}. A reply must be signed by a "
                    "registered reviewer's key on the offline machine",
                )
            )
            continue
        except CandourError as exc:
            results.append(ReplyResult(position, False, f"not accepted: {exc}"))
            continue
        results.append(
            _store_one(conn, instance_path, position, reply, statement, keys[statement.reviewer_key_id][0], actor)
        )
    accepted = [r for r in results if r.accepted]
    audit.record(
        conn,
        instance_path,
        actor=actor,
        action="replies_imported",
        details={
            "accepted": len(accepted),
            "refused": len(results) - len(accepted),
            "replies": [{"case": r.case_id, "reviewer": r.reviewer_key_id, "seq": r.seq} for r in accepted],
        },
    )
    return results


def _store_one(
    conn: Connection,
    instance_path: str | os.PathLike[str],
    position: int,
    reply: SignedReply,
    statement: ReplyStatement,
    reviewer_id: int,
    actor: str,
) -> ReplyResult:
    label: dict[str, Any] = {
        "case_id": statement.case,
        "seq": statement.seq,
        "reviewer_key_id": statement.reviewer_key_id_hex,
        "status": statement.status.status if statement.status else None,
    }
    with committing_blobs(instance_path):
        with BlobWriter(instance_path) as writer:
            writer.write(reply.for_reviewers)
            blob = writer.commit()
        try:
            with transaction(conn):
                _check_and_insert(conn, reply, statement, reviewer_id, blob, actor)
        except (CandourError, TransitionError) as exc:
            delete_blob(instance_path, blob, missing_ok=True)
            return ReplyResult(position, False, f"not accepted: {exc}", **label)
        except sqlcipher3.IntegrityError:
            # Another upload stored the same reply between our check and our insert.
            delete_blob(instance_path, blob, missing_ok=True)
            return ReplyResult(position, False, "not accepted: this reply was already accepted (a replay)", **label)
        except BaseException:
            delete_blob(instance_path, blob, missing_ok=True)
            raise
    # The row names the blob now: the lock is no longer needed for the audit anchor.
    audit.anchor_head(conn, instance_path)
    message = f"accepted: reply {statement.seq} on case {statement.case}"
    if statement.status:
        message += f", status now {statement.status.status}"
    return ReplyResult(position, True, message, **label)


def _check_and_insert(
    conn: Connection, reply: SignedReply, statement: ReplyStatement, reviewer_id: int, blob: str, actor: str
) -> None:
    case = reply_rows.case_status_and_reply_key(conn, statement.case)
    if case is None:
        raise BindingError(f"there is no case {statement.case} (or it was destroyed after being closed)")
    if not reply_rows.is_recipient(conn, statement.case, reviewer_id):
        raise BindingError(
            f"the signer ({statement.reviewer_key_id_hex}) is not one of the reviewers case {statement.case} "
            "was sent to"
        )
    check_reply_binding(statement, statement.case, case[1])
    last = reply_rows.last_accepted_seq(conn, statement.case, reviewer_id)
    check_sequence({statement.reviewer_key_id: last}, statement)
    if statement.status is not None:
        check_transition(case[0], statement.status.status, statement.status.outcome)
    reply_rows.insert_reply(
        conn,
        case_id=statement.case,
        reviewer_id=reviewer_id,
        seq=statement.seq,
        day=today(),
        statement=reply.statement,
        signature=reply.signature,
        for_reporter=reply.for_reporter,
        reviewers_blob=blob,
        feedback=statement.feedback,
    )
    if statement.status is not None:
        record_status_change(
            conn,
            case_id=statement.case,
            previous=case[0],
            status=statement.status.status,
            outcome=statement.status.outcome,
            reason=statement.status.reason,
            reviewer_id=reviewer_id,
            actor=actor,
            via="signed reply",
            statement=reply.statement,
            signature=reply.signature,
            extra={"signer": statement.reviewer_key_id_hex, "seq": statement.seq},
        )
