"""The e-mail address pages: an account's own (/review/email), the link a
confirmation message carries, and the administrators' overview (/admin/email)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from portal import auth as accounts
from portal.i18n import gettext as _
from portal.notify import addresses
from portal.notify.settings import NotifySettings
from portal.notify.setup import settings_of
from portal.store import notifications as store
from portal.store.db import get_db

bp = Blueprint("notify", __name__)

View = str | BaseResponse | tuple[str, int]


def _now() -> datetime:
    return datetime.now(UTC)


def _settings_or_400() -> NotifySettings:
    settings = settings_of(current_app)
    if settings is None:
        abort(400)
    return settings


def _set_address(account_id: int, username: str, address: str) -> str | None:
    """Send the confirmation; the error to show, or None after flashing what happened."""
    account: accounts.Account = g.account
    try:
        sent_to = addresses.request_confirmation(
            get_db(),
            current_app.instance_path,
            _settings_or_400(),
            account_id=account_id,
            username=username,
            address=address,
            actor=account.actor,
            now=_now(),
        )
    except (addresses.AddressError, addresses.ConfirmationNotSentError) as exc:
        return str(exc)
    flash(
        _(
            "A confirmation link was sent to %(address)s. The address is used once the link is followed.",
            address=sent_to,
        )
    )
    return None


@bp.route("/review/email", methods=["GET", "POST"], endpoint="email")
@accounts.signed_in()
def own_address() -> View:
    account: accounts.Account = g.account
    conn = get_db()
    error = None
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "remove":
            if addresses.remove(
                conn, current_app.instance_path, account_id=account.id, username=account.username, actor=account.actor
            ):
                flash(_("Your e-mail address was removed. No more messages will be sent to it."))
            return redirect(url_for("notify.email"))
        if action == "set":
            error = _set_address(account.id, account.username, request.form.get("address", ""))
            if error is None:
                return redirect(url_for("notify.email"))
        else:
            abort(400)
    entry = next((e for e in store.account_addresses(conn) if e.account_id == account.id), None)
    return (
        render_template("notify/email.html", entry=entry, enabled=settings_of(current_app) is not None, error=error),
        400 if error else 200,
    )


@bp.route("/review/email/confirm/<token>", methods=["GET", "POST"], endpoint="confirm")
def confirm_address(token: str) -> View:
    conn = get_db()
    if request.method == "POST":
        confirmed = addresses.confirm(conn, current_app.instance_path, token, _now())
        if confirmed is None:
            return render_template("notify/confirm.html", pending=None, token=token), 404
        return render_template("notify/confirmed.html", confirmed=confirmed)
    pending = addresses.pending(conn, token, _now())
    return render_template("notify/confirm.html", pending=pending, token=token), 200 if pending else 404


@bp.route("/admin/email", methods=["GET", "POST"], endpoint="admin")
@accounts.signed_in("admin")
def admin_addresses() -> View:
    conn = get_db()
    account: accounts.Account = g.account
    error = None
    entries = store.account_addresses(conn)
    if request.method == "POST":
        raw_id = request.form.get("account_id", "")
        target = next((e for e in entries if raw_id.isdigit() and e.account_id == int(raw_id)), None)
        if target is None:
            abort(404)
        action = request.form.get("action", "")
        if action == "remove":
            if addresses.remove(
                conn, current_app.instance_path, account_id=target.account_id, username=target.username,
                actor=account.actor,
            ):  # fmt: skip
                flash(_("The e-mail address of %(user)s was removed.", user=target.username))
            return redirect(url_for("notify.admin"))
        if action != "set":
            abort(400)
        error = _set_address(target.account_id, target.username, request.form.get("address", ""))
        if error is None:
            return redirect(url_for("notify.admin"))
    return (
        render_template(
            "notify/admin.html", entries=entries, enabled=settings_of(current_app) is not None, error=error
        ),
        400 if error else 200,
    )
