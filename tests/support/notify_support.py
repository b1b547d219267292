"""Helpers for the notification tests: a real SMTP server on loopback (aiosmtpd), real
accounts and reviewers, real sealed reports and follow-ups, and a clock the test sets.

The relay records every message it accepted. It can be told to refuse messages
(`refuse`) or to hold the N-th transaction until the test lets it go (`hold_at`),
which is how a test kills `notify send` half-way through a run.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask

from tests.support.workspace_support import FiledCase, create_account

from crypto.envelope import new_submission_id
from crypto.identity import PublicIdentity
from crypto.submission import seal_submission_text_part
from portal import create_app
from portal.cli.notify import run_send
from portal.notify import addresses
from portal.notify.delivery import RunReport
from portal.notify.setup import settings_of
from portal.store import db
from portal.store.blobs import BlobWriter
from portal.store.cases import StoredPart, add_followup

TOKEN_LINK = re.compile(r"/review/email/confirm/([A-Za-z0-9_-]{43})")
PORTAL_URL = "https://candour.example.org"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def raw(self) -> str:
        return self.message.as_string()


@dataclass
class Mailbox:
    """The aiosmtpd handler: what the relay accepted, and how it misbehaves."""

    messages: list[Received] = field(default_factory=list)
    refuse: str | None = None  # an SMTP reply such as "451 4.3.0 Try again later"
    hold_at: int | None = None  # hold the N-th MAIL FROM (1-based) until `release` is set
    transactions: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any) -> str:
        self.transactions += 1
        if self.hold_at is not None and self.transactions == self.hold_at:
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            return "421 4.3.0 Closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Accepted"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def clear(self) -> None:
        self.messages.clear()


@contextmanager
def smtp_relay(
    port: int, *, tls: ssl.SSLContext | None = None, login: tuple[str, str] | None = None
) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1:`port`; with `tls`, STARTTLS is required, and with
    `login`, AUTH with that user and password."""
    mailbox = Mailbox()
    options: dict[str, Any] = {}
    if tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    if login is not None:

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            return AuthResult(success=ok, handled=False)

        options.update(authenticator=authenticate, auth_required=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield mailbox
    finally:
        mailbox.release.set()
        controller.stop()


def notify_overrides(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "NOTIFY_ENABLED": True,
        "NOTIFY_SMTP_HOST": "127.0.0.1",
        "NOTIFY_SMTP_PORT": port,
        "NOTIFY_SMTP_SECURITY": "none",
        "NOTIFY_SMTP_TIMEOUT_SECONDS": 10,
        "NOTIFY_FROM": "candour@example.org",
        "NOTIFY_PORTAL_URL": PORTAL_URL,
        **extra,
    }


def notify_app(instance: Path, port: int, **extra: Any) -> Flask:
    return create_app(str(instance), overrides=notify_overrides(port, **extra))


def account_id(instance: Path, username: str) -> int:
    with closing(db.connect(instance)) as conn:
        return int(conn.execute("SELECT id FROM accounts WHERE username = ?", (username,)).fetchone()[0])


def confirmation_token(received: Received) -> str:
    match = TOKEN_LINK.search(received.body)
    assert match, received.body
    return match.group(1)


def confirm_address(app: Flask, mailbox: Mailbox, username: str, address: str, now: datetime) -> None:
    """Set an address the way the pages do: the link is sent, then followed."""
    instance = Path(app.instance_path)
    settings = settings_of(app)
    assert settings is not None
    with app.app_context(), closing(db.connect(instance)) as conn:
        role = conn.execute("SELECT role FROM accounts WHERE username = ?", (username,)).fetchone()[0]
        addresses.request_confirmation(
            conn,
            str(instance),
            settings,
            account_id=account_id(instance, username),
            username=username,
            address=address,
            actor=f"{username} ({role})",
            now=now,
        )
        token = confirmation_token(mailbox.to(address)[-1])
        assert addresses.confirm(conn, str(instance), token, now) is not None


def send(app: Flask, now: datetime) -> RunReport:
    with app.app_context():
        return run_send(app, now)


def file_followup(
    instance: Path, app: Flask, case: FiledCase, recipients: list[PublicIdentity], message: str, day: str
) -> str:
    """Seal a follow-up to the case's reviewers and store it as the reporter flow does."""
    submission = new_submission_id()
    sink = io.BytesIO()
    sealed = seal_submission_text_part(
        sink, recipients, submission, "followup", case.case_id, day, case.reporter, {"message": message}, []
    )
    with BlobWriter(instance) as writer:
        writer.write(sink.getvalue())
        blob = writer.commit()
    with closing(db.connect(instance)) as conn:
        add_followup(
            conn,
            case_id=case.case_id,
            submission_id=submission.hex(),
            day=day,
            sealed_on="server",
            parts=[StoredPart(0, blob, sealed.sealed_size, sealed.header_hash)],
        )
    return submission.hex()


def make_accounts(instance: Path, reviewers: dict[str, PublicIdentity], admins: list[str]) -> None:
    for username, identity in reviewers.items():
        create_account(instance, username, "reviewer", identity)
    for username in admins:
        create_account(instance, username, "admin")
