"""The reporter's case page: status, deadlines, what they sent, and the replies —
opened and verified here with the session's keys (no JavaScript), or on the device
(the browser path, which fetches `/case/replies.json`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from flask import Response, current_app, make_response, redirect, render_template, request, url_for

from crypto.codename import ReporterKeys
from crypto.errors import CandourError, IdentityError
from crypto.identity import PublicIdentity, b64url, parse_public_identity
from crypto.reply import (
    HasReporterCopy,
    MissingReplies,
    RejectedReply,
    VerifiedReply,
    classify_replies,
    verify_statement_signature,
)
from portal.intake.refusals import Refusal, refusal_json, refusal_sentence, refusal_title
from portal.reporter import bp
from portal.reporter.case_deadlines import deadline_events, reporter_deadlines
from portal.reporter.device_api import hand_back_storage_key, json_answer
from portal.reporter.session import ReporterSession, clear_reporter_session, session_case, set_reporter_session
from portal.store import cases as case_store
from portal.store.db import get_db, today
from portal.store.recipients_statements import recipients_statement
from portal.store.reviewers import list_reviewers
from portal.workflow import closed_status


def _labels(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def _timeline(case: case_store.CaseView, known: Mapping[bytes, PublicIdentity]) -> list[dict[str, Any]]:
    entries = []
    for event in case_store.list_status_events(get_db(), case.id):
        if event.statement is None or event.signature is None:
            signed = "server"
        else:
            try:
                statement = verify_statement_signature(event.statement, event.signature, known)
                matches = (
                    statement.case == case.id
                    and statement.status is not None
                    and statement.status.status == event.status
                    and statement.status.outcome == event.outcome
                    and event.reviewer is not None
                    and statement.reviewer_key_id.hex() == event.reviewer.key_id
                )
                signed = "verified" if matches else "bad"
            except CandourError:
                signed = "bad"
        entries.append({"event": event, "signed": signed})
    return entries


def _reply_views(
    case: case_store.CaseView,
    stored: Sequence[case_store.StoredReply],
    keys: ReporterKeys,
    known: Mapping[bytes, PublicIdentity],
) -> list[dict[str, Any]]:
    reviewers = {reviewer.key_id: reviewer for reviewer in list_reviewers(get_db(), active_only=False)}
    views = classify_replies(
        cast(Sequence[HasReporterCopy], stored),
        case_id=case.id,
        reporter_reply_secret_key=keys.reply_secret_key,
        reporter_reply_public_key=keys.reply_public_key,
        known_reviewers=known,
    )
    shown: list[dict[str, Any]] = []
    for view in views:
        if isinstance(view, VerifiedReply):
            shown.append(
                {
                    "state": "verified",
                    "reviewer": reviewers.get(view.statement.reviewer_key_id_hex),
                    "day": view.statement.day,
                    "seq": view.statement.seq,
                    "text": view.body.text,
                    "status": view.statement.status,
                    # Shown as "feedback on your report", as the browser path shows it.
                    "feedback": view.statement.feedback,
                }
            )
        elif isinstance(view, RejectedReply):
            shown.append(
                {
                    "state": "rejected",
                    "reason": view.reason,
                    "reviewer": reviewers.get(view.reviewer_key_id.hex()) if view.reviewer_key_id else None,
                    "seq": view.seq,
                }
            )
        elif isinstance(view, MissingReplies):
            shown.append(
                {
                    "state": "missing",
                    "reviewer": reviewers.get(view.reviewer_key_id.hex()),
                    "first": view.first,
                    "last": view.last,
                }
            )
    return shown


def _known_identities() -> dict[bytes, PublicIdentity]:
    known: dict[bytes, PublicIdentity] = {}
    for reviewer in list_reviewers(get_db(), active_only=False):
        try:
            known[bytes.fromhex(reviewer.key_id)] = parse_public_identity(reviewer.identity)
        except (IdentityError, ValueError):
            continue  # a damaged row verifies nothing: its replies show as rejected
    return known


@bp.get("/case")
def case_page() -> Any:
    found = session_case()
    if found is None:
        response = redirect(url_for("reporter.followup_login"), code=303)
        clear_reporter_session(response)
        return response
    session, case = found
    return render_case_page(session, case)


def render_case_page(
    session: ReporterSession, case: case_store.CaseView, *, typed_message: str = "", refusal: Refusal | None = None
) -> Response:
    """The case page; after a follow-up refused once its text had arrived, with that
    text back in the message field and why it was not sent (`refusal`)."""
    config = current_app.config
    # Every reviewer ever registered, removed ones included: a reply written while
    # they were a reviewer stays genuine.
    known = _known_identities()
    stored = case_store.list_replies(get_db(), case.id)
    replies: list[dict[str, Any]] | None = None
    if session.keys is None:
        # A browser session: the replies are opened and verified on the reporter's
        # device (static/js/case-page.js); the server holds no key to read them.
        hand_back_storage_key(session.storage_key)
    else:
        replies = _reply_views(case, stored, session.keys, known)
    timeline = _timeline(case, known)
    events = deadline_events(stored, [entry["event"] for entry in timeline], closed_status())
    acknowledge, feedback = reporter_deadlines(case, events, today())
    html = render_template(
        "reporter/case.html",
        case=case,
        timeline=timeline,
        replies=replies,
        acknowledge=acknowledge,
        feedback=feedback,
        submissions=case_store.list_submissions(get_db(), case.id),
        statuses=_labels(config["STATUSES"]),
        outcomes=_labels(config["OUTCOMES"]),
        max_mb=config["MAX_TOTAL_UPLOAD_BYTES"] // (1024 * 1024),
        max_files=config["MAX_ATTACHMENTS"],
        sent=request.args.get("sent") == "1",
        browser_session=session.in_browser,
        typed_message=typed_message,
        refused_title=refusal_title(refusal, followup=True) if refusal is not None else None,
        refused_reason=refusal_sentence(refusal, followup=True) if refusal is not None else None,
    )
    # (Like every page, no-store: the words go back only to the browser that sent them.)
    response = make_response(html, refusal.status if refusal is not None else 200)
    # Sliding expiry: each visit to the case page starts the idle period again.
    set_reporter_session(response, session)
    return response


@bp.get("/case/replies.json")
def case_replies_json() -> Response:
    """What the case page needs to verify replies and seal a follow-up on the device."""
    found = session_case()
    if found is None:
        ended = refusal_json(Refusal.SESSION_ENDED, followup=False)
        clear_reporter_session(ended)  # an ended session: drop the tab's storage too
        return ended
    session, case = found
    replies = [
        {
            "statement": b64url(reply.statement),
            "signature": b64url(reply.signature),
            "for_reporter": b64url(reply.for_reporter),
        }
        for reply in case_store.list_replies(get_db(), case.id)
    ]
    # The reporter-signed recipients (§7.1), for the device to check with its own key;
    # null for a case stored before there was one.
    signed = recipients_statement(get_db(), case.id)
    response = json_answer(
        {
            "ok": True,
            "case": case.id,
            "sealed_on": case.sealed_on,
            "reviewers": [reviewer.key_id for reviewer in case.reviewers if reviewer.active],
            "recipients": {"statement": b64url(signed[0]), "signature": b64url(signed[1])} if signed else None,
            "replies": replies,
        }
    )
    set_reporter_session(response, session)  # sliding expiry, as the case page does
    return response
