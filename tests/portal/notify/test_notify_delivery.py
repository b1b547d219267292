"""Sending: a refusing relay is retried at the next run and each message goes once; a
crash half-way through a run repeats nothing; STARTTLS, implicit TLS and a login work;
incomplete relay settings stop the portal from starting.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import free_port
from tests.support.notify_support import (
    Mailbox,
    confirm_address,
    make_accounts,
    notify_app,
    notify_overrides,
    send,
    smtp_relay,
)
from tests.support.paths import REPO_ROOT
from tests.support.workspace_support import file_case

from crypto.identity import PublicIdentity
from portal import audit, create_app
from portal.notify.settings import NotifySettingsError
from portal.store import db

NOW = datetime.fromisoformat("2026-12-01T08:05:00+00:00")
ADDRESSES = {"alice": "alice@example.org", "bob": "bob@example.org"}


@dataclass
class Setup:
    instance: Path
    port: int
    alice: PublicIdentity
    bob: PublicIdentity


@pytest.fixture
def setup(instance_dir: Path, add_reviewer: Callable[..., Any]) -> Setup:
    alice = add_reviewer(instance_dir, "Alice Smith", "Adviser")
    bob = add_reviewer(instance_dir, "Bob Jones", "Officer")
    make_accounts(instance_dir, {"alice": alice, "bob": bob}, [])
    return Setup(instance_dir, free_port(), alice, bob)


def _ready(setup: Setup, relay: Mailbox, **extra: Any) -> Flask:
    """Both reviewers confirmed, one new case for both: a digest of two messages is due at NOW."""
    app = notify_app(setup.instance, setup.port, **extra)
    for username, address in ADDRESSES.items():
        confirm_address(app, relay, username, address, datetime.fromisoformat("2026-11-30T12:00:00+00:00"))
    relay.clear()
    file_case(setup.instance, app, [setup.alice, setup.bob], day="2026-12-01")
    return app


def _states(instance: Path) -> list[tuple[str, int, str | None]]:
    with closing(db.connect(instance)) as conn:
        rows = conn.execute("SELECT state, attempts, last_error FROM notify_deliveries ORDER BY id").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _digests_audited(instance: Path) -> int:
    with closing(db.connect(instance)) as conn:
        return sum(1 for e in audit.recent_entries(conn, 1000) if e.action == "digest_sent")


def _each_once(relay: Mailbox) -> None:
    assert sorted(address for m in relay.messages for address in m.rcpt_tos) == sorted(ADDRESSES.values())


def test_a_refusing_relay_is_retried_at_the_next_run_and_sends_once(setup: Setup) -> None:
    with smtp_relay(setup.port) as relay:
        app = _ready(setup, relay)
        relay.refuse = "451 4.3.0 Try again later"
        report = send(app, NOW)
        assert report.planned == 2 and report.sent == 0 and not report.ok
        assert [error for _user, error in report.failed] == ["the relay answered 451 4.3.0 Try again later"] * 2
        assert relay.messages == []
        assert _states(setup.instance) == [("pending", 1, "the relay answered 451 4.3.0 Try again later")] * 2
        assert _digests_audited(setup.instance) == 0

        relay.refuse = None
        report = send(app, NOW.replace(minute=20))  # the next run: the same digest, not a new one
        assert report.slot is None and report.sent == 2 and report.ok
        _each_once(relay)
        assert send(app, NOW.replace(minute=35)).sent == 0
        _each_once(relay)
        assert _states(setup.instance) == []  # sent: only the audit trail remembers it (day, items)
        assert _digests_audited(setup.instance) == 2


def test_an_unreachable_relay_is_reported_and_the_messages_wait(setup: Setup) -> None:
    with smtp_relay(setup.port) as relay:
        app = _ready(setup, relay)
    # The relay is gone now: nothing listens on the port.
    report = send(app, NOW)
    assert report.sent == 0 and report.waiting == 1 and len(report.failed) == 1
    assert "cannot use the relay 127.0.0.1" in report.failed[0][1]
    result = app.test_cli_runner().invoke(args=["notify", "status"])
    assert "Messages not yet sent: 2 (1 refused or failed so far)" in result.output
    with smtp_relay(setup.port) as relay:
        report = send(app, NOW.replace(hour=9))
        assert report.sent == 2 and report.ok
        _each_once(relay)


_CHILD = """
import sys
from datetime import datetime
from pathlib import Path
from tests.support.notify_support import notify_app, send
send(notify_app(Path(sys.argv[2]), int(sys.argv[3])), datetime.fromisoformat(sys.argv[4]))
"""


@pytest.mark.parametrize("killed_at", [1, 2])
def test_a_crash_half_way_repeats_nothing(setup: Setup, killed_at: int) -> None:
    """`notify send` is killed while the relay holds its `killed_at`-th message; the
    next run sends what was not sent, once."""
    with smtp_relay(setup.port) as relay:
        app = _ready(setup, relay)
        relay.hold_at = killed_at
        relay.transactions = 0
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, "-", str(setup.instance), str(setup.port), NOW.isoformat()],
            cwd=REPO_ROOT,
        )
        try:
            assert relay.held.wait(60), "the child never reached the relay"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(30)
        relay.release.set()
        assert len(relay.messages) == killed_at - 1
        states = [state for state, _attempts, _error in _states(setup.instance)]
        assert states == ["sending"] + ["pending"] * (2 - killed_at)  # the sent one is gone

        relay.hold_at = None
        report = send(app, NOW.replace(minute=20))
        assert report.slot is None  # the digest is not planned again
        assert report.sent == 3 - killed_at and report.resumed == 1
        _each_once(relay)
        assert send(app, NOW.replace(minute=40)).sent == 0
        _each_once(relay)
        assert _digests_audited(setup.instance) == 2


# --- TLS and login ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with Debian's openssl."""
    folder = tmp_path_factory.mktemp("relay-cert")
    cert, key = folder / "relay.pem", folder / "relay.key"
    subprocess.run(
        ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


def test_starttls_with_a_login_from_a_password_file(
    setup: Setup, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    secret = tmp_path / "relay-password"
    secret.write_text("relay secret 42\n", encoding="utf-8")
    with smtp_relay(setup.port, tls=_server_context(certificate), login=("candour", "relay secret 42")) as relay:
        settings = {
            "NOTIFY_SMTP_SECURITY": "starttls",
            "NOTIFY_SMTP_CA_FILE": str(certificate[0]),
            "NOTIFY_SMTP_USER": "candour",
            "NOTIFY_SMTP_PASSWORD_FILE": str(secret),
        }
        app = _ready(setup, relay, **settings)
        assert send(app, NOW).sent == 2
        _each_once(relay)

        # A rotated password that the relay does not know: refused, reported, kept.
        secret.write_text("an old password\n", encoding="utf-8")
        file_case(setup.instance, app, [setup.alice], day="2026-12-01")
        report = send(app, NOW.replace(hour=16))
        assert report.sent == 0 and "535" in report.failed[0][1]


def test_a_relay_certificate_nobody_trusts_is_refused(setup: Setup, certificate: tuple[Path, Path]) -> None:
    with smtp_relay(setup.port, tls=_server_context(certificate)) as relay:
        app = notify_app(setup.instance, setup.port, NOTIFY_SMTP_SECURITY="starttls")
        with app.app_context(), pytest.raises(Exception, match="certificate verify failed"):
            confirm_address(app, relay, "alice", ADDRESSES["alice"], NOW)
        assert relay.messages == []


def test_implicit_tls(setup: Setup, certificate: tuple[Path, Path]) -> None:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=setup.port, ssl_context=_server_context(certificate))
    controller.start()
    try:
        app = _ready(setup, mailbox, NOTIFY_SMTP_SECURITY="tls", NOTIFY_SMTP_CA_FILE=str(certificate[0]))
        assert send(app, NOW).sent == 2
        _each_once(mailbox)
    finally:
        controller.stop()


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"NOTIFY_SMTP_HOST": None}, "NOTIFY_SMTP_HOST is not set"),
        ({"NOTIFY_FROM": None}, "NOTIFY_FROM is not set"),
        ({"NOTIFY_PORTAL_URL": None}, "NOTIFY_PORTAL_URL is not set"),
        ({"NOTIFY_PORTAL_URL": "candour.example.org"}, "without a path"),
        ({"NOTIFY_SMTP_HOST": "mail.example.org"}, "allowed only for a relay on this machine"),
        ({"NOTIFY_SMTP_SECURITY": "ssl"}, "must be one of starttls, tls, none"),
        ({"NOTIFY_SMTP_USER": "candour"}, "go together"),
        ({"NOTIFY_SMTP_PASSWORD": "secret"}, "go together"),
        ({"NOTIFY_SMTP_USER": "u", "NOTIFY_SMTP_PASSWORD_FILE": "/nonexistent/pw"}, "cannot be read"),
        ({"NOTIFY_SMTP_USER": "u", "NOTIFY_SMTP_PASSWORD": "p", "NOTIFY_SMTP_PASSWORD_FILE": "/x"}, "not both"),
        ({"NOTIFY_DIGEST_TIMES": ["8:00"]}, "is not a time HH:MM"),
        ({"NOTIFY_TIMEZONE": "Mars/Olympus"}, "not a known time zone"),
        ({"NOTIFY_SMTP_PORT": 0}, "must be a port number"),
    ],
)
def test_incomplete_relay_settings_refuse_to_start(
    instance_dir: Path, change: dict[str, Any], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(NotifySettingsError, match=message):
        create_app(str(instance_dir), overrides={**notify_overrides(2525), **change})
    # Said in the log too: the private log handler withholds exception messages.
    assert any(message in record.getMessage() for record in caplog.records)


def test_gunicorn_refuses_to_start_and_says_why(instance_dir: Path, tmp_path: Path) -> None:
    config = instance_dir / "candour.cfg"
    config.write_text(config.read_text(encoding="utf-8") + "\nNOTIFY_ENABLED = True\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "config" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"],
        cwd=REPO_ROOT, env={**os.environ, "CANDOUR_INSTANCE": str(instance_dir)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "NOTIFY_ENABLED is on but NOTIFY_SMTP_HOST is not set" in result.stderr + result.stdout


def test_off_by_default(instance_dir: Path) -> None:
    app = create_app(str(instance_dir))
    assert app.config["NOTIFY_ENABLED"] is False
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 1 and "E-mail notifications are off" in result.output
    result = app.test_cli_runner().invoke(args=["notify", "status"])
    assert result.exit_code == 0 and "off" in result.output


def test_the_send_command_on_the_real_clock(setup: Setup) -> None:
    with smtp_relay(setup.port) as relay:
        app = _ready(setup, relay)
        result = app.test_cli_runner().invoke(args=["notify", "send"])
        assert result.exit_code == 0, result.output
        # Whether a digest window is open depends on the real time; the second run has nothing to do.
        assert ("Sent 2 message(s)." in result.output) == (len(relay.messages) == 2)
        again = app.test_cli_runner().invoke(args=["notify", "send"])
        assert again.exit_code == 0 and again.output == ""
        status = app.test_cli_runner().invoke(args=["notify", "status"])
        assert status.exit_code == 0 and "Relay 127.0.0.1" in status.output


def test_a_second_run_while_one_is_sending_does_nothing(setup: Setup) -> None:
    import fcntl

    with smtp_relay(setup.port) as relay:
        app = _ready(setup, relay)
        with open(setup.instance / "notify.lock", "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            report = send(app, NOW)
            assert report.busy and report.sent == 0
        assert relay.messages == []
        assert send(app, NOW).sent == 2
        _each_once(relay)
