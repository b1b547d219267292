"""Signing in (password, then a code), setting up the authenticator, signing out."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from portal import accounts, audit, retention
from portal.i18n import gettext as _
from portal.reviewer import bp
from portal.reviewer.workflow import closed_status
from portal.store.db import get_db, transaction

View = str | BaseResponse | tuple[str, int]


def _home(account: accounts.Account) -> BaseResponse:
    return redirect(url_for("admin.index" if account.is_admin else "reviewer.queue"))


def _pending(stage: str) -> accounts.Account:
    session = accounts.current_session()
    if session is None or session[1] != stage:
        abort(redirect(url_for("reviewer.login")))
    return session[0]


def _finish_sign_in(account: accounts.Account) -> BaseResponse:
    conn = get_db()
    accounts.start_session(account, accounts.STAGE_FULL)
    audit.record(conn, current_app.instance_path, actor=account.actor, action="login")
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
    account = accounts.current_account()
    if account is not None:
        return _home(account)
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        try:
            account = accounts.check_password(get_db(), username, password)
        except accounts.SignInRefusedError as exc:
            error = str(exc)
        else:
            stage = accounts.STAGE_SECOND_FACTOR if account.totp_enrolled else accounts.STAGE_ENROL
            accounts.start_session(account, stage)
            return redirect(url_for("reviewer.code" if account.totp_enrolled else "reviewer.enrol"))
    return render_template("reviewer/login.html", error=error), 401 if error else 200


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> View:
    account = _pending(accounts.STAGE_SECOND_FACTOR)
    error = None
    if request.method == "POST":
        try:
            accounts.check_code(get_db(), account, request.form.get("code", ""))
        except accounts.SignInRefusedError as exc:
            error = str(exc)
        else:
            return _finish_sign_in(accounts.get_account(get_db(), account.id))
    return render_template("reviewer/code.html", error=error), 401 if error else 200


@bp.route("/enrol", methods=["GET", "POST"])
def enrol() -> View:
    account = _pending(accounts.STAGE_ENROL)
    conn = get_db()
    secret = accounts.enrolment_secret(conn, account.id)
    error = None
    if request.method == "POST":
        try:
            accounts.complete_enrolment(conn, account, request.form.get("code", ""))
        except accounts.SignInRefusedError as exc:
            error = str(exc)
        else:
            return _finish_sign_in(accounts.get_account(conn, account.id))
    return (
        render_template("reviewer/enrol.html", secret=secret, account=account, error=error),
        401 if error else 200,
    )


@bp.get("/enrol/qr.svg")
def enrol_qr() -> Response:
    account = _pending(accounts.STAGE_ENROL)
    secret = accounts.enrolment_secret(get_db(), account.id)
    response = Response(accounts.qr_svg(accounts.provisioning_uri(secret, account.username)), mimetype="image/svg+xml")
    # It encodes the secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password", methods=["GET", "POST"])
@accounts.signed_in()
def change_password() -> View:
    account: accounts.Account = g.account
    error = None
    if request.method == "POST":
        conn = get_db()
        new = request.form.get("new_password", "")
        try:
            accounts.check_password(conn, account.username, request.form.get("current_password", ""))
            if new != request.form.get("confirm_password", ""):
                raise accounts.PasswordPolicyError(_("The two new passwords differ."))
            with audit.audited_transaction(conn, current_app.instance_path):
                accounts.set_password(conn, account.id, new)  # ends every session, this one too
                audit.append(conn, actor=account.actor, action="password_changed")
        except accounts.AccountError as exc:
            error = str(exc)
        else:
            accounts.start_session(accounts.get_account(conn, account.id), accounts.STAGE_FULL)
            flash(_("Your password was changed."))
            return _home(account)
    return render_template("reviewer/password.html", error=error), 400 if error else 200


@bp.post("/logout")
def logout() -> BaseResponse:
    token = request.cookies.get(accounts.COOKIE_NAME)
    session = accounts.current_session()
    conn = get_db()
    if token:
        with transaction(conn):
            accounts.end_session(conn, token)
            if session is not None and session[1] == accounts.STAGE_FULL:
                audit.append(conn, actor=session[0].actor, action="logout")
        audit.anchor_head(conn, current_app.instance_path)
    response = redirect(url_for("reviewer.login"))
    accounts.clear_session_cookie(response)
    return response
