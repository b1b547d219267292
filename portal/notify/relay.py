"""Handing messages to the organisation's SMTP relay (smtplib, STARTTLS or implicit TLS)."""

from __future__ import annotations

import secrets
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from types import TracebackType

from portal.notify.settings import NotifySettingsError, RelaySettings


class RelayError(Exception):
    """The relay could not be reached, or refused a message. `connection` is True when
    the relay itself is unreachable (trying further messages in this run is pointless)."""

    def __init__(self, message: str, *, connection: bool) -> None:
        super().__init__(message)
        self.connection = connection


def new_message_id(sender: str) -> str:
    # The sender's domain, so relays that check Message-IDs accept it; the rest is
    # random (email.utils.make_msgid would put the time and process id in it).
    domain = sender.rpartition("@")[2] or "candour.invalid"
    return f"<{secrets.token_hex(16)}@{domain}>"


def build_message(*, sender: str, to: str, subject: str, body: str, message_id: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    # Tells mail systems not to answer it with out-of-office replies.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {text.decode('utf-8', 'replace')}" for code, text in exc.recipients.values()]
        return "the relay refused the recipient: " + "; ".join(codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"the relay answered {exc.smtp_code} {said}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with the relay failed: {exc}"
    return f"{type(exc).__name__}: {exc}"


class Relay:
    """One connection to the relay for a run, opened on first use, reopened after it drops."""

    def __init__(self, settings: RelaySettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Relay:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        try:
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.security == "starttls":
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                password = s.read_password()
                if s.user is not None and password is not None:
                    smtp.login(s.user, password)
            except BaseException:
                smtp.close()
                raise
        except (smtplib.SMTPException, OSError, NotifySettingsError) as exc:
            raise RelayError(f"cannot use the relay {s.host}:{s.port}: {_describe(exc)}", connection=True) from None
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Hand one message over; returns once the relay has accepted it."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as exc:
            self.close()
            raise RelayError(f"the relay connection failed: {_describe(exc)}", connection=True) from None
        except smtplib.SMTPException as exc:  # a refusal (SMTPException is an OSError: test it first)
            self._reset()
            raise RelayError(_describe(exc), connection=False) from None
        except OSError as exc:
            self.close()
            raise RelayError(f"the relay connection failed: {_describe(exc)}", connection=True) from None
        if refused:
            raise RelayError(f"the relay refused {', '.join(refused)}", connection=False)

    def _reset(self) -> None:
        # After a refused message the transaction must be reset before the next one.
        if self._smtp is not None:
            try:
                self._smtp.rset()
            except (smtplib.SMTPException, OSError):
                self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None
