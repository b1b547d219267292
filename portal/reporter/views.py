"""The reporter's pages: report, codename, follow-up login, case page, follow-up.

Every page works without JavaScript. Submissions are read from the raw request
stream (never `request.form`/`request.files`, which would spool uploads to a
temporary file in plaintext) and sealed as they arrive: see portal/reporter/intake.py.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import sqlcipher3
from flask import current_app, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from crypto.codename import (
    ReporterKeys,
    derive_reporter_keys,
    generate_codename,
    login_lookup_hash,
    normalise_codename,
)
from crypto.envelope import new_submission_id
from crypto.errors import CandourError, CodenameError, IdentityError
from crypto.identity import PublicIdentity, b64url, parse_public_identity, unb64url
from crypto.reply import (
    HasReporterCopy,
    MissingReplies,
    RejectedReply,
    VerifiedReply,
    classify_replies,
    verify_statement_signature,
)
from crypto.submission import FOLLOWUP_FIELDS, KIND_FOLLOWUP, KIND_REPORT, REPORT_FIELDS
from crypto.wordlist import word_index
from portal import flood
from portal.argon2_budget import DEFAULT_WAIT_SECONDS, Argon2BusyError, argon2_slot
from portal.errors import CSRF_PAGE, render_error
from portal.i18n import gettext as _
from portal.reporter import bp
from portal.reporter.intake import (
    ChosenReviewer,
    IntakeForm,
    PendingBlobs,
    SubmissionRefused,
    receive_submission,
    seal_and_commit,
    store_followup,
    store_report,
)
from portal.reporter.limits import followup_allowed, followup_sent, refuse_without_reading
from portal.reporter.session import (
    ReporterSession,
    clear_reporter_session,
    load_reporter_session,
    open_from_form,
    renew_csrf_session,
    seal_for_form,
    set_reporter_session,
)
from portal.security import csrf
from portal.storage import is_storage_failure, log_storage_failure
from portal.store import cases as case_store
from portal.store.db import get_db, today
from portal.store.reviewers import Reviewer, list_reviewers
from portal.streaming_form import FormLimits, FormTooLargeError, MalformedFormError, iter_form

HONEYPOT_FIELD = "website"
REVIEWER_FIELD = "reviewer"
FILE_FIELD = "attachments"
# How long the codename page can re-show the codename after a mistyped confirmation.
CONFIRM_SECONDS = 3 * 60 * 60

REPORT_FORM = IntakeForm(
    kind=KIND_REPORT,
    text_fields=REPORT_FIELDS,
    required_field="what",
    extra_fields=frozenset({HONEYPOT_FIELD, REVIEWER_FIELD}),
    repeatable=frozenset({REVIEWER_FIELD}),
    file_field=FILE_FIELD,
)
FOLLOWUP_FORM = IntakeForm(
    kind=KIND_FOLLOWUP,
    text_fields=FOLLOWUP_FIELDS,
    required_field="message",
    extra_fields=frozenset(),
    repeatable=frozenset(),
    file_field=FILE_FIELD,
)


@bp.get("/")
def landing() -> str:
    """What Candour is, who will read a report, and how to stay safe."""
    reviewers = list_reviewers(get_db(), active_only=True)
    return render_template("reporter/landing.html", reviewers=reviewers)


# --- refusals ----------------------------------------------------------------------


def _refusal_page(reason: str, *, followup: bool) -> tuple[str, str]:
    """(title, explanation) for a refused submission. Fixed wording only: a refusal
    page never shows anything that was sent."""
    title = _("Your follow-up was not sent") if followup else _("Your report was not sent")
    explanations = {
        "csrf": str(CSRF_PAGE[1]),
        "too_large": _(
            "The files attached come to more than this portal accepts (%(mb)s MB in total). Nothing was kept. "
            "Go back, remove or shrink some files, and send again.",
            mb=current_app.config["MAX_TOTAL_UPLOAD_BYTES"] // (1024 * 1024),
        ),
        "too_many_files": _(
            "You can attach at most %(count)s files. Nothing was kept. Go back, attach fewer files (or put "
            "several into one archive) and send again.",
            count=current_app.config["MAX_ATTACHMENTS"],
        ),
        "text_too_long": _(
            "The text is longer than this portal accepts in one go. Nothing was kept. Go back, shorten it or "
            "put the longest part into an attached file, and send again."
        ),
        "field_too_long": _(
            "One of the text boxes holds more than 100,000 characters. Nothing was kept. Go back, shorten it "
            "or put the longest part into an attached file, and send again."
        ),
        "required_empty": _("You need to describe what happened. Nothing was kept. Go back and fill it in.")
        if not followup
        else _("The message was empty. Nothing was kept. Go back and write your message."),
        "no_reviewers": _(
            "At least one reviewer must receive your report. Nothing was kept. Go back and tick at least one reviewer."
        ),
        "too_many_reviewers": _("More reviewers were chosen than one report can be sealed to (16). Nothing was kept."),
        "unknown_reviewer": _(
            "One of the chosen reviewers is not, or no longer, a reviewer here. Nothing was kept. Go back, "
            "reload the form and choose again."
        ),
        "unknown_category": _(
            "The category chosen is not one this portal offers. Nothing was kept. Go back and choose again."
        ),
        "honeypot": _("This form could not be accepted. Nothing was kept. Go back, reload the form and try again."),
        "order": _(
            "The form arrived in an unexpected order, so it could not be sealed safely. Nothing was kept. "
            "Go back, reload the form and try again."
        ),
        "unknown_field": _(
            "The form carried something it should not. Nothing was kept. Go back, reload the form and try again."
        ),
        "malformed": _(
            "The form did not arrive complete (the connection may have dropped). Nothing was kept. "
            "Go back and send it again."
        ),
        "invalid_text": _("Some of the text could not be read. Nothing was kept. Go back, check it and send again."),
        "no_recipients_left": _(
            "None of the reviewers on your case can receive messages any more. Nothing was kept. Please "
            "contact the organisation another way."
        ),
        "followup_limit": _(
            "This case has received as many follow-ups today as the portal accepts in one day. Nothing was "
            "kept. Please send your message tomorrow."
        ),
    }
    return title, explanations.get(reason, explanations["malformed"])


def _refuse(reason: str, status: int, *, followup: bool) -> tuple[str, int]:
    return render_error(status, _refusal_page(reason, followup=followup))


def _storage_page(exc: BaseException, *, followup: bool) -> tuple[str, int]:
    """503 for a full, read-only or failing disk. Reached only after PendingBlobs has
    removed every blob of the submission and the transaction was rolled back."""
    log_storage_failure("a follow-up was refused" if followup else "a report was refused", exc)
    if followup:
        title = _("Your follow-up could not be saved")
        explanation = _(
            "The portal cannot store anything at the moment (its storage is full or unavailable), so your "
            "follow-up could not be saved. Nothing was kept: it was NOT sent. Please try again later."
        )
    else:
        title = _("Your report could not be saved")
        explanation = _(
            "The portal cannot store anything at the moment (its storage is full or unavailable), so your "
            "report could not be saved. Nothing was kept: your report was NOT sent. Please try again later."
        )
    return render_error(503, (title, explanation))


def _busy_page(*, followup: bool) -> tuple[str, int]:
    title = _("The portal is busy")
    if followup:
        explanation = _("Your follow-up was NOT sent. Please try again in a minute.")
    else:
        explanation = _("The portal is busy: your report was NOT sent. Please try again in a minute.")
    return render_error(503, (title, explanation))


# --- the report ------------------------------------------------------------------------


def _form_limits() -> FormLimits:
    config = current_app.config
    # Framing (boundaries, part headers) on top of the content cap; the content cap
    # itself is counted by the intake as the body streams.
    return FormLimits(
        max_body_bytes=int(config["MAX_TOTAL_UPLOAD_BYTES"]) + 1024 * 1024,
        max_files=int(config["MAX_ATTACHMENTS"]) + 1,  # +1: an empty file input still sends a part
    )


def _identity(reviewer: Reviewer) -> PublicIdentity:
    return parse_public_identity(reviewer.identity)


def _report_recipients(values: Mapping[str, list[str]]) -> Sequence[ChosenReviewer]:
    if values.get(HONEYPOT_FIELD, [""])[0]:
        raise SubmissionRefused(400, "honeypot")
    category = values.get("category", [""])[0]
    if category and category not in {key for key, _label in current_app.config["CATEGORIES"]}:
        raise SubmissionRefused(400, "unknown_category", "category")
    active = list_reviewers(get_db(), active_only=True)
    by_key = {reviewer.key_id: reviewer for reviewer in active}
    chosen: dict[str, Reviewer] = {reviewer.key_id: reviewer for reviewer in active if reviewer.required}
    for key_id in values.get(REVIEWER_FIELD, []):
        if key_id not in by_key:
            raise SubmissionRefused(400, "unknown_reviewer", "reviewers")
        chosen[key_id] = by_key[key_id]
    return [ChosenReviewer(reviewer, _identity(reviewer)) for reviewer in chosen.values()]


def _stream_events() -> Any:
    return iter_form(cast(BinaryIO, request.stream), request.content_type, request.content_length, _form_limits())


def _keys_for(codename: str) -> ReporterKeys:
    config = current_app.config
    with argon2_slot(int(config["ARGON2_CONCURRENCY"]), float(config.get("ARGON2_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))):
        return derive_reporter_keys(codename, bytes.fromhex(config["INSTANCE_SALT"]))


def _login_hash(keys: ReporterKeys) -> bytes:
    return login_lookup_hash(keys.login_token, bytes.fromhex(current_app.config["LOGIN_PEPPER"]))


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
    config = current_app.config
    instance = Path(current_app.instance_path)
    day = today()
    # The server seals this one: a process-wide budget, 503 at once beyond it.
    if not flood.SERVER_SEALING.try_enter(int(config["SERVER_SEALING_CONCURRENCY"])):
        refuse_without_reading()
        return _busy_page(followup=False)
    try:
        return _report_submit(config, instance, day)
    finally:
        flood.SERVER_SEALING.leave()


def _report_submit(config: Any, instance: Path, day: str) -> Any:
    try:
        with PendingBlobs(instance) as blobs:
            received = receive_submission(
                _stream_events(),
                form=REPORT_FORM,
                blobs=blobs,
                submission_id=new_submission_id(),
                choose_recipients=_report_recipients,
                max_attachments=int(config["MAX_ATTACHMENTS"]),
                max_total_bytes=int(config["MAX_TOTAL_UPLOAD_BYTES"]),
            )
            codename = generate_codename()
            keys = _keys_for(codename)
            parts = seal_and_commit(received, blobs, keys=keys, kind=KIND_REPORT, case_id=None, day=day)
            case_id = received.submission_id.hex()
            store_report(
                case_id=case_id,
                day=day,
                sealed_on="server",
                login_hash=_login_hash(keys),
                reporter_reply_key=keys.reply_public_key,
                reporter_sign_key=keys.sign_public_key,
                reviewer_ids=[chosen.reviewer.id for chosen in received.recipients],
                parts=parts,
            )
            blobs.keep()
    except SubmissionRefused as refused:
        return _refuse(refused.reason, refused.status, followup=False)
    except (FormTooLargeError, RequestEntityTooLarge):
        return _refuse("too_large", 413, followup=False)
    except MalformedFormError:
        return _refuse("malformed", 400, followup=False)
    except Argon2BusyError:
        return _busy_page(followup=False)
    except (OSError, sqlcipher3.Error) as exc:
        if not is_storage_failure(exc):
            raise
        return _storage_page(exc, followup=False)
    # Only now, after the commit returned, does the reporter see their codename.
    token = _seal_codename(codename, case_id, keys)
    return _codename_page(codename, token, sealed_on="server", mismatch=False)


def _seal_codename(codename: str, case_id: str, keys: ReporterKeys) -> str:
    return seal_for_form(
        {
            "codename": codename,
            "case": case_id,
            "login": b64url(keys.login_token),
            "reply": b64url(keys.reply_secret_key),
            "sign": b64url(keys.signing_seed),
        },
        CONFIRM_SECONDS,
    )


def _codename_page(codename: str, token: str, *, sealed_on: str, mismatch: bool) -> tuple[str, int]:
    html = render_template(
        "reporter/codename.html",
        words=codename.split(),
        token=token,
        sealed_on=sealed_on,
        mismatch=mismatch,
    )
    return html, 400 if mismatch else 200


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
        return _codename_page(codename, request.form["sealed"], sealed_on="server", mismatch=True)
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


# --- coming back ------------------------------------------------------------------------


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
    return str(
        _(
            "Word %(positions)s is not a codename word. Check its spelling.",
            positions=", ".join(positions),
        )
    )


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
        keys = _keys_for(codename)
    except Argon2BusyError:
        return render_error(503, (_("The portal is busy"), _("The portal is busy. Please try again in a minute.")))
    case_id = case_store.find_case_by_login_hash(get_db(), _login_hash(keys))
    if case_id is None:
        return _login_form(_("No case matches that codename. Check each word and try again."), 400)
    renew_csrf_session()
    response = redirect(url_for("reporter.case_page"), code=303)
    set_reporter_session(response, ReporterSession(case_id=case_id, keys=keys))
    return response


@bp.post("/logout")
def logout() -> BaseResponse:
    response = redirect(url_for("reporter.landing"), code=303)
    clear_reporter_session(response)
    return response


# --- the case page ------------------------------------------------------------------------


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
    case: case_store.CaseView, keys: ReporterKeys, known: Mapping[bytes, PublicIdentity]
) -> tuple[list[dict[str, Any]], int]:
    stored = case_store.list_replies(get_db(), case.id)
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
    return shown, len(stored)


def _known_identities() -> dict[bytes, PublicIdentity]:
    known: dict[bytes, PublicIdentity] = {}
    for reviewer in list_reviewers(get_db(), active_only=False):
        try:
            known[bytes.fromhex(reviewer.key_id)] = _identity(reviewer)
        except (IdentityError, ValueError):
            continue  # a damaged row verifies nothing: its replies show as rejected
    return known


def _session_or_none() -> tuple[ReporterSession, case_store.CaseView] | None:
    session = load_reporter_session(request)
    if session is None:
        return None
    case = case_store.load_case_view(get_db(), session.case_id)
    if case is None:
        return None
    return session, case


@bp.get("/case")
def case_page() -> Any:
    found = _session_or_none()
    if found is None:
        response = redirect(url_for("reporter.followup_login"), code=303)
        clear_reporter_session(response)
        return response
    session, case = found
    config = current_app.config
    # Every reviewer ever registered, removed ones included: a reply written while
    # they were a reviewer stays genuine.
    known = _known_identities()
    if session.keys is None:
        # A browser session: the replies are opened and verified on the reporter's
        # device (static/js/case-page.js); the server holds no key to read them.
        replies, reply_count = None, len(case_store.list_replies(get_db(), case.id))
    else:
        replies, reply_count = _reply_views(case, session.keys, known)
    timeline = _timeline(case, known)
    acknowledge, feedback = case_store.deadlines(
        case,
        [entry["event"] for entry in timeline],
        reply_count,
        today(),
        config.get("CLOSED_STATUS", "closed"),
    )
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
    )
    response = make_response(html)
    # Sliding expiry: each visit to the case page starts the idle period again.
    set_reporter_session(response, session)
    return response


@bp.post("/case/followup")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field, as for the report
def case_followup() -> Any:
    found = _session_or_none()
    if found is None:
        return render_error(
            403,
            (
                _("Your follow-up was not sent"),
                _(
                    "Your session has ended (it ends after a while without activity or when the portal "
                    "restarts). Nothing was kept. Enter your codename again, then send your message."
                ),
            ),
        )
    session, case = found
    if session.keys is None:
        # The codename was entered on the browser path: only that tab holds the key
        # that signs a follow-up, so the server cannot seal one for this session.
        return render_error(
            403,
            (
                _("Your follow-up was not sent"),
                _(
                    "You opened your case with the sealing code running in your browser, so only that browser tab "
                    "can sign and seal a follow-up. Nothing was kept. Enter your codename again on the follow-up "
                    "page, then send your message."
                ),
            ),
        )
    keys = session.keys
    recipients = [ChosenReviewer(reviewer, _identity(reviewer)) for reviewer in case.reviewers if reviewer.active]
    if not recipients:
        return _refuse("no_recipients_left", 409, followup=True)
    config = current_app.config
    day = today()
    if not followup_allowed(case.id, day):
        refuse_without_reading()
        return _refuse("followup_limit", 429, followup=True)
    if not flood.SERVER_SEALING.try_enter(int(config["SERVER_SEALING_CONCURRENCY"])):
        refuse_without_reading()
        return _busy_page(followup=True)
    try:
        return _case_followup(config, day, case, keys, recipients)
    finally:
        flood.SERVER_SEALING.leave()


def _case_followup(
    config: Any, day: str, case: case_store.CaseView, keys: ReporterKeys, recipients: Sequence[ChosenReviewer]
) -> Any:
    try:
        with PendingBlobs(Path(current_app.instance_path)) as blobs:
            received = receive_submission(
                _stream_events(),
                form=FOLLOWUP_FORM,
                blobs=blobs,
                submission_id=new_submission_id(),
                choose_recipients=lambda _values: recipients,
                max_attachments=int(config["MAX_ATTACHMENTS"]),
                max_total_bytes=int(config["MAX_TOTAL_UPLOAD_BYTES"]),
            )
            parts = seal_and_commit(received, blobs, keys=keys, kind=KIND_FOLLOWUP, case_id=case.id, day=day)
            store_followup(
                case_id=case.id,
                submission_id=received.submission_id.hex(),
                day=day,
                sealed_on="server",
                parts=parts,
            )
            blobs.keep()
            followup_sent(case.id, day)
    except SubmissionRefused as refused:
        return _refuse(refused.reason, refused.status, followup=True)
    except (FormTooLargeError, RequestEntityTooLarge):
        return _refuse("too_large", 413, followup=True)
    except MalformedFormError:
        return _refuse("malformed", 400, followup=True)
    except (OSError, sqlcipher3.Error) as exc:
        if not is_storage_failure(exc):
            raise
        return _storage_page(exc, followup=True)
    return redirect(url_for("reporter.case_page", sent="1"), code=303)
