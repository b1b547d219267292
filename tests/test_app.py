"""The app factory, configuration precedence, headers, CSRF, cookies and error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, session
from werkzeug.exceptions import InternalServerError

from portal import create_app
from portal.instance import REPO_ROOT, resolve_instance_path
from portal.security import CONTENT_SECURITY_POLICY, PAGE_CONTENT_SECURITY_POLICY

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Only pages that load libsodium (the browser sealer) may compile WebAssembly.
EXPECTED_SEALING_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def test_csp_is_exactly_the_agreed_policy() -> None:
    assert PAGE_CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert CONTENT_SECURITY_POLICY == EXPECTED_SEALING_CSP


def test_wasm_unsafe_eval_only_on_pages_that_load_libsodium(client, add_reviewer) -> None:  # type: ignore[no-untyped-def]
    add_reviewer(Path(client.application.instance_path), "Dana Adviser", "Independent adviser")
    for path in ("/report", "/followup"):
        response = client.get(path)
        assert b"libsodium" in response.data, path
        assert response.headers["Content-Security-Policy"] == EXPECTED_SEALING_CSP, path
    for path in ("/", "/review/login", "/no-such-page"):
        response = client.get(path)
        assert b"libsodium" not in response.data, path
        assert response.headers["Content-Security-Policy"] == EXPECTED_CSP, path


def test_instance_path_defaults_to_repo_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANDOUR_INSTANCE", raising=False)
    assert resolve_instance_path() == REPO_ROOT / "instance"


def test_instance_path_from_environment(monkeypatch: pytest.MonkeyPatch, instance_dir: Path) -> None:
    monkeypatch.setenv("CANDOUR_INSTANCE", str(instance_dir))
    app = create_app()
    assert app.instance_path == str(instance_dir)
    assert Path(app.instance_path).is_absolute()


def test_argument_beats_environment(monkeypatch: pytest.MonkeyPatch, instance_dir: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("CANDOUR_INSTANCE", str(tmp_path / "elsewhere"))
    assert create_app(str(instance_dir)).instance_path == str(instance_dir)


def test_config_precedence_defaults_then_instance_then_overrides(instance_dir: Path) -> None:
    app = create_app(str(instance_dir))
    # From config/defaults.py
    assert app.config["ACKNOWLEDGE_DAYS"] == 7
    assert app.config["FEEDBACK_DAYS"] == 90
    assert app.config["ARGON2_CONCURRENCY"] == 2
    assert app.config["MAX_TOTAL_UPLOAD_BYTES"] == 500 * 1024 * 1024
    assert [key for key, _label in app.config["CATEGORIES"]] == [
        "bullying",
        "sexual_harassment",
        "racism",
        "other_discrimination",
        "abuse_of_process",
        "data_misuse",
        "other",
    ]
    # Written by init into candour.cfg
    assert len(app.config["INSTANCE_SALT"]) == 32
    assert len(app.config["LOGIN_PEPPER"]) == 64
    assert app.config["SECRET_KEY"]

    with open(instance_dir / "candour.cfg", "a", encoding="utf-8") as cfg:
        cfg.write("ACKNOWLEDGE_DAYS = 5\nFEEDBACK_DAYS = 60\n")
    app = create_app(str(instance_dir), overrides={"FEEDBACK_DAYS": 30})
    assert app.config["ACKNOWLEDGE_DAYS"] == 5  # instance beats defaults
    assert app.config["FEEDBACK_DAYS"] == 30  # overrides beat instance


def test_two_instances_get_different_secrets(tmp_path: Path) -> None:
    configs = []
    for name in ("one", "two"):
        path = tmp_path / name
        assert create_app(str(path)).test_cli_runner().invoke(args=["init"]).exit_code == 0
        configs.append(create_app(str(path)).config)
    for key in ("SECRET_KEY", "INSTANCE_SALT", "LOGIN_PEPPER"):
        assert configs[0][key] != configs[1][key]


def test_uninitialised_instance_answers_503_without_creating_anything(tmp_path: Path) -> None:
    missing = tmp_path / "not-yet"
    app = create_app(str(missing))
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert b"not been set up" in response.data
    assert not missing.exists()


def _assert_security_headers(response, html: bool = True) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["Content-Security-Policy"] == EXPECTED_CSP
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    if html:
        assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/no-such-page", 404),
        ("POST", "/", 405),
    ],
)
def test_security_headers_on_every_page(client, method: str, path: str, status: int) -> None:  # type: ignore[no-untyped-def]
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    _assert_security_headers(response)


def test_security_headers_on_static_files(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/static/css/candour.css")
    assert response.status_code == 200
    _assert_security_headers(response, html=False)


def _add_test_routes(app: Flask) -> None:
    # Test-only routes: a form that uses the session, and one that crashes.
    @app.post("/test-form")
    def test_form() -> str:
        return "accepted"

    @app.get("/test-session")
    def test_session() -> str:
        session["seen"] = True
        return "ok"

    @app.get("/test-token")
    def test_token() -> str:
        from flask_wtf.csrf import generate_csrf

        return str(generate_csrf())

    @app.get("/test-crash")
    def test_crash() -> str:
        from flask import request

        # As a careless parser would: the submitted words end up in the message.
        raise RuntimeError(f"could not parse {request.args['q']!r}")


def test_csrf_refuses_a_post_without_token(instance_dir: Path) -> None:
    app = create_app(str(instance_dir))
    _add_test_routes(app)
    client = app.test_client()
    response = client.post("/test-form", data={"field": "the-canary-4711"})
    assert response.status_code == 400
    assert b"accepted" not in response.data
    assert b"the-canary-4711" not in response.data
    assert b"This form has expired" in response.data
    _assert_security_headers(response)


def test_csrf_accepts_a_post_with_its_token(instance_dir: Path) -> None:
    app = create_app(str(instance_dir))
    _add_test_routes(app)
    client = app.test_client()
    token = client.get("/test-token").get_data(as_text=True)
    response = client.post("/test-form", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.data == b"accepted"


def _session_cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("candour_session=")]
    assert len(cookies) == 1, response.headers
    return str(cookies[0])


def test_session_cookie_flags_over_http(instance_dir: Path) -> None:
    app = create_app(str(instance_dir))
    _add_test_routes(app)
    cookie = _session_cookie_header(app.test_client().get("/test-session"))
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # an onion service is plain HTTP


def test_session_cookie_secure_over_https(instance_dir: Path) -> None:
    app = create_app(str(instance_dir))
    _add_test_routes(app)
    cookie = _session_cookie_header(app.test_client().get("/test-session", base_url="https://portal.example"))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


def test_session_cookie_secure_when_forced(instance_dir: Path) -> None:
    app = create_app(str(instance_dir), overrides={"COOKIE_SECURE": True})
    _add_test_routes(app)
    assert "Secure" in _session_cookie_header(app.test_client().get("/test-session"))


def test_500_page_echoes_nothing_and_logs_no_message(instance_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(str(instance_dir))
    _add_test_routes(app)
    response = app.test_client().get("/test-crash?q=the-canary-4711")
    assert response.status_code == 500
    assert b"the-canary-4711" not in response.data
    assert b"test-crash" not in response.data
    assert b"Something went wrong on our side" in response.data
    _assert_security_headers(response)
    # Flask logged the exception; our private handler must not render its message.
    from portal.logsafety import PrivateFormatter

    records = [record for record in caplog.records if record.exc_info]
    assert records, "Flask should log the unhandled exception"
    rendered = PrivateFormatter().format(records[0])
    assert "RuntimeError" in rendered
    assert "the-canary-4711" not in rendered
    assert "/test-crash" not in rendered  # the endpoint is named, not the path
    assert "test_crash" in rendered


def test_error_pages_never_echo_the_request(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/the-canary-4711/<script>?x=the-canary-4711")
    assert response.status_code == 404
    assert b"the-canary-4711" not in response.data
    assert b"<script>" not in response.data


def test_413_page_when_the_body_is_too_large(instance_dir: Path) -> None:
    app = create_app(str(instance_dir), overrides={"MAX_CONTENT_LENGTH": 10})
    _add_test_routes(app)
    response = app.test_client().post("/test-form", data={"field": "x" * 100})
    assert response.status_code == 413
    assert b"Too much to send at once" in response.data
    _assert_security_headers(response)


def test_unhandled_errors_become_friendly_500(instance_dir: Path) -> None:
    app = create_app(str(instance_dir))

    @app.get("/test-abort")
    def test_abort() -> str:
        raise InternalServerError()

    response = app.test_client().get("/test-abort")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data
