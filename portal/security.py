"""Response headers, the session cookie's flags and CSRF protection, set once for
every route so no blueprint can forget them."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    # wasm-unsafe-eval lets the browser sealer compile libsodium's WebAssembly; it
    # does not allow eval() of JavaScript.
    "script-src 'self' 'wasm-unsafe-eval'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # A link followed out of the portal must not tell the next site where it came
    # from (an onion address, a case page).
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}

csrf = CSRFProtect()


class RequestAwareSessionInterface(SecureCookieSessionInterface):
    """Session cookie whose Secure flag follows COOKIE_SECURE: "auto" marks it
    Secure exactly when the request arrived over HTTPS, so the same install works
    as an onion service (HTTP) and behind TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config.get("COOKIE_SECURE", "auto")
        if setting == "auto":
            return request.is_secure
        return bool(setting)


def _set_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if response.mimetype == "text/html":
        # Pages can show a case's status or replies: no browser or proxy cache may
        # keep a copy for the next person at the same computer.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.session_interface = RequestAwareSessionInterface()
    app.after_request(_set_security_headers)
    csrf.init_app(app)
