"""Coming back: the codename login (typed on the no-JavaScript page, or derived in the
browser and sent as a login token), and Leave."""

from __future__ import annotations

from typing import Any

import sqlcipher3
from flask import Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from crypto.codename import codename_problems, normalise_codename
from crypto.identity import b64url, unb64url
from portal.argon2_budget import Argon2BusyError
from portal.i18n import gettext as _
from portal.intake.codenames import legacy_codenames_exist, log_in_with_codename, login_hash
from portal.reporter import bp
from portal.reporter.codename_words import problem_sentences
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


def _login_form(typed: str = "", errors: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    # What was typed goes back into the field after a refusal (the page is no-store).
    # The sumo build of libsodium (Argon2id) only while a version 1 case exists: the
    # device may then have to derive a version 1 codename.
    html = render_template(
        "reporter/followup_login.html", typed=typed, errors=errors or [], version_1_cases=legacy_codenames_exist()
    )
    return html, status


@bp.route("/followup", methods=["GET", "POST"])
def followup_login() -> Any:
    if request.method == "GET":
        if load_reporter_session(request) is not None:
            return redirect(url_for("reporter.case_page"), code=303)
        return _login_form()
    raw = request.form.get("codename", "")
    problems = codename_problems(raw)
    if problems:
        return _login_form(raw, problem_sentences(problems), 400)
    try:
        found = log_in_with_codename(normalise_codename(raw))  # version 2, then version 1 (docs/format.md §6)
    except Argon2BusyError:
        return _login_form(raw, [_("The portal is busy. Please try again in a minute.")], 503)
    if found is None:
        # Eight list words that open no case: which word is wrong is not knowable (and
        # must not be: the portal keeps no codename), so the page says only this.
        return _login_form(raw, [_("No case matches that codename. Check each word and try again.")], 400)
    case_id, keys = found
    renew_csrf_session()
    response = redirect(url_for("reporter.case_page"), code=303)
    set_reporter_session(response, ReporterSession(case_id=case_id, keys=keys))
    return response


@bp.post("/followup/token")
def followup_token() -> Response:
    """Codename login on the browser path: the browser derived the login token (and
    keeps the keys); only the token arrives. The session it opens holds no reporter
    key, only the visit's storage key, answered here as `storage_key`.

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
    # The visit's storage key starts here: the browser wraps the keys it saves next
    # under it (static/js/browser-common.js logInWithToken), and every case page of
    # this session carries the same one as data-storage-key to unwrap them.
    storage_key = new_storage_key()
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
