"""Response headers, the session cookie's flags and CSRF protection, set once for
every route so no blueprint can forget them."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer

_CSP_REST = "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
# Every page but those that load libsodium.
PAGE_CONTENT_SECURITY_POLICY = f"default-src 'self'; script-src 'self'; {_CSP_REST}"
# Pages that load libsodium (the browser sealer): wasm-unsafe-eval lets them compile
# its WebAssembly; it does not allow eval() of JavaScript. A page asks for it by
# rendering `browser.scripts()` (templates/reporter/_browser.html), which calls
# `allow_webassembly()`; no other page may compile WebAssembly at all.
CONTENT_SECURITY_POLICY = f"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; {_CSP_REST}"
WASM_FLAG = "candour_page_loads_libsodium"

# The headers of a page that loads libsodium (static test pages send these too);
# other pages get PAGE_CONTENT_SECURITY_POLICY instead.
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

    def __init__(self) -> None:
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Flask builds a new serializer (and its signer) for every request; it depends
        # only on the keys, so one per set of keys is kept. A changed key or fallback
        # list gets its own.
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is None:
                return None
            self._serializers = {keys: serializer}
        return serializer

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config.get("COOKIE_SECURE", "auto")
        if setting == "auto":
            return request.is_secure
        return bool(setting)


def allow_webassembly() -> str:
    """Called from a template that loads libsodium: this response's CSP allows
    WebAssembly. Returns "" so that `{{ allow_webassembly() }}` renders nothing."""
    g.setdefault(WASM_FLAG, True)
    return ""


def _set_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if not g.get(WASM_FLAG, False):
        response.headers["Content-Security-Policy"] = PAGE_CONTENT_SECURITY_POLICY
    if response.mimetype == "text/html":
        # Pages can show a case's status or replies: no browser or proxy cache may
        # keep a copy for the next person at the same computer.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.session_interface = RequestAwareSessionInterface()
    app.after_request(_set_security_headers)
    app.add_template_global(allow_webassembly)
    csrf.init_app(app)
