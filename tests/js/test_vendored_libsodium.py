"""The vendored libsodium.js is exactly what the npm registry published (no network needed).

static/vendor/libsodium/PROVENANCE.json records, for each tarball, the registry's
`dist.integrity`, and for each served file its path inside a tarball, sha256 and SRI
hash. These tests recompute every one of them from the committed bytes, so a file
edited by hand, a re-packed tarball or a stale hash fails here.
"""

import base64
import hashlib
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT

VENDOR = REPO_ROOT / "static" / "vendor" / "libsodium"
PROVENANCE: dict[str, Any] = json.loads((VENDOR / "PROVENANCE.json").read_text(encoding="utf-8"))
PACKAGES = {entry["package"]: entry for entry in PROVENANCE["packages"]}
FILES = PROVENANCE["files"]


def npm_integrity(data: bytes) -> str:
    """The `dist.integrity` string npm computes for a tarball (SRI, sha512)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def sri_sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def member_bytes(tarball: Path, name: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.getmember(name)
        assert member.isfile(), f"{name} in {tarball.name} is not a regular file"
        handle = archive.extractfile(member)
        assert handle is not None
        return handle.read()


def test_the_expected_packages_are_recorded() -> None:
    assert set(PACKAGES) == {"libsodium-wrappers-sumo", "libsodium-sumo", "libsodium-wrappers", "libsodium"}
    assert {entry["version"] for entry in PACKAGES.values()} == {"0.8.4"}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_tarball_matches_the_registry_integrity(package: str) -> None:
    entry = PACKAGES[package]
    assert entry["tarball"] == f"{package}-{entry['version']}.tgz"
    data = (VENDOR / entry["tarball"]).read_bytes()
    assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", entry["integrity"])
    assert npm_integrity(data) == entry["integrity"]
    assert hashlib.sha1(data).hexdigest() == entry["shasum"]  # noqa: S324 - npm's legacy shasum, not security


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_tarball_is_the_version_it_claims(package: str) -> None:
    entry = PACKAGES[package]
    manifest = json.loads(member_bytes(VENDOR / entry["tarball"], "package/package.json"))
    assert manifest["name"] == package
    assert manifest["version"] == entry["version"]


@pytest.mark.parametrize(
    "wrappers_name, core_name", [("libsodium-wrappers-sumo", "libsodium-sumo"), ("libsodium-wrappers", "libsodium")]
)
def test_wrappers_depend_on_the_vendored_core(wrappers_name: str, core_name: str) -> None:
    wrappers = PACKAGES[wrappers_name]
    manifest = json.loads(member_bytes(VENDOR / wrappers["tarball"], "package/package.json"))
    wanted = manifest["dependencies"][core_name]
    core_version = PACKAGES[core_name]["version"]
    # "^0.8.0": same 0.8 line, at or above the floor.
    match = re.fullmatch(r"\^0\.(\d+)\.(\d+)", wanted)
    assert match, f"unexpected dependency range {wanted!r}: re-check which core to vendor"
    minor, patch = (int(x) for x in match.groups())
    core = tuple(int(x) for x in core_version.split("."))
    assert core[0] == 0 and core[1] == minor and core[2] >= patch


@pytest.mark.parametrize("entry", FILES, ids=[entry["path"] for entry in FILES])
def test_served_file_is_the_file_in_its_tarball(entry: dict[str, Any]) -> None:
    served = (VENDOR / entry["path"]).read_bytes()
    package = PACKAGES[entry["package"]]
    original = member_bytes(VENDOR / package["tarball"], entry["path_in_tarball"])
    assert served == original
    assert len(served) == entry["size"]
    assert hashlib.sha256(served).hexdigest() == entry["sha256"]
    assert sri_sha384(served) == entry["sri"]


def test_every_vendored_file_is_accounted_for() -> None:
    recorded = {entry["path"] for entry in FILES} | {entry["tarball"] for entry in PACKAGES.values()}
    present = {path.name for path in VENDOR.iterdir()} - {"PROVENANCE.json"}
    assert present == recorded


@pytest.mark.parametrize("entry", [e for e in FILES if e["kind"] == "script"], ids=lambda e: e["path"])
def test_served_scripts_need_no_eval(entry: dict[str, Any]) -> None:
    """The CSP is script-src 'self' 'wasm-unsafe-eval': no eval, no new Function."""
    text = (VENDOR / entry["path"]).read_text(encoding="utf-8")
    assert not re.search(r"\beval\s*\(", text)
    assert not re.search(r"\bnew\s+Function\s*\(", text)


def test_the_total_vendored_size_stays_small() -> None:
    total = sum(path.stat().st_size for path in VENDOR.iterdir())
    assert total < 5 * 1024 * 1024
