"""The page that shows a new codename (no-JavaScript path), and its confirmation: the
reporter types the codename back before the case page opens, so nobody leaves without
having written it down. The codename is kept nowhere on the server; the page carries it
back sealed under the in-memory session key (portal/reporter/session.py)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import redirect, render_template, request, url_for

from crypto.codename import ReporterKeys, normalise_codename
from crypto.errors import CodenameError
from crypto.identity import b64url, unb64url
from portal.errors import render_error
from portal.i18n import gettext as _
from portal.intake.submit import FiledReport
from portal.reporter import bp
from portal.reporter.session import ReporterSession, open_from_form, seal_for_form, set_reporter_session

# How long the codename page can re-show the codename after a mistyped confirmation.
CONFIRM_SECONDS = 3 * 60 * 60


def _seal_codename(filed: FiledReport) -> str:
    return seal_for_form(
        {
            "codename": filed.codename,
            "case": filed.case_id,
            "login": b64url(filed.keys.login_token),
            "reply": b64url(filed.keys.reply_secret_key),
            "sign": b64url(filed.keys.signing_seed),
        },
        CONFIRM_SECONDS,
    )


def _codename_page(codename: str, token: str, *, mismatch: bool) -> tuple[str, int]:
    html = render_template(
        "reporter/codename.html", words=codename.split(), token=token, sealed_on="server", mismatch=mismatch
    )
    return html, 400 if mismatch else 200


def new_codename_page(filed: FiledReport) -> tuple[str, int]:
    """The codename of a report the server just stored."""
    return _codename_page(filed.codename, _seal_codename(filed), mismatch=False)


@bp.post("/report/confirm")
def report_confirm() -> Any:
    sealed = open_from_form(request.form.get("sealed", ""))
    if sealed is None:
        title = _("This page has expired")
        explanation = _(
            "Your report WAS sent and stored. This confirmation page is only valid for a few hours and until "
            "the portal restarts, so it can no longer show your codename. If you wrote your codename down, use "
            "it on the follow-up page. If you did not, the report still reaches the reviewers, but you will "
            "not be able to read their replies."
        )
        return render_error(400, (title, explanation))
    codename = sealed["codename"]
    try:
        typed = normalise_codename(request.form.get("codename", ""))
    except CodenameError:
        typed = ""
    if not hmac.compare_digest(typed.encode("ascii", "replace"), codename.encode("ascii")):
        return _codename_page(codename, request.form["sealed"], mismatch=True)
    try:
        keys = ReporterKeys(
            login_token=unb64url(sealed["login"]),
            reply_secret_key=unb64url(sealed["reply"]),
            signing_seed=unb64url(sealed["sign"]),
        )
    except (KeyError, ValueError):
        return render_error(400)
    response = redirect(url_for("reporter.case_page"), code=303)
    set_reporter_session(response, ReporterSession(case_id=sealed["case"], keys=keys))
    return response
