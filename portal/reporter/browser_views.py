"""Routes only the reporter's browser calls when it seals on the device (JavaScript
and WebAssembly): the sealed report and follow-up, the codename login by token, and
the JSON the pages need (the reviewer list, a case's replies).

Every answer is JSON with a fixed sentence on refusal; nothing sent is ever echoed.
The no-JavaScript pages (portal/reporter/views.py) stay the base; these routes only
add to them. The server never receives a codename, a key that reads anything, or a
readable byte of a report here: see portal/reporter/sealed_intake.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast

from flask import Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from crypto.codename import login_lookup_hash
from crypto.envelope import MAX_STANZAS
from crypto.errors import CandourError
from crypto.identity import b64url, parse_org_identity, unb64url
from portal.i18n import gettext as _
from portal.reporter import bp
from portal.reporter.intake import PendingBlobs, SubmissionRefused, store_followup, store_report
from portal.reporter.limits import followup_allowed, followup_sent, new_challenge, stamped_events
from portal.reporter.sealed_intake import public_key_field, receive_sealed
from portal.reporter.session import ReporterSession, load_reporter_session, renew_csrf_session, set_reporter_session
from portal.security import csrf
from portal.store import cases as case_store
from portal.store.cases import CaseExistsError, CaseNotFoundError
from portal.store.db import Connection, get_db, today
from portal.store.reviewers import Reviewer, list_reviewers
from portal.streaming_form import FormEvent, FormLimits, FormTooLargeError, MalformedFormError, iter_form

REPORT_PUBLIC_FIELDS = frozenset({"login_token", "reply_key", "sign_key", "reviewer"})
REVIEWER_FIELD = "reviewer"
# Where portal/admin/views.py keeps the organisation-signed reviewer list it loaded.
SIGNED_LIST_META = "org_reviewer_list"


def admit_sealed_submission(kind: str, events: Iterable[FormEvent]) -> Iterator[FormEvent]:
    """Flood control for the browser path: the form's events, with the proof-of-work
    stamp (portal/flood.py) checked right after the CSRF field and before any part is
    stored; a missing, forged, expired, too easy or reused stamp raises
    SubmissionRefused(403, "stamp"). `kind` is "report" or "followup" (the same rule
    for both today)."""
    del kind
    return stamped_events(events)


# --- what the pages carry ------------------------------------------------------------------


def org_fingerprint() -> str:
    """The organisation key's six words the browser checks the signed list against:
    ORG_FINGERPRINT if set, else that of ORG_PUBLIC_KEY, else "" (nothing to check)."""
    config = current_app.config
    if config.get("ORG_FINGERPRINT"):
        return str(config["ORG_FINGERPRINT"])
    if config.get("ORG_PUBLIC_KEY"):
        try:
            return parse_org_identity(str(config["ORG_PUBLIC_KEY"])).fingerprint
        except CandourError:
            return ""
    return ""


@bp.app_context_processor
def _browser_page_values() -> dict[str, Any]:
    def browser_values() -> dict[str, str]:
        config = current_app.config
        return {
            "salt": str(config.get("INSTANCE_SALT") or ""),
            "org-fingerprint": org_fingerprint(),
            "list-url": url_for("reporter.reviewer_list_json"),
            "report-url": url_for("reporter.report_sealed"),
            "followup-url": url_for("reporter.followup_sealed"),
            "token-url": url_for("reporter.followup_token"),
            "case-url": url_for("reporter.case_page"),
            "replies-url": url_for("reporter.case_replies_json"),
            "max-bytes": str(int(config["MAX_TOTAL_UPLOAD_BYTES"])),
            "max-files": str(int(config["MAX_ATTACHMENTS"])),
            "challenge-url": url_for("reporter.report_challenge"),
        }

    return {"browser_values": browser_values}


def signed_reviewer_list(conn: Connection) -> str | None:
    row = conn.execute("SELECT value FROM instance_meta WHERE name = ?", (SIGNED_LIST_META,)).fetchone()
    return None if row is None else str(row[0])


def _json(payload: Mapping[str, Any], status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    # Replies and case ids: no cache may keep them for the next person at this computer.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/report/challenge")
def report_challenge() -> Response:
    """A fresh proof-of-work challenge for the next sealed report or follow-up."""
    challenge, difficulty = new_challenge()
    ttl = int(current_app.config["POW_TTL_SECONDS"])
    return _json({"challenge": challenge, "difficulty": difficulty, "ttl": ttl})


@bp.get("/reviewer-list.json")
def reviewer_list_json() -> Response:
    """The organisation-signed list, verbatim, for the browser to verify; or, when none
    was loaded, the server's own reviewer identities marked as unsigned."""
    signed = signed_reviewer_list(get_db())
    if signed is not None:
        return _json({"signed": True, "list": signed})
    reviewers = [
        {
            "identity": reviewer.identity,
            "display_name": reviewer.display_name,
            "role": reviewer.role,
            "required": reviewer.required,
        }
        for reviewer in list_reviewers(get_db(), active_only=True)
    ]
    return _json({"signed": False, "reviewers": reviewers})


# --- refusals ------------------------------------------------------------------------------


def _refusal_sentence(reason: str, *, followup: bool) -> str:
    what = _("Your follow-up was NOT sent.") if followup else _("Your report was NOT sent.")
    sentences = {
        "csrf": _("The page had expired. Reload the page and send again."),
        "too_large": _(
            "The files attached come to more than this portal accepts (%(mb)s MB in total). Remove or shrink "
            "some files and send again.",
            mb=current_app.config["MAX_TOTAL_UPLOAD_BYTES"] // (1024 * 1024),
        ),
        "too_many_files": _(
            "You can attach at most %(count)s files. Attach fewer files (or put several into one archive).",
            count=current_app.config["MAX_ATTACHMENTS"],
        ),
        "text_too_long": _("The text is longer than this portal accepts in one go. Shorten it or attach it as a file."),
        "no_reviewers": _("At least one reviewer must receive your report. Tick at least one reviewer."),
        "too_many_reviewers": _("More reviewers were chosen than one report can be sealed to (16)."),
        "unknown_reviewer": _(
            "One of the chosen reviewers is not, or no longer, a reviewer here. Reload the page and choose again."
        ),
        "recipients_mismatch": _(
            "What arrived was not sealed to exactly the reviewers chosen. Reload the page and send again."
        ),
        "submission_used": _("This submission was already received once. Reload the page and send again."),
        "no_recipients_left": _(
            "None of the reviewers on your case can receive messages any more. Please contact the organisation "
            "another way."
        ),
        "session_ended": _(
            "Your session has ended (it ends after a while without activity or when the portal restarts). "
            "Enter your codename again, then send your message."
        ),
        "busy": _("The portal is busy. Please try again in a minute."),
        "stamp": _(
            "The page's check against floods of automated messages did not arrive complete or is out of date. "
            "Send again; if it keeps failing, reload the page first."
        ),
        "followup_limit": _(
            "This case has received as many follow-ups today as the portal accepts in one day. "
            "Please send your message tomorrow."
        ),
    }
    default = _("What arrived was not a complete, sealed submission (the connection may have dropped). Send it again.")
    kept = _("Nothing was kept.")
    return f"{what} {kept} {sentences.get(reason, default)}"


def _refuse(reason: str, status: int, *, followup: bool) -> Response:
    return _json({"ok": False, "error": _refusal_sentence(reason, followup=followup)}, status)


def _events(limits: FormLimits) -> Any:
    return iter_form(cast(BinaryIO, request.stream), request.content_type, request.content_length, limits)


def _limits() -> FormLimits:
    config = current_app.config
    return FormLimits(
        max_body_bytes=int(config["MAX_CONTENT_LENGTH"]),
        max_files=int(config["MAX_ATTACHMENTS"]) + 1,
    )


def _submission_taken(submission_id: bytes) -> bool:
    row = get_db().execute("SELECT 1 FROM submissions WHERE id = ?", (submission_id.hex(),)).fetchone()
    return row is not None


# --- the sealed report ---------------------------------------------------------------------


@bp.post("/report/sealed")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field, as for /report
def report_sealed() -> Response:
    config = current_app.config
    day = today()
    active = list_reviewers(get_db(), active_only=True)
    by_key = {reviewer.key_id: reviewer for reviewer in active}
    chosen: dict[str, Reviewer] = {}

    def expected_key_ids(values: Mapping[str, list[str]]) -> frozenset[bytes]:
        for name in ("login_token", "reply_key", "sign_key"):
            public_key_field(values, name)
        chosen.update({reviewer.key_id: reviewer for reviewer in active if reviewer.required})
        for key_id in values.get(REVIEWER_FIELD, []):
            if key_id not in by_key:
                raise SubmissionRefused(400, "unknown_reviewer")
            chosen[key_id] = by_key[key_id]
        if not chosen:
            raise SubmissionRefused(400, "no_reviewers")
        if len(chosen) > MAX_STANZAS:
            raise SubmissionRefused(400, "too_many_reviewers")
        return frozenset(bytes.fromhex(key_id) for key_id in chosen)

    try:
        with PendingBlobs(Path(current_app.instance_path)) as blobs:
            received = receive_sealed(
                admit_sealed_submission("report", _events(_limits())),
                blobs=blobs,
                public_fields=REPORT_PUBLIC_FIELDS,
                repeatable=frozenset({REVIEWER_FIELD}),
                expected_key_ids=expected_key_ids,
                submission_taken=_submission_taken,
                max_attachments=int(config["MAX_ATTACHMENTS"]),
                max_total_plaintext=int(config["MAX_TOTAL_UPLOAD_BYTES"]),
                max_total_bytes=int(config["MAX_CONTENT_LENGTH"]),
            )
            login_token = public_key_field(received.values, "login_token")
            case_id = received.submission_id.hex()
            parts = blobs.commit_all()
            store_report(
                case_id=case_id,
                day=day,
                sealed_on="browser",
                login_hash=login_lookup_hash(login_token, bytes.fromhex(config["LOGIN_PEPPER"])),
                reporter_reply_key=public_key_field(received.values, "reply_key"),
                reporter_sign_key=public_key_field(received.values, "sign_key"),
                reviewer_ids=[reviewer.id for reviewer in chosen.values()],
                parts=parts,
            )
            blobs.keep()
    except SubmissionRefused as refused:
        return _refuse(refused.reason, refused.status, followup=False)
    except (FormTooLargeError, RequestEntityTooLarge):
        return _refuse("too_large", 413, followup=False)
    except MalformedFormError:
        return _refuse("malformed", 400, followup=False)
    except CaseExistsError:
        return _refuse("submission_used", 409, followup=False)
    # Only now, after the blobs were fsynced and the rows committed, is it "sent".
    return _json({"ok": True, "case": case_id, "sealed_on": "browser"})


# --- the reporter's case -------------------------------------------------------------------


def _session_case() -> tuple[ReporterSession, case_store.CaseView] | None:
    session = load_reporter_session(request)
    if session is None:
        return None
    case = case_store.load_case_view(get_db(), session.case_id)
    return None if case is None else (session, case)


@bp.post("/case/followup/sealed")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked on the first streamed field
def followup_sealed() -> Response:
    found = _session_case()
    if found is None:
        return _refuse("session_ended", 403, followup=True)
    _session, case = found
    active = [reviewer for reviewer in case.reviewers if reviewer.active]
    if not active:
        return _refuse("no_recipients_left", 409, followup=True)
    expected = frozenset(bytes.fromhex(reviewer.key_id) for reviewer in active)
    config = current_app.config
    day = today()
    try:
        if not followup_allowed(case.id, day):
            raise SubmissionRefused(429, "followup_limit")
        with PendingBlobs(Path(current_app.instance_path)) as blobs:
            received = receive_sealed(
                admit_sealed_submission("followup", _events(_limits())),
                blobs=blobs,
                public_fields=frozenset(),
                repeatable=frozenset(),
                expected_key_ids=lambda _values: expected,
                submission_taken=_submission_taken,
                max_attachments=int(config["MAX_ATTACHMENTS"]),
                max_total_plaintext=int(config["MAX_TOTAL_UPLOAD_BYTES"]),
                max_total_bytes=int(config["MAX_CONTENT_LENGTH"]),
            )
            parts = blobs.commit_all()
            store_followup(
                case_id=case.id, submission_id=received.submission_id.hex(), day=day, sealed_on="browser", parts=parts
            )
            blobs.keep()
            followup_sent(case.id, day)
    except SubmissionRefused as refused:
        return _refuse(refused.reason, refused.status, followup=True)
    except (FormTooLargeError, RequestEntityTooLarge):
        return _refuse("too_large", 413, followup=True)
    except MalformedFormError:
        return _refuse("malformed", 400, followup=True)
    except (CaseExistsError, CaseNotFoundError):
        return _refuse("submission_used", 409, followup=True)
    return _json({"ok": True})


@bp.post("/followup/token")
def followup_token() -> Response:
    """Codename login on the browser path: the browser derived the login token (and
    keeps the keys); only the token arrives. The session it opens holds no key."""
    raw = request.form.get("login_token", "")
    try:
        token = unb64url(raw) if len(raw) == 43 else b""
    except ValueError:
        token = b""
    no_match = _("No case matches that codename. Check each word and try again.")
    if len(token) != 32:
        return _json({"ok": False, "error": no_match}, 400)
    case_id = case_store.find_case_by_login_hash(
        get_db(), login_lookup_hash(token, bytes.fromhex(current_app.config["LOGIN_PEPPER"]))
    )
    if case_id is None:
        return _json({"ok": False, "error": no_match}, 400)
    renew_csrf_session()
    response = _json({"ok": True, "case": case_id})
    set_reporter_session(response, ReporterSession(case_id=case_id, keys=None, login_token=token))
    return response


@bp.get("/case/replies.json")
def case_replies_json() -> Response:
    """What the case page needs to verify replies and seal a follow-up on the device."""
    found = _session_case()
    if found is None:
        return _json({"ok": False, "error": _refusal_sentence("session_ended", followup=False)}, 403)
    session, case = found
    replies = [
        {
            "statement": b64url(reply.statement),
            "signature": b64url(reply.signature),
            "for_reporter": b64url(reply.for_reporter),
        }
        for reply in case_store.list_replies(get_db(), case.id)
    ]
    response = _json(
        {
            "ok": True,
            "case": case.id,
            "sealed_on": case.sealed_on,
            "reviewers": [reviewer.key_id for reviewer in case.reviewers if reviewer.active],
            "replies": replies,
        }
    )
    set_reporter_session(response, session)  # sliding expiry, as the case page does
    return response
