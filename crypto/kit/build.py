"""Build the reviewer kit: `make reviewer-kit` → dist/candour-reviewer-kit-<version>.zip.

The kit is what a reviewer carries to the offline laptop on a USB stick:

    candour-reviewer-kit-<version>/
        candour.pyz        the kit's code (crypto/ only) as one runnable zipapp
        wheels/            PyNaCl, Textual, their dependencies and pip, for every target
        install.sh         Linux, Tails, macOS: offline install into a private venv
        install.ps1        Windows: the same
        candour-desk.desktop   the launcher template install.sh fills in
        README.txt         the steps, Tails first
        SHA256SUMS         every file above; its own SHA-256 is the kit fingerprint

Wheels are fetched with `pip download --only-binary=:all: --platform … --python-version …
--implementation cp` once per target into a cache folder; later builds (and the tests)
reuse the cache and never touch the network. The build is reproducible: entries sorted,
one fixed timestamp (SOURCE_DATE_EPOCH when set), fixed permissions, wheels stored as
they came, so the same inputs give the same zip bytes. Standard library only.
"""

import argparse
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

KIT_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = KIT_DIR.parent.parent  # the repository: crypto/ lives here
REQUIREMENTS = KIT_DIR / "requirements.txt"
CONSTRAINTS = KIT_DIR / "constraints.txt"
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
# One entry per target system: a name for the cache folder and the platform tags pip
# may choose from (oldest first, so a wheel for the widest range of systems wins).
TARGETS: dict[str, tuple[str, ...]] = {
    "linux-x86_64": ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"),
    "linux-aarch64": (
        "manylinux2014_aarch64",
        "manylinux_2_17_aarch64",
        "manylinux_2_28_aarch64",
        "manylinux_2_34_aarch64",
    ),
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x86_64": ("macosx_10_13_x86_64",),
    "windows-amd64": ("win_amd64",),
}
DEFAULT_EPOCH = 1_767_225_600  # 2026-01-01 00:00 UTC: used when SOURCE_DATE_EPOCH is unset
PYZ_EXCLUDED = ("kit",)  # crypto/kit builds the kit; it is not part of it
PYZ_SHEBANG = b"#!/usr/bin/env python3\n"
FILE_MODE = 0o644
EXEC_MODE = 0o755
SHIPPED = ("install.sh", "install.ps1", "candour-desk.desktop", "README.txt")
EXECUTABLE = frozenset({"install.sh", "candour.pyz"})


class KitBuildError(Exception):
    """The kit could not be built; the message says why and what to do."""


@dataclass(frozen=True)
class BuiltKit:
    path: Path
    fingerprint: str  # SHA-256 of SHA256SUMS, in groups of four hex digits
    wheel_count: int


def project_version(root: Path = SOURCE_ROOT) -> str:
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise KitBuildError("pyproject.toml has no version line")
    return match.group(1)


def build_epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return DEFAULT_EPOCH
    try:
        return max(int(value), 315_532_800)  # zip dates start in 1980
    except ValueError:
        raise KitBuildError("SOURCE_DATE_EPOCH must be a whole number of seconds") from None


def _zip_date(epoch: int) -> tuple[int, int, int, int, int, int]:
    moment = time.gmtime(epoch)
    return (
        moment.tm_year,
        moment.tm_mon,
        moment.tm_mday,
        moment.tm_hour,
        moment.tm_min,
        moment.tm_sec - moment.tm_sec % 2,
    )


def _entry(name: str, epoch: int, mode: int, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_zip_date(epoch))
    info.create_system = 3  # Unix, so the permission bits below are honoured
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = compress
    return info


def write_reproducible_zip(sink: BinaryIO, files: Iterable[tuple[str, bytes, int]], epoch: int) -> None:
    """Write (name, data, mode) entries sorted by name, with one timestamp; .whl/.pyz stored as they are."""
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data, mode in sorted(files, key=lambda item: item[0]):
            already_compressed = name.endswith((".whl", ".pyz"))
            compress = zipfile.ZIP_STORED if already_compressed else zipfile.ZIP_DEFLATED
            archive.writestr(_entry(name, epoch, mode, compress), data, compresslevel=None if already_compressed else 9)


def _package_paths(package: Path) -> list[Path]:
    """crypto/'s files: those git tracks when this is a checkout (so a stray file never ships), else all."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", "."],  # noqa: S607 - git from PATH, fixed arguments
            cwd=package,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted(path for path in package.rglob("*") if path.is_file())
    return sorted(package / name for name in listed.decode("utf-8").split("\0") if name)


def pyz_files(root: Path = SOURCE_ROOT) -> list[tuple[str, bytes, int]]:
    """crypto/ (without crypto/kit and caches) plus the bootstrap as __main__.py."""
    package = root / "crypto"
    files = [("__main__.py", (KIT_DIR / "bootstrap.py").read_bytes(), FILE_MODE)]
    for path in _package_paths(package):
        relative = path.relative_to(package)
        if relative.parts[0] in PYZ_EXCLUDED or "__pycache__" in relative.parts or path.suffix in (".pyc", ".pyo"):
            continue
        files.append((f"crypto/{relative.as_posix()}", path.read_bytes(), FILE_MODE))
    return files


def build_pyz(epoch: int, root: Path = SOURCE_ROOT) -> bytes:
    """candour.pyz: a shebang line, then a zip Python runs (`python3 candour.pyz …`)."""
    body = io.BytesIO()
    write_reproducible_zip(body, pyz_files(root), epoch)
    return PYZ_SHEBANG + body.getvalue()


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes() + CONSTRAINTS.read_bytes()).hexdigest()[:16]


def _pip_download(python: str, destination: Path, platforms: Sequence[str], version: str) -> None:
    command = [python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:"]
    for platform in platforms:
        command += ["--platform", platform]
    command += [
        "--python-version",
        version,
        "--implementation",
        "cp",
        "-d",
        str(destination),
        "-r",
        str(REQUIREMENTS),
        "-c",
        str(CONSTRAINTS),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed arguments
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise KitBuildError(
            f"fetching the wheels for {', '.join(platforms)} / Python {version} failed ({last}); "
            "the kit is built on a machine that can reach the package registry"
        )


def fetch_wheels(cache: Path, python: str = sys.executable) -> dict[str, Path]:
    """Every wheel for every target and Python version, fetched once into `cache`.

    A target's folder is reused when its marker names the same requirements file
    digest; otherwise it is fetched again. Returns file name → path (same name, same file).
    """
    digest = _requirements_digest()
    wheels: dict[str, Path] = {}
    for target, platforms in TARGETS.items():
        for version in PYTHON_VERSIONS:
            folder = cache / f"{target}-cp{version.replace('.', '')}"
            marker = folder / ".complete"
            if not (marker.is_file() and marker.read_text(encoding="utf-8").strip() == digest):
                if folder.exists():
                    shutil.rmtree(folder)
                folder.mkdir(parents=True)
                _pip_download(python, folder, platforms, version)
                marker.write_text(digest + "\n", encoding="utf-8")
            for wheel in folder.glob("*.whl"):
                wheels.setdefault(wheel.name, wheel)
    return wheels


def sha256sums(files: Iterable[tuple[str, bytes, int]]) -> bytes:
    lines = [f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data, _mode in files]
    return "".join(sorted(lines, key=lambda line: line.split("  ", 1)[1])).encode("ascii")


def kit_fingerprint(sums: bytes) -> str:
    """What the organisation publishes: the SHA-256 of SHA256SUMS, in 16 groups of four."""
    digest = hashlib.sha256(sums).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 64, 4))


def kit_files(wheels: dict[str, Path], epoch: int) -> list[tuple[str, bytes, int]]:
    """Every file of the kit, relative to its top folder, SHA256SUMS last."""
    files: list[tuple[str, bytes, int]] = [("candour.pyz", build_pyz(epoch), EXEC_MODE)]
    for name in SHIPPED:
        files.append((name, (KIT_DIR / name).read_bytes(), EXEC_MODE if name in EXECUTABLE else FILE_MODE))
    for name in sorted(wheels):
        files.append((f"wheels/{name}", wheels[name].read_bytes(), FILE_MODE))
    files.append(("SHA256SUMS", sha256sums(files), FILE_MODE))
    return files


def build_kit(out_dir: Path, cache: Path, python: str = sys.executable) -> BuiltKit:
    version = project_version()
    epoch = build_epoch()
    wheels = fetch_wheels(cache, python)
    if not any(name.lower().startswith("pynacl-") for name in wheels):
        raise KitBuildError("no PyNaCl wheel was fetched; check crypto/kit/requirements.txt")
    files = kit_files(wheels, epoch)
    top = f"candour-reviewer-kit-{version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{top}.zip"
    temp = path.with_name(path.name + ".part")
    with temp.open("wb") as sink:
        write_reproducible_zip(sink, [(f"{top}/{name}", data, mode) for name, data, mode in files], epoch)
    os.replace(temp, path)
    sums = files[-1][1]
    return BuiltKit(path=path, fingerprint=kit_fingerprint(sums), wheel_count=len(wheels))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m crypto.kit.build", description="Build the reviewer kit zip.")
    parser.add_argument("--out", default="dist", help="folder for the kit zip (default: dist)")
    parser.add_argument("--cache", default=".cache/reviewer-kit-wheels", help="wheel cache folder")
    args = parser.parse_args(argv)
    try:
        kit = build_kit(Path(args.out), Path(args.cache))
    except (KitBuildError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built {kit.path} ({kit.wheel_count} wheels)")
    print("kit fingerprint (publish it where reviewers can compare it, e.g. the intranet or on paper):")
    print(f"    {kit.fingerprint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
