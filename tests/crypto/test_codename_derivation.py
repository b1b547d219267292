"""Codename derivation versions 1 and 2 (docs/format.md §6) against the committed vectors
in tests/vectors/codename-derivation/ (tests/js/codename.test.mjs runs the same files
through the browser code)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crypto.codename import (
    CODENAME_VERSION,
    CODENAME_VERSIONS,
    derive_master_key,
    derive_reporter_keys,
    generate_codename,
    login_lookup_hash,
    normalise_codename,
)
from crypto.errors import CodenameError, UnsupportedVersionError

REPO = Path(__file__).resolve().parents[2]
VECTOR_DIR = REPO / "tests" / "vectors" / "codename-derivation"
VECTORS = [json.loads(path.read_text("utf-8")) for path in sorted(VECTOR_DIR.glob("*.json"))]


def test_new_cases_get_version_2_and_both_stay_derivable() -> None:
    assert CODENAME_VERSION == 2
    assert CODENAME_VERSIONS == (1, 2)


def test_the_vector_set_covers_both_versions() -> None:
    by_version = {version: [v for v in VECTORS if v["version"] == version] for version in (1, 2)}
    assert len(by_version[1]) >= 5 and len(by_version[2]) >= 5
    assert {v["name"].split("-", 2)[2] for v in by_version[1]} == {v["name"].split("-", 2)[2] for v in by_version[2]}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    assert vector["kind"] == "codename-derivation"
    assert (VECTOR_DIR / f"{vector['name']}.json").exists()
    salt = bytes.fromhex(vector["instance_salt"])
    expected = vector["expected"]
    assert normalise_codename(vector["typed"]) == expected["normal_form"]
    assert derive_master_key(vector["typed"], salt, vector["version"]).hex() == expected["master_key"]
    keys = derive_reporter_keys(vector["typed"], salt, vector["version"])
    assert keys.login_token.hex() == expected["login_token"]
    assert keys.reply_secret_key.hex() == expected["reply_secret_key"]
    assert keys.reply_public_key.hex() == expected["reply_public_key"]
    assert keys.signing_seed.hex() == expected["sign_seed"]
    assert keys.sign_public_key.hex() == expected["sign_public_key"]
    assert login_lookup_hash(keys.login_token, bytes.fromhex(vector["pepper"])).hex() == expected["login_lookup"]


def test_the_two_versions_give_unrelated_keys() -> None:
    for v1 in (v for v in VECTORS if v["version"] == 1):
        v2 = next(v for v in VECTORS if v["name"] == v1["name"].replace("-v1-", "-v2-"))
        assert v1["typed"] == v2["typed"] and v1["instance_salt"] == v2["instance_salt"]
        for field in ("master_key", "login_token", "reply_secret_key", "sign_seed", "login_lookup"):
            assert v1["expected"][field] != v2["expected"][field], (v1["name"], field)


def test_loose_typing_and_salt_matter_as_stated() -> None:
    named = {v["name"]: v["expected"] for v in VECTORS}
    for version in (1, 2):
        base = named[f"codename-v{version}-list-ends"]
        assert named[f"codename-v{version}-typed-loosely"] == base
        assert named[f"codename-v{version}-other-salt"]["master_key"] != base["master_key"]


def test_default_is_version_2() -> None:
    codename = generate_codename()
    assert derive_reporter_keys(codename, bytes(16)) == derive_reporter_keys(codename, bytes(16), 2)
    assert derive_master_key(codename, bytes(16)) == derive_master_key(codename, bytes(16), CODENAME_VERSION)


@pytest.mark.parametrize("version", [0, 3, -1])
def test_an_unknown_version_is_refused(version: int) -> None:
    with pytest.raises(UnsupportedVersionError, match=f"version {version} is unknown"):
        derive_master_key(generate_codename(), bytes(16), version)


@pytest.mark.parametrize("version", [1, 2])
def test_bad_inputs_are_refused_in_every_version(version: int) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        derive_master_key(generate_codename(), bytes(15), version)
    with pytest.raises(CodenameError):
        derive_master_key("abandon ability able", bytes(16), version)


def test_the_generator_reproduces_the_committed_files() -> None:
    """The generator computes version 2 from the text of §6, not through crypto.codename."""
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "vectors" / "generate_codename.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
