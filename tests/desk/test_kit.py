"""The reviewer kit (crypto/kit): reproducible, installs with no network, fails in one sentence.

The wheels come from the cache `make reviewer-kit` fills (.cache/reviewer-kit-wheels);
only the first run on a machine downloads them. Installing uses the kit's own
install.sh with pip's configuration switched off (PIP_CONFIG_FILE=/dev/null, so no
local index or find-links can help) and `--no-index`: only the kit's wheels.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from crypto.kit.build import build_kit

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / ".cache" / "reviewer-kit-wheels"
SYSTEM_PYTHON = "/usr/bin/python3"
SH = "/bin/sh"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_kit(tmp_path_factory.mktemp("kit-a"), CACHE).path


@pytest.fixture(scope="module")
def unpacked(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(kit) as archive:
        archive.extractall(target)
    (folder,) = target.iterdir()
    for name in ("install.sh", "candour.pyz"):
        (folder / name).chmod(0o755)  # extractall drops permission bits
    return folder


def offline_env(home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "LANG": "C.UTF-8",
    }


def fingerprint_of(folder: Path) -> str:
    return hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()


def test_two_builds_are_byte_identical(kit: Path, tmp_path: Path) -> None:
    again = build_kit(tmp_path, CACHE)
    assert again.path.read_bytes() == kit.read_bytes()


def test_kit_holds_every_target_and_fixed_metadata(kit: Path) -> None:
    with zipfile.ZipFile(kit) as archive:
        infos = archive.infolist()
    names = [info.filename.split("/", 1)[1] for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(2026, 1, 1, 0, 0, 0)}
    modes = {name: (info.external_attr >> 16) & 0o777 for name, info in zip(names, infos, strict=True)}
    assert modes["install.sh"] == 0o755 and modes["README.txt"] == 0o644
    wheels = " ".join(name for name in names if name.startswith("wheels/"))
    for python in ("cp311", "cp312", "cp313"):
        for platform in ("manylinux2014_x86_64", "manylinux2014_aarch64", "macosx_11_0_arm64", "x86_64", "win_amd64"):
            assert f"{python}-{python}-" in wheels and platform in wheels
    for package in ("pynacl-1.6.2", "textual-8.2.8", "pip-"):
        assert package in wheels
    assert "crypto/kit/" not in " ".join(zipfile.ZipFile(kit).namelist())


def test_installs_offline_and_runs(unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        [SH, str(unpacked / "install.sh"), "--fingerprint", fingerprint_of(unpacked)],
        env=offline_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    prefix = home / ".local" / "share" / "candour-desk"
    desktop = (home / ".local" / "share" / "applications" / "candour-desk.desktop").read_text()
    assert "Name=Candour Desk" in desktop and f'"{prefix}/candour-desk"' in desktop
    assert ("Terminal=true" in desktop) == ("Terminal=false" not in desktop)
    helped = subprocess.run(
        [str(prefix / "candour"), "--help"], env=offline_env(home), capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0 and "desk" in helped.stdout and "decrypt" in helped.stdout
    started = subprocess.run(
        [str(prefix / "candour-desk"), "--headless-start"],
        env=offline_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    assert "Unlock" in started.stdout


def test_wrong_fingerprint_is_refused(unpacked: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [SH, str(unpacked / "install.sh"), "--fingerprint", "0" * 64],
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "fingerprint is not the one you gave" in result.stderr
    assert not (tmp_path / ".local" / "share" / "candour-desk").exists()


def test_damaged_kit_gives_one_sentence(unpacked: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "kit"
    shutil.copytree(unpacked, damaged)
    wheel = next((damaged / "wheels").glob("pynacl-*manylinux2014_x86_64*.whl"))
    data = bytearray(wheel.read_bytes())
    data[len(data) // 2] ^= 1
    wheel.write_bytes(bytes(data))
    result = subprocess.run(
        [SH, str(damaged / "install.sh"), "--fingerprint", fingerprint_of(damaged)],
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "damaged" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_damaged_pyz_gives_one_sentence(unpacked: Path, tmp_path: Path) -> None:
    pyz = tmp_path / "candour.pyz"
    data = bytearray((unpacked / "candour.pyz").read_bytes())
    with zipfile.ZipFile(unpacked / "candour.pyz") as archive:
        info = archive.getinfo("crypto/envelope.py")  # a module in every layout of crypto/
    data[len(b"#!/usr/bin/env python3\n") + info.header_offset + 30 + len(info.filename) + 40] ^= 0xFF
    pyz.write_bytes(bytes(data))
    result = subprocess.run([sys.executable, str(pyz), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "damaged" in result.stderr, result.stderr


def test_missing_pynacl_gives_one_sentence(unpacked: Path) -> None:
    if not Path(SYSTEM_PYTHON).exists():
        pytest.skip("needs a system python3 without PyNaCl")
    probe = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import nacl"], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("the system python3 has PyNaCl")
    result = subprocess.run(
        [SYSTEM_PYTHON, "-I", str(unpacked / "candour.pyz"), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "needs PyNaCl" in result.stderr


def test_too_old_python_gives_one_sentence(unpacked: Path) -> None:
    # No Python older than 3.11 is installed here: the bootstrap is run with the version it reads replaced.
    script = (
        "import runpy, sys; sys.version_info = (3, 9, 2, 'final', 0); "
        f"runpy.run_path({str(unpacked / 'candour.pyz')!r}, run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "needs Python 3.11 or newer" in result.stderr
    assert "3.9" in result.stderr
