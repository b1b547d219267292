"""Hostile input on the portal's own forms (issue #7, item 6).

Hypothesis throws garbled multipart bodies, odd boundaries and headers, huge or
strange field names, invalid UTF-8 and missing CSRF tokens at every reporter form
handler. Only defined answers are allowed (never a 500), and a refused submission
stores nothing: no row, no blob, no temporary file. Every POST route refuses a
request without a CSRF token and changes nothing. Session cookies planted before a
login are replaced by it. Markup typed by a reporter never reaches the reviewer
workspace, even escaped (it is sealed: the server cannot read it).

The crypto parsers are fuzzed separately (tests/fuzz/).
"""

from __future__ import annotations

import re
import secrets
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.reporter_support import (
    add_reviewer_with_keys,
    blob_files,
    codename_from,
    csrf_token,
    multipart,
    report_fields,
    sealed_token,
)

from crypto.identity import ReviewerKeys
from crypto.wordlist import words as wordlist
from portal import create_app
from portal.reporter.session import COOKIE_NAME, load_reporter_session
from portal.store.db import connect

DEFINED = {200, 303, 400, 403, 404, 409, 413, 503}
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=False,
)
REPORT_NAMES = [
    "csrf_token",
    "category",
    "what",
    "when",
    "where",
    "who",
    "outcome",
    "website",
    "reviewer",
    "attachments",
]


def _app(instance: Path) -> Flask:
    return create_app(str(instance), overrides={"TESTING": True})


def _state(instance: Path) -> tuple[Any, ...]:
    """Every row of every table, and every file under blobs/: what 'nothing changed' means."""
    with closing(connect(instance)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = tuple(
            (table, tuple(tuple(r) for r in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')))  # noqa: S608
            for table in tables
            if table != "account_sessions"  # sign-in stages live here; compared where it matters
        )
    return rows, tuple(str(p) for p in blob_files(instance))


def _stored(instance: Path) -> tuple[int, int]:
    with closing(connect(instance)) as conn:
        submissions = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
    return submissions, len(blob_files(instance))


@pytest.fixture
def reviewer(instance_dir: Path) -> ReviewerKeys:
    return add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True)


# --- strategies --------------------------------------------------------------------------------

header_text = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "",
            '"',
            "\\",
            "\r\n",
            "\x00",
            "a" * 5000,
            '"; filename="',
            "é😀",
            "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
        ]
    ),
)
field_name = st.one_of(st.sampled_from(REPORT_NAMES), header_text)


@st.composite
def part(draw: Any) -> bytes:
    name = draw(field_name)
    disposition = draw(st.sampled_from(["form-data", "attachment", "", "FORM-DATA", "form-data;;"]))
    header = f'Content-Disposition: {disposition}; name="{name}"'
    if draw(st.booleans()):
        header += f'; filename="{draw(header_text)}"'
    lines = [header]
    if draw(st.booleans()):
        lines.append(f"Content-Type: {draw(header_text)}")
    for _ in range(draw(st.integers(0, 5))):
        lines.append(f"{draw(header_text)}: {draw(header_text)}")
    head = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    value = draw(
        st.one_of(st.binary(max_size=3000), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
    )
    return head + b"\r\n\r\n" + value


@st.composite
def multipart_body(draw: Any, token: str) -> tuple[bytes, str]:
    boundary = draw(
        st.one_of(
            st.just("----fuzzBoundary7"),
            st.text(min_size=0, max_size=300).filter(lambda b: "\r" not in b and "\n" not in b),
        )
    )
    parts = []
    if draw(st.integers(0, 3)):  # mostly a valid token first, so the body is parsed beyond it
        parts.append(f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{token}'.encode())
    parts.extend(draw(st.lists(part(), max_size=8)))
    sep = f"--{boundary}".encode("utf-8", "surrogatepass")
    body = b"".join(sep + b"\r\n" + p + b"\r\n" for p in parts) + sep + b"--\r\n"
    cut = draw(st.one_of(st.none(), st.integers(0, max(0, len(body)))))
    if cut is not None:
        body = body[:cut]
    if draw(st.integers(0, 9)) == 0:
        body = draw(st.binary(max_size=4000))
    content_type = draw(
        st.one_of(
            st.just(f"multipart/form-data; boundary={boundary}"),
            st.just(f'multipart/form-data; boundary="{boundary}"'),
            st.just("multipart/form-data"),
            st.just("application/x-www-form-urlencoded"),
            st.just(f"multipart/mixed; boundary={boundary}"),
            header_text.map(lambda t: t.encode("latin-1", "replace").decode("latin-1")),
        )
    )
    return body, content_type


def _post_raw(client: FlaskClient, path: str, body: bytes, content_type: str) -> Any:
    headers = {"Content-Type": content_type} if content_type else {}
    try:
        return client.post(path, data=body, headers=headers)
    except ValueError:
        # Werkzeug's test client refuses to *send* some header values (newlines);
        # a real server would never see them as one header.
        return None


def _check(response: Any) -> None:
    if response is None:
        return
    assert response.status_code in DEFINED, f"{response.status_code}: {response.get_data(as_text=True)[:500]}"
    if response.status_code >= 400:
        page = response.get_data(as_text=True)
        assert "<h1>" in page and "Traceback" not in page


# --- the reporter's forms -----------------------------------------------------------------------


def test_report_form_survives_garbled_bodies_and_keeps_nothing_it_refuses(
    instance_dir: Path, reviewer: ReviewerKeys
) -> None:
    client = _app(instance_dir).test_client()
    token = csrf_token(client.get("/report").get_data(as_text=True))

    @FUZZ
    @given(data=st.data())
    def run(data: Any) -> None:
        body, content_type = data.draw(multipart_body(token))
        before = _stored(instance_dir)
        response = _post_raw(client, "/report", body, content_type)
        _check(response)
        if response is None or response.status_code != 200:
            assert _stored(instance_dir) == before, "a refused report left a row or a blob"
        else:
            assert _stored(instance_dir) == (before[0] + 1, before[1] + len(blob_files(instance_dir)) - before[1])
        assert not list((instance_dir / "blobs" / "tmp").iterdir())

    run()


def test_report_form_refuses_valid_forms_with_hostile_values_without_storing(
    instance_dir: Path, reviewer: ReviewerKeys
) -> None:
    client = _app(instance_dir).test_client()
    token = csrf_token(client.get("/report").get_data(as_text=True))
    markup = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"

    @FUZZ
    @given(
        name=st.one_of(st.just("what"), header_text.filter(lambda n: n not in REPORT_NAMES)),
        value=st.one_of(st.text(max_size=200), st.just(markup), st.just("x" * 100_001)),
        category=st.one_of(st.just("bullying"), st.text(max_size=30)),
        website=st.one_of(st.just(""), st.text(min_size=1, max_size=10)),
        token_choice=st.sampled_from(["valid", "missing", "garbage", "empty"]),
    )
    def run(name: str, value: str, category: str, website: str, token_choice: str) -> None:
        chosen = {"valid": token, "missing": None, "garbage": secrets.token_urlsafe(20), "empty": ""}[token_choice]
        fields = report_fields(chosen or "", what="something", extra=None)
        fields = [f for f in fields if f[0] not in ("category", "website")]
        if chosen is None:
            fields = fields[1:]
        fields.insert(1, ("category", category))
        fields.insert(2, ("website", website))
        fields.insert(3, (name, value))
        try:
            body, content_type = multipart(fields)
        except UnicodeEncodeError:
            return  # a lone surrogate cannot be sent as UTF-8 by any browser
        before = _stored(instance_dir)
        response = client.post("/report", data=body, content_type=content_type)
        _check(response)
        if response.status_code != 200:
            assert _stored(instance_dir) == before
        if token_choice != "valid":
            assert response.status_code == 400 and _stored(instance_dir) == before

    run()


def _filed(client: FlaskClient) -> tuple[str, str]:
    """(codename, case page html) for a report filed and confirmed through the forms."""
    body, content_type = multipart(report_fields(csrf_token(client.get("/report").get_data(as_text=True))))
    page = client.post("/report", data=body, content_type=content_type).get_data(as_text=True)
    codename = codename_from(page)
    response = client.post(
        "/report/confirm",
        data={"csrf_token": csrf_token(page), "sealed": sealed_token(page), "codename": codename},
    )
    assert response.status_code == 303
    return codename, client.get("/case").get_data(as_text=True)


def test_followup_login_and_confirmation_take_any_text(instance_dir: Path, reviewer: ReviewerKeys) -> None:
    client = _app(instance_dir).test_client()
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    words = st.lists(st.sampled_from(list(wordlist())), min_size=0, max_size=10)
    separators = st.sampled_from([" ", "-", "\n", "\t", ", ", "\u00a0", "\u200b", ""])

    @settings(FUZZ, max_examples=60)
    @given(
        codename=st.one_of(st.text(max_size=500), st.builds(lambda w, s: s.join(w), words, separators)),
        raw=st.binary(max_size=300),
        sealed=st.one_of(st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.hex())),
    )
    def run(codename: str, raw: bytes, sealed: str) -> None:
        before = _state(instance_dir)
        try:
            response = client.post("/followup", data={"csrf_token": token, "codename": codename})
        except UnicodeEncodeError:
            response = None
        _check(response)
        assert response is None or response.status_code in {400, 503}, response.status_code  # no case matches
        # Invalid UTF-8 and stray '%' in a urlencoded body.
        _check(
            client.post(
                "/followup",
                data=b"csrf_token=" + token.encode() + b"&codename=" + raw,
                content_type="application/x-www-form-urlencoded",
            )
        )
        try:
            confirm = client.post("/report/confirm", data={"csrf_token": token, "sealed": sealed, "codename": codename})
        except UnicodeEncodeError:
            confirm = None
        _check(confirm)
        assert confirm is None or confirm.status_code == 400
        assert _state(instance_dir) == before

    run()


def test_case_followup_survives_garbled_bodies_and_keeps_nothing_it_refuses(
    instance_dir: Path, reviewer: ReviewerKeys
) -> None:
    client = _app(instance_dir).test_client()
    _codename, case_page = _filed(client)
    token = csrf_token(case_page)
    anonymous = _app(instance_dir).test_client()

    @FUZZ
    @given(data=st.data())
    def run(data: Any) -> None:
        body, content_type = data.draw(multipart_body(token))
        before = _stored(instance_dir)
        response = _post_raw(client, "/case/followup", body, content_type)
        _check(response)
        if response is None or response.status_code != 303:
            assert _stored(instance_dir) == before, "a refused follow-up left a row or a blob"
        without_session = _post_raw(anonymous, "/case/followup", body, content_type)
        assert without_session is None or without_session.status_code in {400, 403}
        assert not list((instance_dir / "blobs" / "tmp").iterdir())

    run()


# --- CSRF on every POST route ---------------------------------------------------------------------


def _sample_url(rule: Any) -> str:
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]  # noqa: SLF001 - the rule's own converter says what fits
        values[argument] = 1 if type(converter).__name__ == "IntegerConverter" else "0" * 32
    url: str = rule.build(values, append_unknown=False)[1]
    return url


def _staff_client(app: Flask, instance: Path, username: str, role: str) -> FlaskClient:
    from tests.support.workspace_support import create_account, sign_in_first_time

    from crypto.identity import generate_reviewer_keys

    identity = None
    if role == "reviewer":
        identity = generate_reviewer_keys(username).public
        pub = instance.parent / f"{username}.pub"
        pub.write_text(identity.to_line() + "\n")
        added = (
            create_app(str(instance))
            .test_cli_runner()
            .invoke(args=["reviewer", "add", str(pub), "--name", username, "--role", "Adviser"])
        )
        assert added.exit_code == 0, added.output
    return sign_in_first_time(app, username, create_account(instance, username, role, identity)).client


def test_every_post_route_refuses_a_missing_csrf_token_and_changes_nothing(
    instance_dir: Path, reviewer: ReviewerKeys
) -> None:
    from portal.security import csrf

    app = _app(instance_dir)
    reporter = app.test_client()
    _filed(reporter)  # a reporter session, so session-guarded routes reach their CSRF check
    clients = {
        "anonymous": app.test_client(),
        "reporter": reporter,
        "reviewer": _staff_client(app, instance_dir, "rita", "reviewer"),
        "admin": _staff_client(app, instance_dir, "root", "admin"),
    }
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or set())]
    assert len(rules) >= 15
    # Routes that read their body as a stream check the token themselves (after
    # their own size cap or session check): they must refuse too.
    self_checking = {
        rule.rule
        for rule in rules
        if app.view_functions[rule.endpoint].__module__ + "." + app.view_functions[rule.endpoint].__name__
        in csrf._exempt_views
    }  # noqa: SLF001, E501
    assert {"/report", "/case/followup", "/review/replies"} <= self_checking
    before = _state(instance_dir)
    answers: dict[str, dict[str, set[int]]] = {}
    for rule in rules:
        url = _sample_url(rule)
        for who, client in clients.items():
            for body, content_type in (
                (b"codename=a&username=root&password=x&code=123456&message=hi", "application/x-www-form-urlencoded"),
                multipart([("message", "hi"), ("what", "hi"), ("attachments", ("a.txt", b"a"))]),
            ):
                status = client.post(url, data=body, content_type=content_type).status_code
                answers.setdefault(rule.rule, {}).setdefault(who, set()).add(status)
    wrong = {}
    for route, by_client in answers.items():
        statuses = set().union(*by_client.values())
        if route not in self_checking and statuses != {400}:
            wrong[route] = by_client
        elif route in self_checking and (not statuses <= {400, 302, 303, 403} or 400 not in statuses):
            wrong[route] = by_client
    assert wrong == {}, f"POST without a CSRF token was not refused: {wrong}"
    assert _state(instance_dir) == before


# --- sessions -----------------------------------------------------------------------------------


def _cookie(client: FlaskClient, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return None if cookie is None else cookie.value


def test_a_planted_reporter_session_is_replaced_at_login(instance_dir: Path, reviewer: ReviewerKeys) -> None:
    app = _app(instance_dir)
    attacker = app.test_client()
    _filed(attacker)
    planted = _cookie(attacker, COOKIE_NAME)
    assert planted
    victim = app.test_client()
    victim_codename, _page = _filed(app.test_client())
    victim.set_cookie(COOKIE_NAME, planted)
    token = csrf_token(victim.get("/report").get_data(as_text=True))
    response = victim.post("/followup", data={"csrf_token": token, "codename": victim_codename})
    assert response.status_code == 303
    fresh = _cookie(victim, COOKIE_NAME)
    assert fresh and fresh != planted
    with app.test_request_context(headers={"Cookie": f"{COOKIE_NAME}={fresh}"}):
        from flask import request

        mine = load_reporter_session(request)
    with app.test_request_context(headers={"Cookie": f"{COOKIE_NAME}={planted}"}):
        from flask import request

        theirs = load_reporter_session(request)
    assert mine is not None and theirs is not None and mine.case_id != theirs.case_id


def test_a_staff_token_from_before_sign_in_is_worthless_after_it(instance_dir: Path) -> None:
    import time

    from tests.support.workspace_support import create_account, next_code, sign_in_first_time

    from crypto.identity import generate_reviewer_keys

    add_reviewer = generate_reviewer_keys("Ana")
    pub = instance_dir.parent / "ana.pub"
    pub.write_text(add_reviewer.public.to_line() + "\n")
    runner = create_app(str(instance_dir)).test_cli_runner()
    assert runner.invoke(args=["reviewer", "add", str(pub), "--name", "Ana", "--role", "Adviser"]).exit_code == 0
    app = _app(instance_dir)
    signed = sign_in_first_time(app, "ana", create_account(instance_dir, "ana", "reviewer", add_reviewer.public))
    enrolled_at = time.time()

    client = app.test_client()
    client.set_cookie("candour_staff", "attacker-chosen-token-" + secrets.token_urlsafe(16))
    page = client.get("/review/login").get_data(as_text=True)
    response = client.post(
        "/review/login",
        data={"csrf_token": _csrf(page), "username": "ana", "password": signed.password},
    )
    assert response.status_code == 302
    half = _cookie(client, "candour_staff")
    assert half and not half.startswith("attacker-chosen")
    page = client.get("/review/login/code").get_data(as_text=True)
    response = client.post(
        "/review/login/code", data={"csrf_token": _csrf(page), "code": next_code(signed.totp, after=enrolled_at)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    full = _cookie(client, "candour_staff")
    assert full and full != half
    assert client.get("/review/").status_code == 200
    # The password-stage token, replayed after sign-in, opens nothing.
    stale = app.test_client()
    stale.set_cookie("candour_staff", half)
    assert stale.get("/review/").status_code in {302, 303}


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_reporter_markup_never_reaches_the_reviewer_workspace(instance_dir: Path) -> None:
    import time

    from tests.support.workspace_support import create_account, next_code, sign_in, sign_in_first_time

    from crypto.identity import generate_reviewer_keys

    keys = generate_reviewer_keys("Ana")
    pub = instance_dir.parent / "ana.pub"
    pub.write_text(keys.public.to_line() + "\n")
    runner = create_app(str(instance_dir)).test_cli_runner()
    assert (
        runner.invoke(args=["reviewer", "add", str(pub), "--name", "Ana", "--role", "A", "--required"]).exit_code == 0
    )
    app = _app(instance_dir)
    marker = f"Inert{secrets.token_hex(4)}"
    markup = f'{marker}<script>alert("{marker}")</script><img src=x onerror=alert(1)>'
    reporter = app.test_client()
    token = csrf_token(reporter.get("/report").get_data(as_text=True))
    fields = report_fields(token, what=markup, extra=None, files=[(f"{markup}.html", markup.encode())])
    fields = [(name, markup if name in ("when", "where", "who", "outcome") else value) for name, value in fields]
    body, content_type = multipart(fields)
    assert reporter.post("/report", data=body, content_type=content_type).status_code == 200

    signed = sign_in_first_time(app, "ana", create_account(instance_dir, "ana", "reviewer", keys.public))
    client = sign_in(app, "ana", signed.password, signed.totp, code=next_code(signed.totp, after=time.time()))
    with closing(connect(instance_dir)) as conn:
        case_id = conn.execute("SELECT id FROM cases").fetchone()[0]
    pages = [client.get("/review/"), client.get(f"/review/cases/{case_id}")]
    for response in pages:
        assert response.status_code == 200
        assert marker not in response.get_data(as_text=True)
    # Another reviewer's case by URL, and a status change on it, are refused.
    assert client.get(f"/review/cases/{'0' * 32}").status_code == 404


def test_a_malformed_body_leaves_no_byte_of_it_in_the_log(
    instance_dir: Path, reviewer: ReviewerKeys, caplog: pytest.LogCaptureFixture
) -> None:
    client = _app(instance_dir).test_client()
    token = csrf_token(client.get("/report").get_data(as_text=True))
    # A header name with a byte no header may hold: the parser stops there.
    body = b'------b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode()
    body += b"\r\n------b\r\nCont\xcbent-Disposition: x\r\n\r\n"
    with caplog.at_level("DEBUG"):
        response = client.post("/report", data=body, content_type="multipart/form-data; boundary=----b")
    assert response.status_code == 400
    assert not [r for r in caplog.records if r.name.startswith("python_multipart")], caplog.text
    assert "203" not in caplog.text and "\\xcb" not in caplog.text
