"""A follow-up on an open case: sent without JavaScript (the server signs it with the
session's keys and seals it as it arrives) or signed and sealed in the browser."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, url_for

from portal import flood
from portal.intake.refusals import Refusal, SubmissionRefused, refusal_json, refusal_page
from portal.intake.submit import browser_followup, server_followup
from portal.reporter import bp
from portal.reporter.case_page import render_case_page
from portal.reporter.device_api import json_answer
from portal.reporter.limits import followup_allowed, followup_sent, refuse_without_reading, stamped_events
from portal.reporter.session import clear_reporter_session, session_case
from portal.security import csrf
from portal.store.db import today


@bp.post("/case/followup")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field, as for the report
def case_followup() -> Any:
    found = session_case()
    if found is None:
        return refusal_page(Refusal.SESSION_ENDED, followup=True)
    session, case = found
    if session.keys is None:
        # The codename was entered on the browser path: only that tab holds the key
        # that signs a follow-up, so the server cannot seal one for this session.
        return refusal_page(Refusal.KEYS_IN_BROWSER, followup=True)
    day = today()
    if not followup_allowed(case.id, day):
        refuse_without_reading()
        return refusal_page(Refusal.FOLLOWUP_LIMIT, followup=True)
    if not flood.SERVER_SEALING.try_enter(int(current_app.config["SERVER_SEALING_CONCURRENCY"])):
        refuse_without_reading()
        return refusal_page(Refusal.BUSY, followup=True)
    try:
        server_followup(case, session.keys, day)
    except SubmissionRefused as refused:
        if refused.typed is not None:
            # Refused after the message had arrived (a photo that cannot be cleaned):
            # the case page again, the message still in its field.
            message = (refused.typed.get("message") or [""])[0]
            return render_case_page(session, case, typed_message=message, refusal=refused.refusal)
        return refusal_page(refused.refusal, followup=True)
    finally:
        flood.SERVER_SEALING.leave()
    followup_sent(case.id, day)
    return redirect(url_for("reporter.case_page", sent="1"), code=303)


@bp.post("/case/followup/sealed")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field
def followup_sealed() -> Response:
    found = session_case()
    if found is None:
        ended = refusal_json(Refusal.SESSION_ENDED, followup=True)
        clear_reporter_session(ended)  # an ended session: drop the tab's storage too
        return ended
    _session, case = found
    day = today()
    try:
        if not followup_allowed(case.id, day):
            raise SubmissionRefused(Refusal.FOLLOWUP_LIMIT)
        browser_followup(case, day, stamped_events)
    except SubmissionRefused as refused:
        return refusal_json(refused.refusal, followup=True)
    followup_sent(case.id, day)
    return json_answer({"ok": True})
