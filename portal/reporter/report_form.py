"""The landing page and the report form: sent without JavaScript (the server seals it
as it arrives) or sealed in the browser. The intake itself is portal/intake/."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, make_response, render_template, request

from portal.i18n import current_language
from portal.intake.recipients import reviewers_offered
from portal.intake.refusals import (
    Refusal,
    SubmissionRefused,
    refusal_json,
    refusal_page,
    refusal_sentence,
    refusal_title,
)
from portal.intake.submit import browser_report, server_report
from portal.reporter import bp
from portal.reporter.codename_page import new_codename_page
from portal.reporter.device_api import json_answer
from portal.reporter.limits import release_post_gate, stamped_events
from portal.security import csrf
from portal.store.db import get_db, today

# Languages × the few paths the landing page answers on: a handful in practice.
LANDING_PAGES_KEPT = 64


@bp.get("/")
def landing() -> str:
    """What Candour is, who will read a report, and how to stay safe."""
    reviewers = tuple(reviewers_offered(get_db()))
    # The page is the same for everyone who asks in the same language while the
    # reviewer list stands, and rendering it (forty translated strings) costs more
    # than the rest of the request: keep each rendering, keyed by everything it is
    # made from, so a changed reviewer list or language renders anew. Bounded,
    # because the path and language come from the request.
    cache: dict[tuple[object, ...], str] = current_app.extensions.setdefault("candour.landing_pages", {})
    key = (current_language(), request.script_root, request.path, reviewers)
    page = cache.get(key)
    if page is None:
        page = render_template("reporter/landing.html", reviewers=list(reviewers))
        if len(cache) >= LANDING_PAGES_KEPT:
            cache.clear()
        cache[key] = page
    return page


def _report_page(typed: Mapping[str, list[str]] | None = None, refusal: Refusal | None = None) -> str:
    reviewers = reviewers_offered(get_db())
    return render_template(
        "reporter/report.html",
        required=[r for r in reviewers if r.required],
        optional=[r for r in reviewers if not r.required],
        categories=current_app.config["CATEGORIES"],
        max_mb=current_app.config["MAX_TOTAL_UPLOAD_BYTES"] // (1024 * 1024),
        max_files=current_app.config["MAX_ATTACHMENTS"],
        typed=typed,
        # Why a report came back with its words kept (None: the portal was busy).
        refused_title=refusal_title(refusal, followup=False) if refusal not in (None, Refusal.BUSY) else None,
        refused_reason=refusal_sentence(refusal, followup=False) if refusal not in (None, Refusal.BUSY) else None,
    )


@bp.get("/report")
def report_form() -> str:
    return _report_page()


@bp.post("/report")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field: CSRFProtect reads request.form
def report_submit() -> Any:
    # No "busy" before reading: a report that arrives whole waits in the key
    # derivation's bounded queue; only beyond it is it refused, with its text kept.
    try:
        filed = server_report(today(), body_read=release_post_gate)
    except SubmissionRefused as refused:
        if refused.typed is not None:
            return _typed_words_kept(refused.typed, refused.refusal)
        return refusal_page(refused.refusal, followup=False)
    # Only now, after the commit returned, does the reporter see their codename.
    return new_codename_page(filed)


def _typed_words_kept(typed: Mapping[str, list[str]], refusal: Refusal) -> Response:
    """The report form again, filled with what was sent, saying it was NOT sent and why.
    The words go back only to the browser that sent them, and no cache may keep them."""
    response = make_response(_report_page(typed, refusal), refusal.status)
    response.headers["Cache-Control"] = "no-store"
    if refusal is Refusal.BUSY:
        response.headers["Retry-After"] = "60"
    return response


@bp.post("/report/sealed")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field, as for /report
def report_sealed() -> Response:
    try:
        case_id = browser_report(today(), stamped_events)
    except SubmissionRefused as refused:
        return refusal_json(refused.refusal, followup=False)
    # Only now, after the blobs were fsynced and the rows committed, is it "sent".
    return json_answer({"ok": True, "case": case_id, "sealed_on": "browser"})
