"""The landing page and the report form: sent without JavaScript (the server seals it
as it arrives) or sealed in the browser. The intake itself is portal/intake/."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template

from portal import flood
from portal.intake.refusals import Refusal, SubmissionRefused, refusal_json, refusal_page
from portal.intake.submit import browser_report, server_report
from portal.reporter import bp
from portal.reporter.codename_page import new_codename_page
from portal.reporter.device_api import json_answer
from portal.reporter.limits import refuse_without_reading, stamped_events
from portal.security import csrf
from portal.store.db import get_db, today
from portal.store.reviewers import list_reviewers


@bp.get("/")
def landing() -> str:
    """What Candour is, who will read a report, and how to stay safe."""
    reviewers = list_reviewers(get_db(), active_only=True)
    return render_template("reporter/landing.html", reviewers=reviewers)


@bp.get("/report")
def report_form() -> str:
    reviewers = list_reviewers(get_db(), active_only=True)
    return render_template(
        "reporter/report.html",
        required=[r for r in reviewers if r.required],
        optional=[r for r in reviewers if not r.required],
        categories=current_app.config["CATEGORIES"],
        max_mb=current_app.config["MAX_TOTAL_UPLOAD_BYTES"] // (1024 * 1024),
        max_files=current_app.config["MAX_ATTACHMENTS"],
    )


@bp.post("/report")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field: CSRFProtect reads request.form
def report_submit() -> Any:
    # The server seals this one: a process-wide budget, 503 at once beyond it.
    if not flood.SERVER_SEALING.try_enter(int(current_app.config["SERVER_SEALING_CONCURRENCY"])):
        refuse_without_reading()
        return refusal_page(Refusal.BUSY, followup=False)
    try:
        filed = server_report(today())
    except SubmissionRefused as refused:
        return refusal_page(refused.refusal, followup=False)
    finally:
        flood.SERVER_SEALING.leave()
    # Only now, after the commit returned, does the reporter see their codename.
    return new_codename_page(filed)


@bp.post("/report/sealed")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field, as for /report
def report_sealed() -> Response:
    try:
        case_id = browser_report(today(), stamped_events)
    except SubmissionRefused as refused:
        return refusal_json(refused.refusal, followup=False)
    # Only now, after the blobs were fsynced and the rows committed, is it "sent".
    return json_answer({"ok": True, "case": case_id, "sealed_on": "browser"})
