"""The queue, a case's page, online status changes, export and reply upload."""

from __future__ import annotations

import re

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers.response import Response as BaseResponse
from wtforms.validators import ValidationError

from crypto.errors import ReplyFileError
from crypto.replyfile import MAX_REPLY_FILE_BYTES, read_reply_file
from portal import audit, auth, workflow
from portal.actions.cases import change_status_online
from portal.i18n import gettext as _
from portal.reviewer import bp, export, queue, replies
from portal.security import csrf
from portal.store.cases import list_replies, list_status_events
from portal.store.db import get_db, today

CASE_ID = re.compile(r"[0-9a-f]{32}")
# Multipart framing and the form's other fields on top of the reply file itself.
REPLY_UPLOAD_LIMIT = MAX_REPLY_FILE_BYTES + 1024 * 1024


def _reviewer_id() -> int:
    account: auth.Account = g.account
    assert account.reviewer_id is not None  # noqa: S101 - signed_in("reviewer") guarantees it
    return account.reviewer_id


def _visible_case(case_id: str) -> queue.QueueItem:
    """The case if the signed-in reviewer may see it; 404 otherwise (whether or not
    it exists, so ids cannot be probed)."""
    if not CASE_ID.fullmatch(case_id) or not queue.case_visible_to(get_db(), case_id, _reviewer_id()):
        abort(404)
    item = queue.queue_item(get_db(), case_id, today())
    if item is None:
        abort(404)
    return item


@bp.get("/", endpoint="queue")
@auth.signed_in("reviewer")
def queue_page() -> str:
    conn = get_db()
    listing = queue.list_queue_page(conn, today(), _reviewer_id(), queue.requested_page())
    mark = export.last_export_mark(conn, _reviewer_id())
    return render_template("reviewer/queue.html", listing=listing, items=listing.items, mark=mark)


@bp.get("/cases/<case_id>")
@auth.signed_in("reviewer")
def case_page(case_id: str) -> str:
    item = _visible_case(case_id)
    conn = get_db()
    return render_template(
        "reviewer/case.html",
        item=item,
        events=list_status_events(conn, case_id),
        replies=list_replies(conn, case_id),
        trail=audit.entries_for_case(conn, case_id),
        next_statuses=workflow.allowed_next_online(item.case.status),
        closed_status=workflow.closed_status(),
    )


@bp.post("/cases/<case_id>/status")
@auth.signed_in("reviewer")
def change_status(case_id: str) -> BaseResponse | tuple[str, int]:
    item = _visible_case(case_id)
    account: auth.Account = g.account
    status = request.form.get("status", "")
    outcome = request.form.get("outcome") or None
    reason = request.form.get("reason", "").strip()
    error = None
    if not reason:
        error = _("Give a reason: the reporter sees it with the new status.")
    elif len(reason) > workflow.MAX_REASON_CHARS:
        error = _("The reason is at most %(count)d characters.", count=workflow.MAX_REASON_CHARS)
    if error is None:
        try:
            change_status_online(
                get_db(),
                current_app.instance_path,
                case_id,
                status=status,
                outcome=outcome,
                reason=reason,
                reviewer_id=_reviewer_id(),
                actor=account.actor,
            )
        except workflow.TransitionError as exc:
            error = str(exc)
    if error is not None:
        flash(error, "error")
    else:
        flash(_("The status was changed. The reporter will see it with your reason."))
    return redirect(url_for("reviewer.case_page", case_id=item.case.id))


@bp.post("/export")
@auth.signed_in("reviewer")
def export_bundle() -> Response | BaseResponse:
    account: auth.Account = g.account
    mode = request.form.get("mode", export.MODE_CHANGED)
    chosen = request.form.getlist("case")
    if mode not in (export.MODE_CHANGED, export.MODE_ALL, export.MODE_CHOSEN):
        abort(400)
    if mode == export.MODE_CHOSEN:
        for case_id in chosen:
            _visible_case(case_id)  # 404 for a case not sealed to this reviewer
    try:
        plan = export.plan_export(get_db(), _reviewer_id(), mode, chosen)
    except export.ExportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reviewer.queue"))
    instance = current_app.instance_path

    def done() -> None:
        export.record_export(instance, plan, account.actor)

    response = Response(stream_with_context(export.stream_bundle(plan, instance, done)), mimetype="application/zip")
    response.headers["Content-Disposition"] = f"attachment; filename={plan.filename}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/replies")
@auth.signed_in("reviewer")
def replies_form() -> str:
    return render_template("reviewer/replies.html", results=None, error=None)


@bp.post("/replies")
@csrf.exempt  # type: ignore[untyped-decorator]  # checked below, after the size cap: CSRFProtect parses bodies
@auth.signed_in("reviewer")
def upload_replies() -> tuple[str, int] | str:
    account: auth.Account = g.account
    if request.content_length is not None and request.content_length > REPLY_UPLOAD_LIMIT:
        abort(413)
    request.max_content_length = REPLY_UPLOAD_LIMIT  # also caps a body without Content-Length
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    upload = request.files.get("reply_file")
    error = None
    results = None
    if upload is None or not upload.filename:
        error = _("Choose the reply file (replies.json) made by the reply tool on your offline computer.")
    else:
        data = upload.stream.read(MAX_REPLY_FILE_BYTES + 1)
        try:
            signed = read_reply_file(data)
        except ReplyFileError as exc:
            error = _("That is not a readable reply file: %(reason)s", reason=str(exc))
        else:
            if not signed:
                error = _("The reply file holds no replies.")
            else:
                results = replies.import_replies(get_db(), current_app.instance_path, signed, account.actor)
    status = 400 if error else 200
    return render_template("reviewer/replies.html", results=results, error=error), status
