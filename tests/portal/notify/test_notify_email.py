"""Setting an account's address on the pages: stored only after the link sent to it is
followed, and each link works once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import free_port
from tests.support.notify_support import Mailbox, account_id, confirmation_token, notify_app, smtp_relay
from tests.support.workspace_support import create_account, csrf_token, sign_in_first_time

from portal import audit, create_app
from portal.notify import addresses
from portal.notify.setup import settings_of
from portal.store import db

ALICE = "alice@example.org"
BOB = "bob@example.org"


@dataclass
class Pages:
    app: Flask
    instance: Path
    relay: Mailbox
    alice: FlaskClient


@pytest.fixture
def pages(instance_dir: Path, add_reviewer: Callable[..., Any]) -> Iterator[Pages]:
    alice = add_reviewer(instance_dir, "Alice Smith", "Adviser")
    bob = add_reviewer(instance_dir, "Bob Jones", "Officer")
    alice_password = create_account(instance_dir, "alice", "reviewer", alice)
    create_account(instance_dir, "bob", "reviewer", bob)
    port = free_port()
    with smtp_relay(port) as relay:
        app = notify_app(instance_dir, port)
        signed_in = sign_in_first_time(app, "alice", alice_password)
        yield Pages(app, instance_dir, relay, signed_in.client)


def _stored(instance: Path) -> list[tuple[str, str]]:
    with closing(db.connect(instance)) as conn:
        rows = conn.execute(
            "SELECT a.username, e.email FROM account_emails e JOIN accounts a ON a.id = e.account_id ORDER BY 1"
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _set_own(pages: Pages, address: str) -> Any:
    token = csrf_token(pages.alice, "/review/email")
    return pages.alice.post("/review/email", data={"csrf_token": token, "action": "set", "address": address})


def _confirm(client: FlaskClient, token: str) -> Any:
    page = client.get(f"/review/email/confirm/{token}")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    csrf = match.group(1) if match else csrf_token(client, "/review/login")
    return client.post(f"/review/email/confirm/{token}", data={"csrf_token": csrf})


def test_an_address_is_stored_only_after_its_link_is_followed_once(pages: Pages) -> None:
    assert "No address is confirmed" in pages.alice.get("/review/email").get_data(as_text=True)
    response = _set_own(pages, ALICE)
    assert response.status_code == 302
    (message,) = pages.relay.to(ALICE)
    assert message.message["Subject"] == "Candour: confirm this e-mail address"
    assert _stored(pages.instance) == []  # not before confirmation
    assert f"Waiting for confirmation: {ALICE}" in pages.alice.get("/review/email").get_data(as_text=True)

    token = confirmation_token(message)
    stranger = pages.app.test_client()  # the link works from any browser: it proves the mailbox
    page = stranger.get(f"/review/email/confirm/{token}")
    assert page.status_code == 200 and ALICE in page.get_data(as_text=True)
    assert _stored(pages.instance) == []  # opening the link (a mail scanner may) changes nothing

    response = _confirm(stranger, token)
    assert response.status_code == 200 and "Address confirmed" in response.get_data(as_text=True)
    assert _stored(pages.instance) == [("alice", ALICE)]

    # Single use: the same link again, from anywhere, does nothing.
    again = _confirm(pages.app.test_client(), token)
    assert again.status_code == 404 and "used already or has expired" in again.get_data(as_text=True)
    assert pages.app.test_client().get(f"/review/email/confirm/{token}").status_code == 404
    assert _stored(pages.instance) == [("alice", ALICE)]
    assert f"Messages go to {ALICE}" in pages.alice.get("/review/email").get_data(as_text=True)

    with closing(db.connect(pages.instance)) as conn:
        trail = [e for e in audit.recent_entries(conn, 100) if e.action.startswith("notify_address")]
    assert sorted(e.action for e in trail) == ["notify_address_confirmed", "notify_address_requested"]
    assert all(e.details == {"account": "alice"} and ALICE not in str(e.details) for e in trail)


def test_a_new_request_kills_the_previous_link(pages: Pages) -> None:
    _set_own(pages, "first@example.org")
    _set_own(pages, "second@example.org")
    first = confirmation_token(pages.relay.to("first@example.org")[0])
    second = confirmation_token(pages.relay.to("second@example.org")[0])
    assert _confirm(pages.app.test_client(), first).status_code == 404
    assert _confirm(pages.app.test_client(), second).status_code == 200
    assert _stored(pages.instance) == [("alice", "second@example.org")]


def test_an_expired_link_does_nothing_and_is_used_up(pages: Pages) -> None:
    settings = settings_of(pages.app)
    assert settings is not None
    long_ago = datetime.now(UTC) - timedelta(hours=settings.confirm_hours + 1)
    with pages.app.app_context(), closing(db.connect(pages.instance)) as conn:
        addresses.request_confirmation(
            conn,
            str(pages.instance),
            settings,
            account_id=account_id(pages.instance, "alice"),
            username="alice",
            address=ALICE,
            actor="alice (reviewer)",
            now=long_ago,
        )
    token = confirmation_token(pages.relay.to(ALICE)[0])
    assert pages.app.test_client().get(f"/review/email/confirm/{token}").status_code == 404
    assert _confirm(pages.app.test_client(), token).status_code == 404
    assert _stored(pages.instance) == []
    with closing(db.connect(pages.instance)) as conn:
        assert conn.execute("SELECT count(*) FROM email_confirmations").fetchone()[0] == 0


def test_unknown_or_malformed_links_are_refused(pages: Pages) -> None:
    for token in ("x" * 43, "short", "../../etc/passwd"):
        assert pages.app.test_client().get(f"/review/email/confirm/{token}").status_code == 404


def test_a_refused_confirmation_message_changes_nothing(pages: Pages) -> None:
    pages.relay.refuse = "550 5.1.1 No such mailbox"
    response = _set_own(pages, ALICE)
    assert response.status_code == 400
    assert "could not be sent" in response.get_data(as_text=True)
    with closing(db.connect(pages.instance)) as conn:
        assert conn.execute("SELECT count(*) FROM email_confirmations").fetchone()[0] == 0
    assert _stored(pages.instance) == []


@pytest.mark.parametrize("address", ["not an address", "a@b", "x@example.org\r\nBcc: y@example.org", "a,b@example.org"])
def test_addresses_that_could_misdirect_mail_are_refused(pages: Pages, address: str) -> None:
    response = _set_own(pages, address)
    assert response.status_code == 400
    assert pages.relay.messages == []


def test_the_holder_removes_the_address(pages: Pages) -> None:
    _set_own(pages, ALICE)
    _confirm(pages.app.test_client(), confirmation_token(pages.relay.to(ALICE)[0]))
    token = csrf_token(pages.alice, "/review/email")
    response = pages.alice.post("/review/email", data={"csrf_token": token, "action": "remove"})
    assert response.status_code == 302
    assert _stored(pages.instance) == []


def test_an_administrator_sets_a_reviewers_address(pages: Pages) -> None:
    admin_password = create_account(pages.instance, "boss", "admin")
    boss = sign_in_first_time(pages.app, "boss", admin_password).client
    page = boss.get("/admin/email")
    assert page.status_code == 200 and "bob" in page.get_data(as_text=True)
    bob_id = account_id(pages.instance, "bob")
    token = csrf_token(boss, "/admin/email")
    response = boss.post(
        "/admin/email", data={"csrf_token": token, "account_id": str(bob_id), "action": "set", "address": BOB}
    )
    assert response.status_code == 302
    assert _stored(pages.instance) == []  # Bob's mailbox must confirm, not the administrator
    assert _confirm(pages.app.test_client(), confirmation_token(pages.relay.to(BOB)[0])).status_code == 200
    assert _stored(pages.instance) == [("bob", BOB)]
    # A reviewer cannot use the administrators' page.
    assert pages.alice.get("/admin/email").status_code == 403

    token = csrf_token(boss, "/admin/email")
    boss.post("/admin/email", data={"csrf_token": token, "account_id": str(bob_id), "action": "remove"})
    assert _stored(pages.instance) == []


def test_pages_say_when_notifications_are_off(instance_dir: Path, add_reviewer: Callable[..., Any]) -> None:
    alice = add_reviewer(instance_dir, "Alice Smith", "Adviser")
    password = create_account(instance_dir, "alice", "reviewer", alice)
    app = create_app(str(instance_dir), overrides={"TESTING": True})
    client = sign_in_first_time(app, "alice", password).client
    page = client.get("/review/email").get_data(as_text=True)
    assert "E-mail notifications are off on this portal" in page
    assert 'name="address"' not in page
    token = csrf_token(client, "/review/email")
    assert (
        client.post("/review/email", data={"csrf_token": token, "action": "set", "address": ALICE}).status_code == 400
    )
