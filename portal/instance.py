"""The instance folder: where it is, and creating a fresh one.

An instance holds everything that belongs to one installation and is never
committed: candour.cfg (settings and secrets), db.key (the SQLCipher key),
candour.db and blobs/.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crypto.files import write_new_file

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILENAME = "candour.cfg"
DB_KEY_FILENAME = "db.key"
DB_FILENAME = "candour.db"
BLOBS_DIRNAME = "blobs"


class InstanceExistsError(Exception):
    """`init` was asked to create an instance where one already exists."""


class SettingsError(Exception):
    """The settings contradict each other; the message says which to change."""


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse settings that would quietly weaken the portal.

    Behind a TLS-terminating proxy gunicorn sees plain HTTP (it trusts no proxy
    header), so COOKIE_SECURE = "auto" would send every cookie without Secure.
    PREFERRED_URL_SCHEME = "https" says the portal is served over TLS: then
    COOKIE_SECURE must be set explicitly."""
    if str(config.get("PREFERRED_URL_SCHEME") or "http").lower() == "https" and config.get(
        "COOKIE_SECURE", "auto"
    ) not in (True, False):
        raise SettingsError(
            "PREFERRED_URL_SCHEME is 'https' but COOKIE_SECURE is not set: behind a TLS-terminating proxy the "
            "portal cannot tell a request came over TLS, and its cookies would lack the Secure flag. Put "
            "COOKIE_SECURE = True in the instance's candour.cfg (docs/operations.md)."
        )


def resolve_instance_path(instance_path: str | os.PathLike[str] | None = None) -> Path:
    """The absolute instance folder: the argument, else $CANDOUR_INSTANCE, else
    <repository>/instance (anchored to the code, not to the working directory, so
    `flask`, gunicorn and the tests agree whatever directory they start in)."""
    chosen = instance_path or os.environ.get("CANDOUR_INSTANCE") or REPO_ROOT / "instance"
    return Path(chosen).expanduser().resolve()


def is_initialised(instance_path: Path) -> bool:
    return (instance_path / CONFIG_FILENAME).is_file()


def _write_new_private_file(path: Path, text: str) -> None:
    # O_EXCL: never overwrite; mode 0600 from the start, not chmod-ed afterwards.
    write_new_file(path, text.encode("utf-8"), mode=0o600, strict=True)


def _config_text() -> str:
    today = datetime.now(UTC).date().isoformat()
    return (
        f"# Candour instance settings, written by `flask --app wsgi init` on {today}.\n"
        "# Anything here overrides config/defaults.py (see config/instance.example.cfg).\n"
        "# Keep this file private: LOGIN_PEPPER and SECRET_KEY are secrets.\n"
        "\n"
        "# Signs the session cookie and CSRF tokens. Changing it logs everyone out.\n"
        f'SECRET_KEY = "{secrets.token_hex(32)}"\n'
        "# Public salt for deriving reporters' keys from codenames. Never change it:\n"
        "# every existing codename would stop working.\n"
        f'INSTANCE_SALT = "{secrets.token_hex(16)}"\n'
        "# Secret key for the hash of codename login tokens. Never change it: every\n"
        "# existing codename would stop working.\n"
        f'LOGIN_PEPPER = "{secrets.token_hex(32)}"\n'
    )


def create_instance(instance_path: Path) -> None:
    """Create the folder (0700), db.key (0600), candour.cfg (0600) and the blob
    folders. Refuses if any of them already holds an instance; writes candour.cfg
    last, so a half-finished run is still refused next time instead of silently
    keyed anew. The caller migrates the database afterwards."""
    existing = [name for name in (CONFIG_FILENAME, DB_KEY_FILENAME, DB_FILENAME) if (instance_path / name).exists()]
    if existing:
        raise InstanceExistsError(
            f"{instance_path} already holds an instance (found {', '.join(existing)}). "
            "Refusing to overwrite it: a new db.key would make the existing database "
            "unreadable. To start over, move the folder somewhere else first."
        )
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask and ignored for an existing folder.
    os.chmod(instance_path, 0o700)
    _write_new_private_file(instance_path / DB_KEY_FILENAME, secrets.token_hex(32) + "\n")
    # An empty file is a valid new database. Creating it here fixes its mode at 0600,
    # and SQLite gives the -wal and -shm files the same mode.
    _write_new_private_file(instance_path / DB_FILENAME, "")
    blobs = instance_path / BLOBS_DIRNAME
    for folder in (blobs, blobs / "tmp"):
        folder.mkdir(mode=0o700, exist_ok=True)
    _write_new_private_file(instance_path / CONFIG_FILENAME, _config_text())
