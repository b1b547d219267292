"""Administration pages."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from crypto.errors import CandourError, IdentityError
from crypto.identity import parse_org_identity, parse_public_identity
from crypto.org import SignedReviewerList, verify_reviewer_list
from portal import accounts, audit
from portal.admin import bp
from portal.i18n import gettext as _
from portal.reviewer.queue import list_queue_page, requested_page
from portal.reviewer_admin import MAX_LABEL_CHARS, LabelError, add_reviewer_audited, clean_label
from portal.store.db import Connection, get_db, today
from portal.store.reviewers import (
    ReviewerExistsError,
    ReviewerNotFoundError,
    deactivate_reviewer,
    find_reviewer,
    list_reviewers,
    set_required,
    upsert_reviewer,
)

MAX_PUB_BYTES = 8 * 1024
MAX_LIST_UPLOAD_BYTES = 1 << 20
LIST_SERIAL_META = "org_reviewer_list_serial"
LIST_META = "org_reviewer_list"


def _actor() -> str:
    account: accounts.Account = g.account
    return account.actor


def _clean_label(value: str, what: str) -> str:
    """`reviewer_admin.clean_label` with the page's translated messages."""
    try:
        return clean_label(value, what)
    except LabelError as exc:
        messages = {
            "empty": _("The %(what)s must not be empty.", what=what),
            "too_long": _("The %(what)s is at most %(count)d characters.", what=what, count=MAX_LABEL_CHARS),
            "control": _("The %(what)s must not contain control characters.", what=what),
        }
        raise ValueError(messages[exc.problem]) from None


# --- overview ---------------------------------------------------------------------------------


@bp.get("/")
@accounts.signed_in("admin")
def index() -> str:
    listing = list_queue_page(get_db(), today(), None, requested_page())
    return render_template("admin/index.html", listing=listing, items=listing.items)


# --- accounts ---------------------------------------------------------------------------------


def _accounts_page(created: tuple[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    conn = get_db()
    linked = {account.reviewer_id for account in accounts.list_accounts(conn) if account.reviewer_id}
    return (
        render_template(
            "admin/accounts.html",
            accounts=accounts.list_accounts(conn),
            free_reviewers=[r for r in list_reviewers(conn) if r.id not in linked],
            created=created,
        ),
        status,
    )


@bp.get("/accounts")
@accounts.signed_in("admin")
def accounts_page() -> tuple[str, int]:
    return _accounts_page()


@bp.post("/accounts")
@accounts.signed_in("admin")
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
        with audit.audited_transaction(conn, current_app.instance_path):
            account, initial = accounts.create_account(
                conn, username=request.form.get("username", ""), role=role, reviewer_id=reviewer_id
            )
            audit.append(
                conn,
                actor=_actor(),
                action="account_created",
                details={"username": account.username, "role": account.role, "reviewer": account.reviewer_key_id},
            )
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return _accounts_page(status=400)
    assert initial is not None  # noqa: S101 - no password given, so a one-time one was made
    return _accounts_page(created=(account.username, initial))


def _account_action(account_id: int, action: str) -> accounts.Account:
    conn = get_db()
    account = accounts.get_account(conn, account_id)
    with audit.audited_transaction(conn, current_app.instance_path):
        details: dict[str, object] = {"username": account.username}
        if action == "second_factor_reset":
            accounts.reset_second_factor(conn, account.id)
        elif action == "sessions_revoked":
            details["sessions"] = accounts.revoke_sessions(conn, account.id)
        audit.append(conn, actor=_actor(), action=action, details=details)
    return account


@bp.post("/accounts/<int:account_id>/reset-2fa")
@accounts.signed_in("admin")
def reset_second_factor(account_id: int) -> BaseResponse:
    account = _account_action(account_id, "second_factor_reset")
    flash(
        _(
            "%(user)s sets up a new authenticator at their next sign-in; their sessions were ended.",
            user=account.username,
        )
    )
    return redirect(url_for("admin.accounts_page"))


@bp.post("/accounts/<int:account_id>/revoke-sessions")
@accounts.signed_in("admin")
def revoke_sessions(account_id: int) -> BaseResponse:
    account = _account_action(account_id, "sessions_revoked")
    flash(_("Every session of %(user)s was ended.", user=account.username))
    return redirect(url_for("admin.accounts_page"))


@bp.post("/accounts/<int:account_id>/reset-password")
@accounts.signed_in("admin")
def reset_password(account_id: int) -> tuple[str, int]:
    conn = get_db()
    account = accounts.get_account(conn, account_id)
    with audit.audited_transaction(conn, current_app.instance_path):
        password = accounts.reset_password(conn, account.id)
        audit.append(conn, actor=_actor(), action="password_reset", details={"username": account.username})
    return _accounts_page(created=(account.username, password))


# --- reviewers ----------------------------------------------------------------------------------


def _reviewers_page(status: int = 200) -> tuple[str, int]:
    conn = get_db()
    row = conn.execute("SELECT value FROM instance_meta WHERE name = ?", (LIST_SERIAL_META,)).fetchone()
    return (
        render_template(
            "admin/reviewers.html",
            reviewers=list_reviewers(conn, active_only=False),
            list_serial=None if row is None else int(row[0]),
            org_configured=bool(current_app.config.get("ORG_PUBLIC_KEY")),
        ),
        status,
    )


@bp.get("/reviewers")
@accounts.signed_in("admin")
def reviewers_page() -> tuple[str, int]:
    return _reviewers_page()


@bp.post("/reviewers")
@accounts.signed_in("admin")
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
    conn = get_db()
    try:
        reviewer = add_reviewer_audited(
            conn,
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
@accounts.signed_in("admin")
def remove_reviewer(key_id: str) -> BaseResponse:
    conn = get_db()
    try:
        reviewer = deactivate_reviewer(conn, key_id)
    except ReviewerNotFoundError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.reviewers_page"))
    audit.record(
        conn,
        current_app.instance_path,
        actor=_actor(),
        action="reviewer_removed",
        details={"key_id": reviewer.key_id, "name": reviewer.display_name},
    )
    flash(_("Removed %(name)s: new reports will not reach them.", name=reviewer.display_name))
    return redirect(url_for("admin.reviewers_page"))


@bp.post("/reviewers/<key_id>/required")
@accounts.signed_in("admin")
def mark_required(key_id: str) -> BaseResponse:
    conn = get_db()
    required = request.form.get("required") == "yes"
    try:
        reviewer = find_reviewer(conn, key_id)
    except ReviewerNotFoundError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.reviewers_page"))
    with audit.audited_transaction(conn, current_app.instance_path):
        set_required(conn, reviewer.key_id, required)
        audit.append(
            conn,
            actor=_actor(),
            action="reviewer_required_changed",
            details={"key_id": reviewer.key_id, "required": required},
        )
    flash(_("Saved."))
    return redirect(url_for("admin.reviewers_page"))


# --- the organisation-signed reviewer list ----------------------------------------------------------


class ReviewerListRefused(Exception):
    pass


def load_signed_list(
    conn: Connection, data: bytes, org_line: str | None, actor: str, instance_path: str
) -> dict[str, list[str]]:
    """Verify a signed list against the configured organisation key, refuse an older
    serial, and apply it in one transaction: add or update every listed reviewer and
    remove the active ones it leaves out. Returns the key ids added/updated/removed."""
    if not org_line:
        raise ReviewerListRefused(
            "no organisation key is configured: set ORG_PUBLIC_KEY (the org.pub line) in the instance's candour.cfg"
        )
    try:
        org = parse_org_identity(org_line)
        signed: SignedReviewerList = verify_reviewer_list(data, expected_org_fingerprint=org.fingerprint)
    except CandourError as exc:
        raise ReviewerListRefused(str(exc)) from exc
    if signed.org.sign_public_key != org.sign_public_key:
        raise ReviewerListRefused("the list is signed by another organisation key than the one configured")
    changes: dict[str, list[str]] = {"added": [], "updated": [], "removed": []}
    with audit.audited_transaction(conn, instance_path):
        row = conn.execute("SELECT value FROM instance_meta WHERE name = ?", (LIST_SERIAL_META,)).fetchone()
        loaded = 0 if row is None else int(row[0])
        if signed.serial <= loaded:
            raise ReviewerListRefused(
                f"this list has serial {signed.serial}, but serial {loaded} is already loaded: "
                "only a newer list can replace it (an older one could bring back a removed reviewer)"
            )
        before = {r.key_id: r for r in list_reviewers(conn, active_only=False)}
        listed = set()
        for entry in signed.reviewers:
            key_id = entry.key_id.hex()
            listed.add(key_id)
            old = before.get(key_id)
            upsert_reviewer(
                conn,
                key_id=key_id,
                identity=entry.identity.to_line(),
                fingerprint=entry.identity.fingerprint,
                display_name=entry.display_name,
                role=entry.role,
                required=entry.required,
            )
            changes["added" if old is None or not old.active else "updated"].append(key_id)
        for key_id, reviewer in before.items():
            if reviewer.active and key_id not in listed:
                conn.execute("UPDATE reviewers SET active = 0 WHERE id = ?", (reviewer.id,))
                changes["removed"].append(key_id)
        for name, value in ((LIST_SERIAL_META, str(signed.serial)), (LIST_META, data.decode("utf-8"))):
            conn.execute(
                "INSERT INTO instance_meta (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
        audit.append(
            conn,
            actor=actor,
            action="org_reviewer_list_loaded",
            details={"serial": signed.serial, "organisation": signed.organisation, "issued": signed.issued, **changes},
        )
    return changes


@bp.post("/reviewer-list")
@accounts.signed_in("admin")
def upload_reviewer_list() -> tuple[str, int] | BaseResponse:
    upload = request.files.get("list_file")
    if upload is None or not upload.filename:
        flash(_("Choose the signed reviewer list file (reviewers.signed.json)."), "error")
        return _reviewers_page(400)
    data = upload.stream.read(MAX_LIST_UPLOAD_BYTES + 1)
    try:
        changes = load_signed_list(
            get_db(), data, current_app.config.get("ORG_PUBLIC_KEY"), _actor(), current_app.instance_path
        )
    except ReviewerListRefused as exc:
        flash(_("The list was not loaded: %(reason)s", reason=str(exc)), "error")
        return _reviewers_page(400)
    flash(
        _(
            "Loaded the signed list: %(added)d added, %(updated)d updated, %(removed)d removed.",
            added=len(changes["added"]),
            updated=len(changes["updated"]),
            removed=len(changes["removed"]),
        )
    )
    return redirect(url_for("admin.reviewers_page"))


# --- the audit trail (read-only) -------------------------------------------------------------------


@bp.get("/audit")
@accounts.signed_in("admin")
def audit_page() -> str:
    conn = get_db()
    try:
        count, problem = audit.verify_chain(conn, current_app.instance_path)
        problem_text = None if problem is None else problem.message
    except audit.AuditError as exc:
        count, problem_text = 0, str(exc)
    return render_template("admin/audit.html", entries=audit.recent_entries(conn), count=count, problem=problem_text)
