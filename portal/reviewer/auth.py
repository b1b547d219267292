"""Signing in (password, then a code), setting up the authenticator, signing out."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from portal import audit, auth, retention
from portal.actions import accounts as account_actions
from portal.audit import AuditEntry
from portal.auth import notices
from portal.i18n import gettext as _
from portal.reviewer import bp
from portal.store.db import get_db
from portal.workflow import closed_status

View = str | BaseResponse | tuple[str, int]


def _home(account: auth.Account) -> BaseResponse:
    return redirect(url_for("admin.index" if account.is_admin else "reviewer.queue"))


def _pending(stage: str) -> auth.Account:
    session = auth.current_session()
    if session is None or session[1] != stage:
        abort(redirect(url_for("reviewer.login")))
    return session[0]


def _notice_text(entry: AuditEntry) -> str:
    day = entry.day
    who = str(_("the server's operator (command line)")) if entry.actor == audit.SYSTEM else entry.actor
    if entry.action == "password_reset":
        return str(_("Your password was reset by %(who)s on %(day)s.", who=who, day=day))
    if entry.action == "second_factor_reset":
        return str(_("Your second factor was reset by %(who)s on %(day)s.", who=who, day=day))
    return str(_("Your sessions were ended by %(who)s on %(day)s.", who=who, day=day))


def _tell_holder(account: auth.Account) -> None:
    """Show what someone else did to this account since its holder last looked."""
    conn = get_db()
    entries = notices.unseen_notices(conn, account)
    for entry in entries:
        flash(
            _notice_text(entry)
            + " "
            + _("If you did not ask for this, tell your organisation now: someone may have used your account.")
            + " "
            + _("Your activity page lists everything done by or to your account."),
            "error",
        )
    notices.mark_shown(conn, account, entries)


def _finish_sign_in(account: auth.Account) -> BaseResponse:
    conn = get_db()
    auth.start_session(account, auth.STAGE_FULL)
    audit.record(conn, current_app.instance_path, actor=account.actor, action="login")
    _tell_holder(account)
    # The cheap retention check (see portal/retention.py): sign-ins are frequent
    # enough and need no scheduler.
    retention.purge_if_due(
        conn,
        current_app.instance_path,
        retention_days=int(current_app.config["RETENTION_DAYS"]),
        closed_status=closed_status(),
    )
    if account.must_change_password:
        return redirect(url_for("reviewer.change_password"))
    return _home(account)


@bp.route("/login", methods=["GET", "POST"])
def login() -> View:
    account = auth.current_account()
    if account is not None:
        return _home(account)
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        # The code is optional here: with it the password and code are taken in one
        # step, the way in while a guesser's lock holds (portal/auth/passwords.py).
        code = request.form.get("code", "").strip()
        try:
            if code:
                account = auth.check_password_and_code(get_db(), username, password, code)
            else:
                account = auth.check_password(get_db(), username, password)
        except auth.SignInRefusedError as exc:
            error = str(exc)
        else:
            if code and account.totp_enrolled:
                return _finish_sign_in(auth.get_account(get_db(), account.id))
            stage = auth.STAGE_SECOND_FACTOR if account.totp_enrolled else auth.STAGE_ENROL
            auth.start_session(account, stage)
            return redirect(url_for("reviewer.code" if account.totp_enrolled else "reviewer.enrol"))
    return render_template("reviewer/login.html", error=error), 401 if error else 200


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> View:
    account = _pending(auth.STAGE_SECOND_FACTOR)
    error = None
    if request.method == "POST":
        try:
            auth.check_code(get_db(), account, request.form.get("code", ""))
        except auth.SignInRefusedError as exc:
            error = str(exc)
        else:
            return _finish_sign_in(auth.get_account(get_db(), account.id))
    return render_template("reviewer/code.html", error=error), 401 if error else 200


@bp.route("/enrol", methods=["GET", "POST"])
def enrol() -> View:
    account = _pending(auth.STAGE_ENROL)
    conn = get_db()
    secret = auth.enrolment_secret(conn, account.id)
    error = None
    if request.method == "POST":
        try:
            auth.complete_enrolment(conn, account, request.form.get("code", ""))
        except auth.SignInRefusedError as exc:
            error = str(exc)
        else:
            return _finish_sign_in(auth.get_account(conn, account.id))
    return (
        render_template("reviewer/enrol.html", secret=secret, account=account, error=error),
        401 if error else 200,
    )


@bp.get("/enrol/qr.svg")
def enrol_qr() -> Response:
    account = _pending(auth.STAGE_ENROL)
    secret = auth.enrolment_secret(get_db(), account.id)
    response = Response(auth.qr_svg(auth.provisioning_uri(secret, account.username)), mimetype="image/svg+xml")
    # It encodes the secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password", methods=["GET", "POST"])
@auth.signed_in()
def change_password() -> View:
    account: auth.Account = g.account
    error = None
    if request.method == "POST":
        conn = get_db()
        new = request.form.get("new_password", "")
        try:
            auth.confirm_password(conn, account, request.form.get("current_password", ""))
            if new != request.form.get("confirm_password", ""):
                raise auth.PasswordPolicyError(_("The two new passwords differ."))
            # Ends every session, this one too: a new one follows.
            account_actions.change_own_password(conn, current_app.instance_path, account, new)
        except auth.AccountError as exc:
            error = str(exc)
        else:
            auth.start_session(auth.get_account(conn, account.id), auth.STAGE_FULL)
            flash(_("Your password was changed."))
            return _home(account)
    return render_template("reviewer/password.html", error=error), 400 if error else 200


@bp.get("/activity")
@auth.signed_in()
def activity() -> str:
    """The holder's own view of the trail: what they did, and what was done to their account."""
    account: auth.Account = g.account
    entries = audit.entries_about(get_db(), account.actor)
    return render_template("reviewer/activity.html", entries=entries, account=account, system=audit.SYSTEM)


@bp.post("/logout")
def logout() -> BaseResponse:
    token = request.cookies.get(auth.COOKIE_NAME)
    session = auth.current_session()
    conn = get_db()
    if token:
        signed_in = session[0] if session is not None and session[1] == auth.STAGE_FULL else None
        account_actions.sign_out(conn, current_app.instance_path, token, signed_in)
    response = redirect(url_for("reviewer.login"))
    auth.clear_session_cookie(response)
    return response
