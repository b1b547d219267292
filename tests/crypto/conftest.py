"""Fixtures for the reviewer tool's tests: the real CLI in a subprocess, real key files.

- run_cli(*args, passphrase=…, env=…, stdin=…) -> CompletedProcess: `python -m crypto`
  from the checkout, passphrase handed over through CANDOUR_PASSPHRASE_FILE.
- reviewer_kit: three reviewers (ana, ben, cat) made by `keygen --kdf interactive`,
  each with .key, .pub and the loaded ReviewerKeys.

For the library tests (test_submission.py and others):
- reviewers: three in-memory ReviewerKeys (alice, bob, carol)
- reporter / other_reporter: ReporterKeys from two different codenames
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli_support import PASSPHRASE, REPO_ROOT

from crypto.codename import ReporterKeys, derive_reporter_keys, generate_codename
from crypto.identity import (
    PublicIdentity,
    ReviewerKeys,
    generate_reviewer_keys,
    load_reviewer_keys,
    parse_public_identity,
)

INSTANCE_SALT = bytes(range(16))


@pytest.fixture(scope="session")
def reviewers() -> list[ReviewerKeys]:
    return [generate_reviewer_keys(name) for name in ("alice", "bob", "carol")]


@pytest.fixture(scope="session")
def reporter() -> ReporterKeys:
    return derive_reporter_keys(generate_codename(), INSTANCE_SALT)


@pytest.fixture(scope="session")
def other_reporter() -> ReporterKeys:
    return derive_reporter_keys(generate_codename(), INSTANCE_SALT)


@dataclass(frozen=True)
class KitReviewer:
    name: str
    key: Path
    pub: Path
    keys: ReviewerKeys

    @property
    def identity(self) -> PublicIdentity:
        return self.keys.public


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture(scope="session")
def passphrase_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "passphrase"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")  # one trailing newline is ignored
    return path


RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def run_cli(passphrase_file: Path) -> RunCli:
    def run(
        *args: str | os.PathLike[str],
        passphrase: Path | None = passphrase_file,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
        timeout: float = 240,
    ) -> subprocess.CompletedProcess[str]:
        full_env = _clean_env()
        if passphrase is not None:
            full_env["CANDOUR_PASSPHRASE_FILE"] = str(passphrase)
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "crypto", *map(str, args)],
            cwd=REPO_ROOT,
            env=full_env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def reviewer_kit(tmp_path_factory: pytest.TempPathFactory, run_cli: RunCli) -> dict[str, KitReviewer]:
    directory = tmp_path_factory.mktemp("keys")
    kit = {}
    for name in ("ana", "ben", "cat"):
        result = run_cli("keygen", "--name", name, "--dir", directory, "--kdf", "interactive")
        assert result.returncode == 0, result.stderr
        key, pub = directory / f"{name}.key", directory / f"{name}.pub"
        keys = load_reviewer_keys(key, PASSPHRASE)
        assert parse_public_identity(pub.read_text()) == keys.public
        kit[name] = KitReviewer(name, key, pub, keys)
    return kit
