"""Administration pages: forms in, `portal.actions` calls out, pages back."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from crypto.errors import IdentityError
from crypto.identity import parse_public_identity
from portal import audit, auth
from portal.actions import accounts as account_actions
from portal.actions import reviewers as reviewer_actions
from portal.admin import bp
from portal.i18n import gettext as _
from portal.reviewer.queue import list_queue_page, requested_page
from portal.store import instance_meta
from portal.store.db import get_db, today
from portal.store.pending_resets import all_pending_resets
from portal.store.reviewers import (
    ReviewerExistsError,
    ReviewerNotFoundError,
    find_reviewer,
    list_reviewers,
    unlisted_reviewers,
)

MAX_PUB_BYTES = 8 * 1024


def _actor() -> str:
    account: auth.Account = g.account
    return account.actor


def _clean_label(value: str, what: str) -> str:
    """`actions.reviewers.clean_label` with the page's translated messages."""
    try:
        return reviewer_actions.clean_label(value, what)
    except reviewer_actions.LabelError as exc:
        messages = {
            "empty": _("The %(what)s must not be empty.", what=what),
            "too_long": _(
                "The %(what)s is at most %(count)d characters.", what=what, count=reviewer_actions.MAX_LABEL_CHARS
            ),
            "control": _("The %(what)s must not contain control characters.", what=what),
        }
        raise ValueError(messages[exc.problem]) from None


# --- overview ---------------------------------------------------------------------------------


@bp.get("/")
@auth.signed_in("admin")
def index() -> str:
    listing = list_queue_page(get_db(), today(), None, requested_page())
    return render_template("admin/index.html", listing=listing, items=listing.items)


# --- accounts ---------------------------------------------------------------------------------


def _accounts_page(created: tuple[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    conn = get_db()
    everyone = auth.list_accounts(conn)
    linked = {account.reviewer_id for account in everyone if account.reviewer_id}
    return (
        render_template(
            "admin/accounts.html",
            accounts=everyone,
            free_reviewers=[r for r in list_reviewers(conn) if r.id not in linked],
            created=created,
            pending=all_pending_resets(conn),
            needs_approval=account_actions.reset_needs_approval(conn),
            me=g.account,
        ),
        status,
    )


@bp.get("/accounts")
@auth.signed_in("admin")
def accounts_page() -> tuple[str, int]:
    return _accounts_page()


@bp.post("/accounts")
@auth.signed_in("admin")
def create_account() -> tuple[str, int]:
    conn = get_db()
    role = request.form.get("role", "")
    reviewer_id = None
    if role == "reviewer":
        try:
            reviewer_id = find_reviewer(conn, request.form.get("reviewer", "")).id
        except ReviewerNotFoundError:
            flash(_("Choose the reviewer key this account belongs to."), "error")
            return _accounts_page(status=400)
    try:
        account, initial = account_actions.create_account(
            conn,
            current_app.instance_path,
            username=request.form.get("username", ""),
            role=role,
            reviewer_id=reviewer_id,
            actor=_actor(),
        )
    except auth.AccountError as exc:
        flash(str(exc), "error")
        return _accounts_page(status=400)
    assert initial is not None  # noqa: S101 - no password given, so a one-time one was made
    return _accounts_page(created=(account.username, initial))


def _ask_second_admin(account: auth.Account, kind: str) -> BaseResponse:
    try:
        account_actions.request_reset(get_db(), current_app.instance_path, account, kind, admin=g.account)
    except auth.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(
            _(
                "The reset of %(user)s waits for another administrator to approve it on this page.",
                user=account.username,
            )
        )
    return redirect(url_for("admin.accounts_page"))


@bp.post("/accounts/<int:account_id>/reset-2fa")
@auth.signed_in("admin")
def reset_second_factor(account_id: int) -> BaseResponse:
    conn = get_db()
    account = auth.get_account(conn, account_id)
    if account_actions.reset_needs_approval(conn):
        return _ask_second_admin(account, "second_factor")
    account_actions.reset_second_factor(conn, current_app.instance_path, account, actor=_actor())
    flash(
        _(
            "%(user)s sets up a new authenticator at their next sign-in; their sessions were ended.",
            user=account.username,
        )
    )
    return redirect(url_for("admin.accounts_page"))


@bp.post("/accounts/<int:account_id>/revoke-sessions")
@auth.signed_in("admin")
def revoke_sessions(account_id: int) -> BaseResponse:
    conn = get_db()
    account = auth.get_account(conn, account_id)
    account_actions.revoke_sessions(conn, current_app.instance_path, account, actor=_actor())
    flash(_("Every session of %(user)s was ended.", user=account.username))
    return redirect(url_for("admin.accounts_page"))


@bp.post("/accounts/<int:account_id>/reset-password")
@auth.signed_in("admin")
def reset_password(account_id: int) -> tuple[str, int] | BaseResponse:
    conn = get_db()
    account = auth.get_account(conn, account_id)
    if account_actions.reset_needs_approval(conn):
        return _ask_second_admin(account, "password")
    password = account_actions.reset_password(conn, current_app.instance_path, account, actor=_actor())
    return _accounts_page(created=(account.username, password))


@bp.post("/resets/<int:pending_id>/approve")
@auth.signed_in("admin")
def approve_reset(pending_id: int) -> tuple[str, int] | BaseResponse:
    try:
        account, kind, password = account_actions.approve_reset(
            get_db(), current_app.instance_path, pending_id, admin=g.account
        )
    except auth.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.accounts_page"))
    if password is not None:
        return _accounts_page(created=(account.username, password))
    del kind
    flash(
        _(
            "%(user)s sets up a new authenticator at their next sign-in; their sessions were ended.",
            user=account.username,
        )
    )
    return redirect(url_for("admin.accounts_page"))


@bp.post("/resets/<int:pending_id>/withdraw")
@auth.signed_in("admin")
def withdraw_reset(pending_id: int) -> BaseResponse:
    try:
        account_actions.withdraw_reset(get_db(), current_app.instance_path, pending_id, admin=g.account)
    except auth.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The reset was withdrawn."))
    return redirect(url_for("admin.accounts_page"))


# --- reviewers ----------------------------------------------------------------------------------


def _reviewers_page(status: int = 200) -> tuple[str, int]:
    conn = get_db()
    org_configured = bool(current_app.config.get("ORG_PUBLIC_KEY"))
    unlisted = unlisted_reviewers(conn) if org_configured else []
    serial = instance_meta.loaded_list_serial(conn)
    return (
        render_template(
            "admin/reviewers.html",
            reviewers=list_reviewers(conn, active_only=False),
            list_serial=serial or None,
            org_configured=org_configured,
            unlisted=unlisted,
            unlisted_ids={r.key_id for r in unlisted},
            list_steps=reviewer_actions.signed_list_steps(conn) if unlisted else [],
        ),
        status,
    )


@bp.get("/reviewers")
@auth.signed_in("admin")
def reviewers_page() -> tuple[str, int]:
    return _reviewers_page()


@bp.post("/reviewers")
@auth.signed_in("admin")
def add_reviewer_view() -> tuple[str, int] | BaseResponse:
    text = request.form.get("identity", "").strip()
    upload = request.files.get("pubfile")
    if not text and upload is not None and upload.filename:
        text = upload.stream.read(MAX_PUB_BYTES + 1).decode("utf-8", errors="replace")
    try:
        if len(text.encode("utf-8")) > MAX_PUB_BYTES:
            raise ValueError(_("That is too long to be a public identity."))
        identity = parse_public_identity(text)
        name = _clean_label(request.form.get("display_name", ""), _("name"))
        role = _clean_label(request.form.get("role", ""), _("role"))
    except IdentityError as exc:
        flash(_("That is not a reviewer's public identity: %(reason)s", reason=str(exc)), "error")
        return _reviewers_page(400)
    except ValueError as exc:
        flash(str(exc), "error")
        return _reviewers_page(400)
    required = request.form.get("required") == "yes"
    try:
        reviewer = reviewer_actions.add_reviewer(
            get_db(),
            current_app.instance_path,
            identity,
            display_name=name,
            role=role,
            required=required,
            actor=_actor(),
        )
    except ReviewerExistsError as exc:
        flash(str(exc), "error")
        return _reviewers_page(400)
    flash(
        _(
            "Added %(name)s. Check the fingerprint with them in person or by phone: %(fingerprint)s",
            name=reviewer.display_name,
            fingerprint=reviewer.fingerprint,
        )
    )
    return redirect(url_for("admin.reviewers_page"))


@bp.post("/reviewers/<key_id>/remove")
@auth.signed_in("admin")
def remove_reviewer(key_id: str) -> BaseResponse:
    try:
        reviewer = reviewer_actions.remove_reviewer(get_db(), current_app.instance_path, key_id, actor=_actor())
    except ReviewerNotFoundError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.reviewers_page"))
    flash(_("Removed %(name)s: new reports will not reach them.", name=reviewer.display_name))
    return redirect(url_for("admin.reviewers_page"))


@bp.post("/reviewers/<key_id>/required")
@auth.signed_in("admin")
def mark_required(key_id: str) -> BaseResponse:
    required = request.form.get("required") == "yes"
    try:
        reviewer_actions.mark_required(get_db(), current_app.instance_path, key_id, required, actor=_actor())
    except ReviewerNotFoundError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.reviewers_page"))
    flash(_("Saved."))
    return redirect(url_for("admin.reviewers_page"))


# --- the organisation-signed reviewer list ----------------------------------------------------------


@bp.post("/reviewer-list")
@auth.signed_in("admin")
def upload_reviewer_list() -> tuple[str, int] | BaseResponse:
    upload = request.files.get("list_file")
    if upload is None or not upload.filename:
        flash(_("Choose the signed reviewer list file (reviewers.signed.json)."), "error")
        return _reviewers_page(400)
    data = upload.stream.read(reviewer_actions.MAX_LIST_UPLOAD_BYTES + 1)
    try:
        changes = reviewer_actions.load_signed_list(
            get_db(), current_app.instance_path, data, current_app.config.get("ORG_PUBLIC_KEY"), actor=_actor()
        )
    except reviewer_actions.ReviewerListRefused as exc:
        flash(_("The list was not loaded: %(reason)s", reason=str(exc)), "error")
        return _reviewers_page(400)
    flash(
        _(
            "Loaded the signed list: %(added)d added, %(updated)d updated, %(removed)d removed.",
            added=len(changes.added),
            updated=len(changes.updated),
            removed=len(changes.removed),
        )
    )
    return redirect(url_for("admin.reviewers_page"))


# --- the audit trail (read-only) -------------------------------------------------------------------


@bp.get("/audit")
@auth.signed_in("admin")
def audit_page() -> str:
    conn = get_db()
    try:
        count, problem = audit.verify_chain(conn, current_app.instance_path)
        problem_text = None if problem is None else problem.message
    except audit.AuditError as exc:
        count, problem_text = 0, str(exc)
    return render_template("admin/audit.html", entries=audit.recent_entries(conn), count=count, problem=problem_text)
