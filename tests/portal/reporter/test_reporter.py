"""The reporter's no-JavaScript path through Flask's test client: the report form,
streamed sealing, the codename page, follow-up login, the case page and follow-ups.

Nothing is mocked: real SQLCipher instance, real reviewer keys, and every sealed
submission is opened again with a reviewer's private key.
"""

from __future__ import annotations

import re
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from flask import Flask
from flask.testing import FlaskClient

from tests.support.reporter_support import (
    add_reviewer_with_keys,
    blob_files,
    codename_from,
    csrf_token,
    db_counts,
    multipart,
    open_stored_submission,
    report_fields,
    reviewer_row_id,
    sealed_token,
)
from tests.support.scrub_photos import CANARIES, photo_jpeg, photo_png, pixels

from crypto.codename import derive_reporter_keys
from crypto.errors import NotARecipientError
from crypto.identity import ReviewerKeys, b64url
from crypto.reply import StatusChange, make_reply
from crypto.submission import ReporterPublic
from portal import create_app
from portal.argon2_budget import argon2_slot
from portal.i18n import format_day
from portal.reporter.session import COOKIE_NAME
from portal.store import cases as case_store
from portal.store.codename_versions import case_codename_version
from portal.store.db import connect, today, transaction

MARKER = "Zebra-marker-7731 the treasurer shouted at me"


@pytest.fixture
def reviewers(instance_dir: Path) -> dict[str, ReviewerKeys]:
    return {
        "adviser": add_reviewer_with_keys(instance_dir, "Dana Adviser", "Independent adviser", required=True),
        "handler": add_reviewer_with_keys(instance_dir, "Sam Handler", "Case handler"),
        "chair": add_reviewer_with_keys(instance_dir, "Chris Chair", "Panel chair"),
    }


def _app(instance: Path, **overrides: Any) -> Flask:
    return create_app(str(instance), overrides={"TESTING": True, **overrides})


def _token(client: FlaskClient) -> str:
    return csrf_token(client.get("/report").get_data(as_text=True))


def _post_report(client: FlaskClient, fields: list[Any]) -> Any:
    body, content_type = multipart(fields)
    return client.post("/report", data=body, content_type=content_type)


def _nothing_stored(instance: Path) -> None:
    counts = db_counts(instance)
    assert counts == {"cases": 0, "submissions": 0, "parts": 0, "case_reviewers": 0, "status_events": 0}
    assert blob_files(instance) == [], "a refused submission left blob files behind"


def _file_a_report(client: FlaskClient, reviewers: dict[str, ReviewerKeys], **kwargs: Any) -> tuple[str, str]:
    """File a report choosing only the handler (the chair is unticked); returns
    (codename, case id)."""
    fields = report_fields(_token(client), reviewers=[reviewers["handler"].key_id.hex()], **kwargs)
    response = _post_report(client, fields)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    codename = codename_from(html)
    confirm = client.post(
        "/report/confirm",
        data={"csrf_token": csrf_token(html), "sealed": sealed_token(html), "codename": codename},
    )
    assert confirm.status_code == 303 and confirm.headers["Location"].endswith("/case")
    with closing(connect(Path(client.application.instance_path))) as conn:
        case_id = conn.execute("SELECT id FROM cases ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    return codename, case_id


# --- the form -----------------------------------------------------------------------


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_report_form = False
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("action") or "").endswith("/report"):
            self.in_report_form = True
        if tag == "label" and attributes.get("for"):
            self.labels.add(str(attributes["for"]))
        if self.in_report_form and tag in {"input", "textarea", "select", "button"}:
            self.controls.append({"tag": tag, **attributes})

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_report_form = False


def test_report_form_orders_fields_for_streaming(client: FlaskClient, reviewers: dict[str, ReviewerKeys]) -> None:
    html = client.get("/report").get_data(as_text=True)
    form = _Form()
    form.feed(html)
    names = [control.get("name") for control in form.controls]
    assert names[0] == "csrf_token"
    assert names[1:8] == ["category", "what", "when", "where", "who", "outcome", "website"]
    assert names[-2] == "attachments" and form.controls[-2]["type"] == "file" and "multiple" in form.controls[-2]
    # The submit button has no name: a named button would be sent after the files.
    assert form.controls[-1]["tag"] == "button" and form.controls[-1].get("name") is None
    checkboxes = [control for control in form.controls if control.get("name") == "reviewer"]
    # Only the optional reviewers have a box, ticked by default; the required one is
    # listed as always receiving reports.
    assert sorted(str(box["value"]) for box in checkboxes) == sorted(
        keys.key_id.hex() for role, keys in reviewers.items() if role != "adviser"
    )
    assert all("checked" in box for box in checkboxes)
    assert "Always receives reports" in html and "Dana Adviser" in html
    for keys in reviewers.values():
        assert keys.public.fingerprint in html
    assert 'name="reviewer"' in html[: html.index('name="attachments"')]
    # Every visible control is labelled; the honeypot is hidden, unfocusable, not autofilled.
    for control in form.controls:
        if control.get("type") not in {"hidden"} and control["tag"] != "button":
            assert control.get("id") in form.labels, control
    trap = next(control for control in form.controls if control.get("name") == "website")
    assert trap["autocomplete"] == "off" and trap["tabindex"] == "-1"
    assert re.search(r'<div class="trap" aria-hidden="true">\s*<label for="website">Leave empty</label>', html)
    assert "seals it in its memory the moment it arrives" in html
    assert "File names are sealed too" in html
    # Scripts (the browser path) are external, same-origin and pinned with SRI; none inline.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for _attrs, body in scripts)
    assert all(' src="/static/' in attrs and ' integrity="sha384-' in attrs for attrs, _body in scripts)
    assert "style=" not in html


def test_report_form_without_reviewers_says_so(client: FlaskClient) -> None:
    html = client.get("/report").get_data(as_text=True)
    assert "reports cannot be made at the moment" in html
    assert 'name="attachments"' not in html


# --- round trip -------------------------------------------------------------------------


def test_report_round_trip_opens_with_reviewer_key(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    photo = bytes(range(256)) * 1000 + b"\x00tail"
    notes = "Minutes of the meeting — naïve café ✓\n".encode() * 50
    codename, case_id = _file_a_report(
        client,
        reviewers,
        what=MARKER,
        files=[("photo.jpg", photo), ("notes.txt", notes), ("empty.bin", b"")],
    )
    opened = open_stored_submission(instance_dir, case_id, reviewers["handler"])
    assert opened.kind == "report" and opened.case == case_id and opened.day == today()
    assert opened.fields == {
        "category": "bullying",
        "what": MARKER,
        "when": "Last spring",
        "where": "Regional office",
        "who": "The branch secretary",
        "outcome": "An investigation",
    }
    assert [(a.info.part, a.info.name, a.info.size) for a in opened.attachments] == [
        (1, "photo.jpg", len(photo)),
        (2, "notes.txt", len(notes)),
        (3, "empty.bin", 0),
    ]
    assert [a.location for a in opened.attachments] == [photo, notes, b""]
    # The required reviewer opens it too; the unticked one cannot.
    assert open_stored_submission(instance_dir, case_id, reviewers["adviser"]).fields["what"] == MARKER
    with pytest.raises(NotARecipientError):
        open_stored_submission(instance_dir, case_id, reviewers["chair"])
    # The reporter keys in the signed manifest are the codename's, and the row agrees.
    salt = bytes.fromhex(client.application.config["INSTANCE_SALT"])
    keys = derive_reporter_keys(codename, salt)
    assert opened.reporter == ReporterPublic.from_keys(keys)
    with closing(connect(instance_dir)) as conn:
        case = case_store.load_case_view(conn, case_id)
        assert case is not None
        assert case.sealed_on == "server" and case.status == client.application.config["STATUSES"][0][0]
        assert case.reporter_reply_key == keys.reply_public_key
        assert case.acknowledge_by == case_store.add_days(today(), 7)
        assert case.feedback_by == case_store.add_days(today(), 90)
        assert {r.display_name for r in case.reviewers} == {"Dana Adviser", "Sam Handler"}
        assert len(case_store.list_parts(conn, case_id)) == 4
    # Four blobs, no temporary files left.
    assert len(blob_files(instance_dir)) == 4
    assert not list((instance_dir / "blobs" / "tmp").iterdir())


def test_a_report_with_tabs_is_accepted_without_javascript_and_sealed_with_spaces(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    # A table pasted from an e-mail: docs/format.md §1.3, a writer turns each TAB into
    # spaces to the next 8th column (as the text box showed it) instead of refusing it.
    pasted = f"{MARKER}\r\nDate\tWho\tWhat\r\n3 May\tA. Manager\tshouted"
    _codename, case_id = _file_a_report(client, reviewers, what=pasted)
    opened = open_stored_submission(instance_dir, case_id, reviewers["handler"])
    assert opened.fields["what"] == f"{MARKER}\nDate    Who     What\n3 May   A. Manager      shouted"
    assert "\t" not in "".join(opened.fields.values())


def test_empty_file_input_is_skipped(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    _codename, case_id = _file_a_report(client, reviewers)
    opened = open_stored_submission(instance_dir, case_id, reviewers["adviser"])
    assert opened.attachments == ()
    assert len(blob_files(instance_dir)) == 1


# --- refusals: nothing stored, nothing echoed --------------------------------------------


def _refused(instance: Path, response: Any, status: int, *echo_free: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert "was not sent" in html or "expired" in html
    for text in echo_free:
        assert text not in html
    _nothing_stored(instance)
    return html


def test_photos_lose_their_hidden_data_before_sealing_without_javascript(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    """A phone photo's GPS position, author and comments are gone from the sealed copy
    the reviewer opens offline; the picture itself is unchanged."""
    jpeg, png = photo_jpeg(), photo_png()
    assert all(canary in jpeg for canary in CANARIES[:3])
    _codename, case_id = _file_a_report(client, reviewers, files=[("garden.jpg", jpeg), ("screen.png", png)])
    opened = open_stored_submission(instance_dir, case_id, reviewers["handler"])
    for sent, kept in zip((jpeg, png), (a.location for a in opened.attachments), strict=True):
        assert isinstance(kept, bytes)
        assert not [canary for canary in CANARIES if canary in kept]
        assert pixels(kept) == pixels(sent)


def test_a_photo_that_cannot_be_cleaned_is_refused_with_the_words_kept_and_nothing_stored(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    broken = photo_jpeg()[:200]  # a JPEG cut short inside its Exif block
    fields = report_fields(_token(client), what="What I typed for twenty minutes", files=[("cut.jpg", broken)])
    response = _post_report(client, fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
    assert "hidden data" in html and "was not sent" in html
    # Nothing typed is lost: the form comes back filled in.
    assert "What I typed for twenty minutes</textarea>" in html
    _nothing_stored(instance_dir)


def test_missing_csrf_token_is_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    client.get("/report")
    fields = report_fields("x", what=MARKER, files=[("a.txt", b"data")])[1:]
    _refused(instance_dir, _post_report(client, fields), 400, MARKER)


def test_invalid_csrf_token_is_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    client.get("/report")
    fields = report_fields("IjBhZDk0ZjEyIg.forged.token", what=MARKER, files=[("a.txt", b"data")])
    _refused(instance_dir, _post_report(client, fields), 400, MARKER)


def test_csrf_token_from_another_browser_is_refused(
    instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]
) -> None:
    token = _token(app.test_client())
    other = app.test_client()
    other.get("/report")
    _refused(instance_dir, _post_report(other, report_fields(token, what=MARKER)), 400, MARKER)


def test_oversize_upload_is_refused_mid_stream(instance_dir: Path, reviewers: dict[str, ReviewerKeys]) -> None:
    client = _app(instance_dir, MAX_TOTAL_UPLOAD_BYTES=200_000).test_client()
    fields = report_fields(_token(client), what=MARKER, files=[("a.bin", b"a" * 150_000), ("b.bin", b"b" * 100_000)])
    html = _refused(instance_dir, _post_report(client, fields), 413, MARKER)
    assert "more than this portal accepts" in html


def test_body_over_the_cap_is_refused_before_reading(instance_dir: Path, reviewers: dict[str, ReviewerKeys]) -> None:
    client = _app(instance_dir, MAX_TOTAL_UPLOAD_BYTES=100_000).test_client()
    fields = report_fields(_token(client), what=MARKER, files=[("a.bin", b"a" * 2_000_000)])
    _refused(instance_dir, _post_report(client, fields), 413, MARKER)


def test_too_many_attachments_is_refused(instance_dir: Path, reviewers: dict[str, ReviewerKeys]) -> None:
    client = _app(instance_dir, MAX_ATTACHMENTS=2).test_client()
    files = [(f"f{i}.txt", b"x" * 10) for i in range(3)]
    html = _refused(instance_dir, _post_report(client, report_fields(_token(client), files=files)), 413)
    assert "at most 2 files" in html


def test_unknown_reviewer_is_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    fields = report_fields(_token(client), what=MARKER, reviewers=["00" * 8], files=[("a.txt", b"data")])
    _refused(instance_dir, _post_report(client, fields), 400, MARKER, "00" * 8)


def test_removed_reviewer_cannot_be_chosen(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    chair = reviewers["chair"].key_id.hex()
    result = create_app(str(instance_dir)).test_cli_runner().invoke(args=["reviewer", "remove", chair])
    assert result.exit_code == 0, result.output
    _refused(instance_dir, _post_report(client, report_fields(_token(client), reviewers=[chair])), 400)


def test_files_before_reviewer_fields_are_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    fields = report_fields(_token(client), what=MARKER)
    fields = [field for field in fields if field[0] != "attachments"]
    fields.insert(3, ("attachments", ("early.txt", b"sealed to the wrong people?")))
    fields.append(("reviewer", reviewers["handler"].key_id.hex()))
    html = _refused(instance_dir, _post_report(client, fields), 400, MARKER)
    assert "unexpected order" in html


def test_text_after_files_is_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    fields = report_fields(_token(client), files=[("a.txt", b"data")]) + [("outcome", MARKER)]
    _refused(instance_dir, _post_report(client, fields), 400, MARKER)


def test_no_reviewer_at_all_is_refused(instance_dir: Path, client: FlaskClient) -> None:
    add_reviewer_with_keys(instance_dir, "Only Optional", "Case handler")
    _refused(instance_dir, _post_report(client, report_fields(_token(client), what=MARKER)), 400, MARKER)


def test_honeypot_is_refused(instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]) -> None:
    fields = report_fields(_token(client), what=MARKER)
    fields = [("website", "http://spam.example") if name == "website" else (name, value) for name, value in fields]
    _refused(instance_dir, _post_report(client, fields), 400, MARKER, "spam.example")


@pytest.mark.parametrize("what", ["", "   \n  "])
def test_empty_what_is_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys], what: str
) -> None:
    fields = report_fields(_token(client), what=what, files=[("a.txt", MARKER.encode())])
    html = _refused(instance_dir, _post_report(client, fields), 400, MARKER)
    assert "describe what happened" in html


def test_unknown_field_and_category_are_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    token = _token(client)
    _refused(instance_dir, _post_report(client, report_fields(token, extra={"email": MARKER})), 400, MARKER)
    fields = [("category", MARKER) if name == "category" else (name, value) for name, value in report_fields(token)]
    _refused(instance_dir, _post_report(client, fields), 400, MARKER)


def test_field_over_100000_characters_is_refused(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    fields = report_fields(_token(client), what="é" * 100_001)
    _refused(instance_dir, _post_report(client, fields), 413)


def test_malformed_body_is_refused(instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]) -> None:
    body, content_type = multipart(report_fields(_token(client), files=[("a.txt", b"x" * 5000)]))
    cut = client.post("/report", data=body[: len(body) // 2], content_type=content_type)
    _refused(instance_dir, cut, 400)
    not_multipart = client.post("/report", data={"what": MARKER}, content_type="application/x-www-form-urlencoded")
    _refused(instance_dir, not_multipart, 400, MARKER)


def test_a_report_needs_no_argon2_slot(instance_dir: Path, reviewers: dict[str, ReviewerKeys]) -> None:
    """A new codename is derivation version 2 (keyed BLAKE2b): a report that arrived is
    sealed and stored even while every Argon2 slot is held (by version 1 logins)."""
    client = _app(instance_dir, ARGON2_CONCURRENCY=1, NOJS_REPORT_WAIT_SECONDS=0.2).test_client()
    fields = report_fields(_token(client), what=MARKER, reviewers=[reviewers["chair"].key_id.hex()])
    with argon2_slot(1):
        response = _post_report(client, fields)
    assert response.status_code == 200, response.get_data(as_text=True)
    codename = codename_from(response.get_data(as_text=True))
    keys = derive_reporter_keys(codename, bytes.fromhex(client.application.config["INSTANCE_SALT"]), 2)
    with closing(connect(instance_dir)) as conn:
        case_id = conn.execute("SELECT id FROM cases").fetchone()[0]
        assert case_store.load_case_view(conn, case_id).reporter_reply_key == keys.reply_public_key  # type: ignore[union-attr]
        assert case_codename_version(conn, case_id) == 2


# --- the codename page ---------------------------------------------------------------


def test_codename_page_shows_words_and_hides_them_from_the_form(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    response = _post_report(client, report_fields(_token(client), what=MARKER))
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    codename = codename_from(html)
    words = codename.split()
    assert len(words) == 8 and '<ol class="codename">' in html
    assert "Nobody can recover them" in html
    assert "sealed by the server as it arrived" in html
    # The codename is not in any cookie nor in plain form anywhere but the list.
    assert all(codename.split()[0] not in header for header in response.headers.getlist("Set-Cookie"))
    token = sealed_token(html)
    assert all(word not in token for word in words if len(word) > 4)
    values = " ".join(re.findall(r'value="([^"]*)"', html))
    assert not any(word in values for word in words if len(word) > 4)
    # No navigation away except the confirm form (the site header link aside).
    main = html[html.index("<main") : html.index("</main>")]
    assert "<a " not in main.replace('<a href="#codename">', "")
    assert main.count("<form") == 1


def test_confirm_with_forged_token_is_refused(client: FlaskClient, reviewers: dict[str, ReviewerKeys]) -> None:
    token = _token(client)
    response = client.post("/report/confirm", data={"csrf_token": token, "sealed": "AAAA", "codename": "x"})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_sealed_token_does_not_survive_a_restart(
    instance_dir: Path, client: FlaskClient, reviewers: dict[str, ReviewerKeys]
) -> None:
    html = _post_report(client, report_fields(_token(client))).get_data(as_text=True)
    restarted = _app(instance_dir)
    restarted.config["REPORTER_SESSION_KEY"] = bytes(32)
    other = restarted.test_client()
    response = other.post(
        "/report/confirm",
        data={"csrf_token": _token(other), "sealed": sealed_token(html), "codename": codename_from(html)},
    )
    assert response.status_code == 400


# --- follow-up login and the case page -----------------------------------------------


def test_followup_login_round_trip_and_logout(
    instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]
) -> None:
    codename, case_id = _file_a_report(app.test_client(), reviewers, what=MARKER)
    client = app.test_client()
    assert client.get("/case").status_code == 303
    page = client.get("/followup").get_data(as_text=True)
    for attribute in ('autocomplete="off"', 'spellcheck="false"', 'autocapitalize="off"'):
        assert attribute in page
    login = client.post("/followup", data={"csrf_token": csrf_token(page), "codename": codename.upper()})
    assert login.status_code == 303 and login.headers["Location"].endswith("/case")
    case_page = client.get("/case")
    html = case_page.get_data(as_text=True)
    assert case_page.status_code == 200 and case_page.headers["Cache-Control"] == "no-store"
    assert "Status now" in html and "New" in html
    assert case_store.add_days(today(), 7) in html and case_store.add_days(today(), 90) in html
    assert "Recorded by the server when your report arrived." in html
    assert "sealed by the server" in html
    assert 'action="/case/followup"' in html and "Sam Handler" in html
    assert MARKER not in html  # the server cannot show the report back: it is sealed
    logout = client.post("/logout", data={"csrf_token": csrf_token(html)})
    assert logout.status_code == 303
    assert client.get("/case").status_code == 303


def test_followup_login_needs_csrf(client: FlaskClient, reviewers: dict[str, ReviewerKeys]) -> None:
    assert client.post("/followup", data={"codename": "a b c"}).status_code == 400


def test_forged_session_cookie_is_ignored(client: FlaskClient) -> None:
    client.set_cookie(COOKIE_NAME, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert client.get("/case").status_code == 303


def _reporter_login(app: Flask, codename: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/followup").get_data(as_text=True))
    assert client.post("/followup", data={"csrf_token": token, "codename": codename}).status_code == 303
    return client


def _met(day: str, reply: int) -> str:
    """How the case page says a deadline was met: the day written out, with its ISO date
    in the <time> element."""
    written = format_day(day, "en")
    return f'met on <time datetime="{day}">{written}</time> by reply {reply} from Sam Handler'


def test_replies_verified_rejected_and_missing(
    instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]
) -> None:
    codename, case_id = _file_a_report(app.test_client(), reviewers, what=MARKER)
    handler = reviewers["handler"]
    adviser = reviewers["adviser"]
    # The reviewer takes the reply key from the signed report, as the reply tool does.
    report = open_stored_submission(instance_dir, case_id, handler)
    recipients = [adviser.public, handler.public]
    day = today()
    first = make_reply(handler, case_id, report.reply_key, recipients, 1, day, "Thank you, we have read it.", None)
    third = make_reply(handler, case_id, report.reply_key, recipients, 3, day, "Reply three text.", None)
    forged = make_reply(adviser, case_id, report.reply_key, recipients, 1, day, "Tampered words here.", None)
    handler_id = reviewer_row_id(instance_dir, handler.key_id.hex())
    adviser_id = reviewer_row_id(instance_dir, adviser.key_id.hex())
    tampered_statement = forged.statement.replace(b'"seq":1', b'"seq":2')
    with closing(connect(instance_dir)) as conn:
        for reviewer_id, seq, reply, statement in (
            (handler_id, 1, first, first.statement),
            (adviser_id, 2, forged, tampered_statement),
            (handler_id, 3, third, third.statement),
        ):
            case_store.add_reply(
                conn,
                case_id=case_id,
                reviewer_id=reviewer_id,
                seq=seq,
                day=day,
                statement=statement,
                signature=reply.signature,
                for_reporter=reply.for_reporter,
            )
    client = _reporter_login(app, codename)
    html = client.get("/case").get_data(as_text=True)
    assert "Thank you, we have read it." in html and "Reply three text." in html
    assert html.count("signed with the reviewer's own key (signature checked)") == 2
    assert "Reply from <bdi>Sam Handler</bdi> (<bdi>Case handler</bdi>)" in html
    assert "Rejected: could not be verified – do not trust it" in html
    assert "Tampered words here." not in html
    assert "does not verify" in html  # the reason is shown
    assert "A reply appears to be missing" in html
    assert "Reply 2 from <bdi>Sam Handler</bdi> (<bdi>Case handler</bdi>) is missing." in html
    # Order: reply 1, the gap marker, reply 3.
    assert html.index("Thank you") < html.index("appears to be missing") < html.index("Reply three text.")
    # A reply acknowledges; none was marked as feedback, so the feedback deadline stays open.
    deadlines = html[html.index('id="deadlines-heading"') : html.index('id="readers-heading"')]
    assert deadlines.count(">done</span>") == 1 and _met(day, 1) in deadlines
    assert "does not count as feedback" in deadlines and '<p class="reply-feedback">' not in html


def test_a_feedback_reply_meets_the_feedback_deadline_and_says_so(
    instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]
) -> None:
    codename, case_id = _file_a_report(app.test_client(), reviewers)
    handler = reviewers["handler"]
    report = open_stored_submission(instance_dir, case_id, handler)
    recipients = [reviewers["adviser"].public, handler.public]
    day = today()
    handler_id = reviewer_row_id(instance_dir, handler.key_id.hex())
    with closing(connect(instance_dir)) as conn:
        for seq, text, feedback in ((1, "We have your report.", False), (2, "Here is what we found.", True)):
            reply = make_reply(handler, case_id, report.reply_key, recipients, seq, day, text, None, feedback=feedback)
            case_store.add_reply(
                conn,
                case_id=case_id,
                reviewer_id=handler_id,
                seq=seq,
                day=day,
                statement=reply.statement,
                signature=reply.signature,
                for_reporter=reply.for_reporter,
                feedback=feedback,
            )
    html = _reporter_login(app, codename).get("/case").get_data(as_text=True)
    deadlines = html[html.index('id="deadlines-heading"') : html.index('id="readers-heading"')]
    assert deadlines.count(">done</span>") == 2
    assert _met(day, 1) in deadlines
    assert _met(day, 2) in deadlines
    assert "does not count as feedback" not in deadlines
    # The feedback reply is marked as such on the no-JavaScript page, the other is not.
    assert html.count('<p class="reply-feedback">') == 1
    assert '<p class="reply-feedback"><span class="tag tag-done">Feedback on your report</span></p>' in html
    assert html.index("We have your report.") < html.index('<p class="reply-feedback">') < html.index("Here is what")


def test_signed_status_change_and_overdue_deadline(
    instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]
) -> None:
    codename, case_id = _file_a_report(app.test_client(), reviewers)
    with closing(connect(instance_dir)) as conn, transaction(conn):
        conn.execute(
            "UPDATE cases SET acknowledge_by = '2000-01-08', feedback_by = '2999-01-01' WHERE id = ?", (case_id,)
        )
    html = _reporter_login(app, codename).get("/case").get_data(as_text=True)
    assert "2000-01-08" in html and "overdue: this deadline has passed" in html

    handler = reviewers["handler"]
    report = open_stored_submission(instance_dir, case_id, handler)
    status = StatusChange("acknowledged", None, "We will look into it this week.")
    reply = make_reply(
        handler, case_id, report.reply_key, [reviewers["adviser"].public, handler.public], 1, today(), "", status
    )
    handler_id = reviewer_row_id(instance_dir, handler.key_id.hex())
    with closing(connect(instance_dir)) as conn:
        case_store.add_reply(
            conn,
            case_id=case_id,
            reviewer_id=handler_id,
            seq=1,
            day=today(),
            statement=reply.statement,
            signature=reply.signature,
            for_reporter=reply.for_reporter,
        )
        with transaction(conn):
            conn.execute(
                "INSERT INTO status_events (case_id, day, status, outcome, reason, reviewer_id, statement, signature)"
                " VALUES (?, ?, 'acknowledged', NULL, ?, ?, ?, ?)",
                (case_id, today(), status.reason, handler_id, reply.statement, reply.signature),
            )
            conn.execute(
                "INSERT INTO status_events (case_id, day, status, outcome, reason, reviewer_id, statement, signature)"
                " VALUES (?, ?, 'in_progress', NULL, 'forged by the server', ?, ?, ?)",
                (case_id, today(), handler_id, reply.statement, reply.signature),
            )
            conn.execute("UPDATE cases SET status = 'acknowledged' WHERE id = ?", (case_id,))
    html = _reporter_login(app, codename).get("/case").get_data(as_text=True)
    assert "By <bdi>Sam Handler</bdi> (<bdi>Case handler</bdi>)." in html
    assert "Signed with the reviewer's own key (signature checked)." in html
    assert "We will look into it this week." in html
    assert "Its signature could not be verified: do not trust this entry." in html
    assert "overdue: this deadline has passed" not in html


# --- follow-ups ------------------------------------------------------------------------


def _send_followup(client: FlaskClient, message: str, files: list[tuple[str, bytes]]) -> Any:
    token = csrf_token(client.get("/case").get_data(as_text=True))
    fields: list[Any] = [("csrf_token", token), ("message", message)]
    fields += [("attachments", file) for file in files] or [("attachments", ("", b""))]
    body, content_type = multipart(fields)
    return client.post("/case/followup", data=body, content_type=content_type)


def test_followup_is_sealed_signed_and_bound_to_the_case(
    instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]
) -> None:
    codename, case_id = _file_a_report(app.test_client(), reviewers)
    client = _reporter_login(app, codename)
    extra = b"\x89PNG more evidence" * 4000
    response = _send_followup(client, "One more thing: " + MARKER, [("more.png", extra)])
    assert response.status_code == 303 and "sent=1" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your follow-up was sealed and sent" in page and "A follow-up, " in page
    with closing(connect(instance_dir)) as conn:
        followup = [s for s in case_store.list_submissions(conn, case_id) if s.kind == "followup"]
    assert len(followup) == 1 and followup[0].part_count == 2
    report = open_stored_submission(instance_dir, case_id, reviewers["handler"])
    opened = open_stored_submission(
        instance_dir,
        followup[0].id,
        reviewers["handler"],
        expected_case=case_id,
        expected_reporter=report.reporter,
    )
    assert opened.kind == "followup" and opened.fields == {"message": "One more thing: " + MARKER}
    assert opened.attachments[0].info.name == "more.png" and opened.attachments[0].location == extra
    with pytest.raises(NotARecipientError):
        open_stored_submission(instance_dir, followup[0].id, reviewers["chair"])


def test_a_followup_photo_that_cannot_be_cleaned_comes_back_with_the_message_kept(
    instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]
) -> None:
    codename, case_id = _file_a_report(app.test_client(), reviewers)
    before = (db_counts(instance_dir), blob_files(instance_dir))
    client = _reporter_login(app, codename)
    broken = photo_jpeg()[:200]  # a JPEG cut short inside its Exif block
    response = _send_followup(client, "What I remembered <and> typed again", [("cut.jpg", broken)])
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.headers["Cache-Control"] == "no-store"
    assert "hidden data" in html and "Your follow-up was NOT sent" in html
    # The case page again, the message still in its field (escaped), ready to send again.
    assert "What I remembered &lt;and&gt; typed again</textarea>" in html and 'action="/case/followup"' in html
    assert (db_counts(instance_dir), blob_files(instance_dir)) == before


def test_followup_refusals_keep_nothing(instance_dir: Path, app: Flask, reviewers: dict[str, ReviewerKeys]) -> None:
    codename, case_id = _file_a_report(app.test_client(), reviewers)
    before = (db_counts(instance_dir), blob_files(instance_dir))
    client = _reporter_login(app, codename)
    empty = _send_followup(client, "  ", [("a.txt", MARKER.encode())])
    assert empty.status_code == 400 and MARKER not in empty.get_data(as_text=True)
    body, content_type = multipart([("message", MARKER)])
    no_csrf = client.post("/case/followup", data=body, content_type=content_type)
    assert no_csrf.status_code == 400
    anonymous = app.test_client()
    anonymous.get("/report")
    token = _token(anonymous)
    body, content_type = multipart([("csrf_token", token), ("message", MARKER)])
    no_session = anonymous.post("/case/followup", data=body, content_type=content_type)
    assert no_session.status_code == 403 and MARKER not in no_session.get_data(as_text=True)
    assert (db_counts(instance_dir), blob_files(instance_dir)) == before


# --- schema guards (migration 0002) ----------------------------------------------------


@pytest.mark.parametrize(
    "sql, params",
    [
        (
            "INSERT INTO cases (id, created_day, status, sealed_on, login_hash, reporter_reply_key,"
            " reporter_sign_key) VALUES (?, '2026-01-02', 'new', 'server', ?, ?, ?)",
            ("a" * 32, b"\x01" * 31, b"\x02" * 32, b"\x03" * 32),
        ),
        (
            "INSERT INTO cases (id, created_day, status, sealed_on, login_hash, reporter_reply_key,"
            " reporter_sign_key) VALUES (?, '2026-01-02', 'new', 'server', ?, ?, ?)",
            ("a" * 32, b"\x01" * 32, "not a blob" * 4, b"\x03" * 32),
        ),
    ],
)
def test_schema_refuses_malformed_case_rows(instance_dir: Path, sql: str, params: tuple[Any, ...]) -> None:
    with closing(connect(instance_dir)) as conn:
        with pytest.raises(sqlcipher3.IntegrityError, match="32-byte"):
            conn.execute(sql, params)


def test_schema_refuses_report_with_foreign_id_and_bad_parts(instance_dir: Path) -> None:
    with closing(connect(instance_dir)) as conn:
        conn.execute(
            "INSERT INTO cases (id, created_day, status, sealed_on, login_hash, reporter_reply_key,"
            " reporter_sign_key) VALUES (?, '2026-01-02', 'new', 'server', ?, ?, ?)",
            ("a" * 32, b"\x01" * 32, b"\x02" * 32, b"\x03" * 32),
        )
        insert = (
            "INSERT INTO submissions (id, case_id, kind, day, sealed_on, part_count)"
            " VALUES (?, ?, ?, '2026-01-02', 'server', 1)"
        )
        with pytest.raises(sqlcipher3.IntegrityError, match="case id"):
            conn.execute(insert, ("b" * 32, "a" * 32, "report"))
        with pytest.raises(sqlcipher3.IntegrityError, match="case id"):
            conn.execute(insert, ("a" * 32, "a" * 32, "followup"))
        conn.execute(insert, ("a" * 32, "a" * 32, "report"))
        part = "INSERT INTO parts (submission_id, part_index, blob, sealed_size, header_hash) VALUES (?, ?, ?, 10, ?)"
        with pytest.raises(sqlcipher3.IntegrityError, match="header_hash"):
            conn.execute(part, ("a" * 32, 0, "c" * 32, b"\x00" * 31))
        with pytest.raises(sqlcipher3.IntegrityError, match="header_hash"):
            conn.execute(part, ("a" * 32, 64, "c" * 32, b"\x00" * 32))
        conn.execute(part, ("a" * 32, 0, "c" * 32, b"\x00" * 32))


def _csrf_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("candour_session")
    return None if cookie is None else cookie.value


@pytest.mark.parametrize("path", ["/followup", "/followup/token"])
def test_codename_login_renews_the_csrf_session(app: Flask, reviewers: dict[str, ReviewerKeys], path: str) -> None:
    # Someone who saw or planted the session cookie before the login (a shared
    # computer, a fixation) must not hold a CSRF token valid for the case.
    codename, _case_id = _file_a_report(app.test_client(), reviewers)
    client = app.test_client()
    old_token = csrf_token(client.get("/followup").get_data(as_text=True))
    before = _csrf_cookie(client)
    assert before is not None
    if path == "/followup":
        data = {"csrf_token": old_token, "codename": codename}
    else:
        keys = derive_reporter_keys(codename, bytes.fromhex(app.config["INSTANCE_SALT"]))
        data = {"csrf_token": old_token, "login_token": b64url(keys.login_token)}
    login = client.post(path, data=data)
    assert login.status_code in (200, 303), login.get_data(as_text=True)
    after = _csrf_cookie(client)
    assert after is not None and after != before
    # The token from before the login no longer passes; the case page's does.
    assert client.post("/logout", data={"csrf_token": old_token}).status_code == 400
    fresh = csrf_token(client.get("/case").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": fresh}).status_code == 303
