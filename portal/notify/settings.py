"""The NOTIFY_* settings, checked once at start-up (config/defaults.py explains each)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECURITY_MODES = ("starttls", "tls", "none")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_URL = re.compile(r"https?://[^\s/?#]+")
LOOPBACK_NAMES = ("localhost",)


class NotifySettingsError(Exception):
    """The notification settings are incomplete or wrong; the message names the setting."""


@dataclass(frozen=True)
class RelaySettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    password_file: Path | None
    ca_file: Path | None
    timeout: float
    sender: str

    def read_password(self) -> str | None:
        """The password, read from its file at each use (so it can be rotated without a restart)."""
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                message = f"NOTIFY_SMTP_PASSWORD_FILE {self.password_file} cannot be read: {exc}"
                raise NotifySettingsError(message) from None
        return self.password


@dataclass(frozen=True)
class NotifySettings:
    relay: RelaySettings
    portal_url: str
    digest_times: tuple[time, ...]
    timezone: ZoneInfo
    window_minutes: int
    remind_days_before: int
    escalate_after_days: int
    confirm_hours: int

    @property
    def workspace_url(self) -> str:
        return f"{self.portal_url}/review/"


def _required(config: Mapping[str, Any], name: str) -> Any:
    value = config.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise NotifySettingsError(f"NOTIFY_ENABLED is on but {name} is not set: set it in candour.cfg")
    return value


def _non_negative_int(config: Mapping[str, Any], name: str) -> int:
    value = config.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise NotifySettingsError(f"{name} must be a whole number of 0 or more, not {value!r}")
    return value


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(config: Mapping[str, Any]) -> NotifySettings | None:
    """The checked settings, or None when notifications are off. Raises
    NotifySettingsError for anything incomplete, so the portal refuses to start."""
    if not config.get("NOTIFY_ENABLED"):
        return None
    host = str(_required(config, "NOTIFY_SMTP_HOST")).strip()
    port = config.get("NOTIFY_SMTP_PORT")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise NotifySettingsError(f"NOTIFY_SMTP_PORT must be a port number (1–65535), not {port!r}")
    security = config.get("NOTIFY_SMTP_SECURITY")
    if security not in SECURITY_MODES:
        raise NotifySettingsError(f"NOTIFY_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
    if security == "none" and not _is_loopback(host):
        raise NotifySettingsError(
            f'NOTIFY_SMTP_SECURITY = "none" sends the password and messages unencrypted; it is allowed only for a '
            f"relay on this machine (127.0.0.1, ::1 or localhost), not {host!r}. Use starttls or tls."
        )
    user = config.get("NOTIFY_SMTP_USER") or None
    password = config.get("NOTIFY_SMTP_PASSWORD") or None
    password_file_value = config.get("NOTIFY_SMTP_PASSWORD_FILE") or None
    if password is not None and password_file_value is not None:
        raise NotifySettingsError("Set NOTIFY_SMTP_PASSWORD or NOTIFY_SMTP_PASSWORD_FILE, not both")
    password_file = Path(password_file_value) if password_file_value else None
    has_secret = password is not None or password_file is not None
    if (user is None) != (not has_secret):
        raise NotifySettingsError(
            "NOTIFY_SMTP_USER and a password (NOTIFY_SMTP_PASSWORD or NOTIFY_SMTP_PASSWORD_FILE) go together: "
            "set both for a relay that needs a login, neither for one that does not"
        )
    if password_file is not None:
        try:
            if not password_file.read_text(encoding="utf-8").strip():
                raise NotifySettingsError(f"NOTIFY_SMTP_PASSWORD_FILE {password_file} is empty")
        except OSError as exc:
            raise NotifySettingsError(f"NOTIFY_SMTP_PASSWORD_FILE {password_file} cannot be read: {exc}") from None
    ca_value = config.get("NOTIFY_SMTP_CA_FILE") or None
    ca_file = Path(ca_value) if ca_value else None
    if ca_file is not None and not ca_file.is_file():
        raise NotifySettingsError(f"NOTIFY_SMTP_CA_FILE {ca_file} is not a file")
    timeout = config.get("NOTIFY_SMTP_TIMEOUT_SECONDS")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise NotifySettingsError(f"NOTIFY_SMTP_TIMEOUT_SECONDS must be a positive number, not {timeout!r}")
    sender = str(_required(config, "NOTIFY_FROM")).strip()
    from portal.notify.addresses import AddressError, check_address

    try:
        check_address(sender)
    except AddressError as exc:
        raise NotifySettingsError(f"NOTIFY_FROM: {exc}") from None
    portal_url = str(_required(config, "NOTIFY_PORTAL_URL")).strip().rstrip("/")
    if not _URL.fullmatch(portal_url):
        raise NotifySettingsError(
            f"NOTIFY_PORTAL_URL must be the portal's address without a path, e.g. https://candour.example.org, "
            f"not {portal_url!r}"
        )
    times = config.get("NOTIFY_DIGEST_TIMES")
    if not isinstance(times, list | tuple) or not times:
        raise NotifySettingsError('NOTIFY_DIGEST_TIMES must be a list of times such as ["08:00", "16:00"]')
    digest_times = []
    for text in times:
        match = _TIME.fullmatch(str(text))
        if not match:
            raise NotifySettingsError(f"NOTIFY_DIGEST_TIMES: {text!r} is not a time HH:MM (24-hour)")
        digest_times.append(time(int(match.group(1)), int(match.group(2))))
    try:
        zone = ZoneInfo(str(_required(config, "NOTIFY_TIMEZONE")))
    except (ZoneInfoNotFoundError, ValueError):
        raise NotifySettingsError(
            f"NOTIFY_TIMEZONE {config.get('NOTIFY_TIMEZONE')!r} is not a known time zone (e.g. Europe/London)"
        ) from None
    return NotifySettings(
        relay=RelaySettings(
            host=host,
            port=port,
            security=str(security),
            user=str(user) if user else None,
            password=str(password) if password else None,
            password_file=password_file,
            ca_file=ca_file,
            timeout=float(timeout),
            sender=sender,
        ),
        portal_url=portal_url,
        digest_times=tuple(sorted(set(digest_times))),
        timezone=zone,
        window_minutes=_non_negative_int(config, "NOTIFY_DIGEST_WINDOW_MINUTES"),
        remind_days_before=_non_negative_int(config, "NOTIFY_REMIND_DAYS_BEFORE"),
        escalate_after_days=_non_negative_int(config, "NOTIFY_ESCALATE_AFTER_DAYS"),
        confirm_hours=max(1, _non_negative_int(config, "NOTIFY_CONFIRM_HOURS")),
    )
