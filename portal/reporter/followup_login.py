"""Coming back: the codename login (typed on the no-JavaScript page, or derived in the
browser and sent as a login token), and Leave."""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlcipher3
from flask import Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from crypto.codename import normalise_codename
from crypto.errors import CodenameError
from crypto.identity import b64url, unb64url
from crypto.wordlist import word_index
from portal.argon2_budget import Argon2BusyError
from portal.errors import render_error
from portal.i18n import gettext as _
from portal.intake.codenames import legacy_codenames_exist, log_in_with_codename, login_hash
from portal.reporter import bp
from portal.reporter.device_api import json_answer
from portal.reporter.session import (
    ReporterSession,
    clear_reporter_session,
    load_reporter_session,
    new_storage_key,
    renew_csrf_session,
    revoke_reporter_session,
    set_reporter_session,
)
from portal.storage import is_storage_failure, log_storage_failure
from portal.store import cases as case_store
from portal.store.db import get_db


def _codename_problem(text: str) -> str:
    """Why a typed codename is not one, without repeating any of it."""
    folded = unicodedata.normalize("NFKC", text).lower()
    for separator in "-,.;:\n\t":
        folded = folded.replace(separator, " ")
    typed = folded.split()
    if not typed:
        return str(_("Enter your codename: the 8 words you were given when you made your report."))
    if len(typed) != 8:
        return str(
            _(
                "A codename has 8 words; you entered %(count)s. Check that you have all of them, in order.",
                count=len(typed),
            )
        )
    index = word_index()
    positions = [str(position) for position, word in enumerate(typed, start=1) if word not in index]
    return str(_("Word %(positions)s is not a codename word. Check its spelling.", positions=", ".join(positions)))


def _login_form(error: str | None, status: int = 200) -> tuple[str, int]:
    return render_template("reporter/followup_login.html", error=error), status


@bp.route("/followup", methods=["GET", "POST"])
def followup_login() -> Any:
    if request.method == "GET":
        if load_reporter_session(request) is not None:
            return redirect(url_for("reporter.case_page"), code=303)
        return _login_form(None)
    raw = request.form.get("codename", "")
    try:
        codename = normalise_codename(raw)
    except CodenameError:
        return _login_form(_codename_problem(raw), 400)
    try:
        found = log_in_with_codename(codename)  # version 2, then version 1 (docs/format.md §6)
    except Argon2BusyError:
        return render_error(503, (_("The portal is busy"), _("The portal is busy. Please try again in a minute.")))
    if found is None:
        return _login_form(_("No case matches that codename. Check each word and try again."), 400)
    case_id, keys = found
    renew_csrf_session()
    response = redirect(url_for("reporter.case_page"), code=303)
    set_reporter_session(response, ReporterSession(case_id=case_id, keys=keys))
    return response


@bp.post("/followup/token")
def followup_token() -> Response:
    """Codename login on the browser path: the browser derived the login token (and
    keeps the keys); only the token arrives. The session it opens holds no key.

    The browser sends its version 2 token first. When that matches nothing and a case
    of version 1 exists, the answer says so (`legacy_codenames`) and the browser derives
    the version 1 token itself (Argon2id, on the device) and sends it: either way the
    codename never leaves the device and this route never runs Argon2."""
    raw = request.form.get("login_token", "")
    try:
        token = unb64url(raw) if len(raw) == 43 else b""
    except ValueError:
        token = b""
    no_match = _("No case matches that codename. Check each word and try again.")
    if len(token) != 32:
        return json_answer({"ok": False, "error": no_match}, 400)
    case_id = case_store.find_case_by_login_hash(get_db(), login_hash(token))
    if case_id is None:
        return json_answer({"ok": False, "error": no_match, "legacy_codenames": legacy_codenames_exist()}, 400)
    renew_csrf_session()
    storage_key = new_storage_key()
    # The browser wraps the keys it keeps under this visit's key (static/js/browser-common.js).
    response = json_answer({"ok": True, "case": case_id, "storage_key": b64url(storage_key)})
    set_reporter_session(
        response, ReporterSession(case_id=case_id, keys=None, login_token=token, storage_key=storage_key)
    )
    return response


@bp.post("/logout")
def logout() -> BaseResponse:
    """Leave: a plain form POST (works before any script has run). The session is
    revoked on the server, so a copy of its cookie opens nothing afterwards."""
    response = redirect(url_for("reporter.landing"), code=303)
    try:
        session = load_reporter_session(request)
        if session is not None:
            revoke_reporter_session(session)
    except (OSError, sqlcipher3.Error) as exc:
        if not is_storage_failure(exc):
            raise
        # The revocation could not be written (a full or read-only disk): this browser
        # still forgets the session, and a copy of the cookie ends with its lifetime.
        log_storage_failure("a reporter's Leave could not be recorded", exc)
    clear_reporter_session(response, leaving=True)
    return response
