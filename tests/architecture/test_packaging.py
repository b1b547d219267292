"""The project installs into its own virtualenv and nothing patches sys.path.

`make venv` runs `pip install -e .` (pyproject.toml), so `.venv/bin/python` imports
portal, crypto and config from any directory, and test, benchmark and fuzzing code
imports `tests.support…`/`bench.support…` as packages instead of editing sys.path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

SYS_PATH_EDIT = re.compile(r"sys\.path\s*(\.(insert|append|extend)\s*\(|\[|\+=|=)")


def test_portal_and_crypto_import_from_outside_the_checkout(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    code = (
        "import os, sys, config, crypto, crypto.envelope, portal\n"
        "assert os.getcwd() not in [os.path.abspath(p or '.') for p in sys.path[1:]], sys.path\n"
        "print(portal.__file__); print(crypto.__file__); print(config.__file__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        str(REPO_ROOT / "portal" / "__init__.py"),
        str(REPO_ROOT / "crypto" / "__init__.py"),
        str(REPO_ROOT / "config" / "__init__.py"),
    ]


def test_the_reviewer_tool_runs_from_outside_the_checkout(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-I", "-m", "crypto", "--help"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()


def test_nothing_patches_sys_path() -> None:
    offenders = []
    for root in ("portal", "crypto", "config", "tests", "bench"):
        for path in sorted((REPO_ROOT / root).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if SYS_PATH_EDIT.search(line):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "import through the installed project instead:\n" + "\n".join(offenders)


def test_pytest_adds_nothing_to_the_import_path() -> None:
    settings = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "pythonpath" not in settings["tool"]["pytest"]["ini_options"]
    assert settings["build-system"]["build-backend"] == "setuptools.build_meta"


def makefile_targets() -> list[str]:
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    return sorted({match.group(1) for match in re.finditer(r"^([a-zA-Z][a-zA-Z_-]*):", text, flags=re.M)})


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_help_lists_every_target_with_one_line() -> None:
    result = subprocess.run(
        [str(shutil.which("make")), "--no-print-directory", "-s", "help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    described = {}
    for line in result.stdout.splitlines():
        name, _, text = line.strip().partition(" ")
        assert text.strip(), f"the help line for {name} says nothing"
        described[name] = text.strip()
    targets = makefile_targets()
    assert {"help", "venv", "lint", "test", "typecheck", "run", "bench"} <= set(targets)
    missing = sorted(set(targets) - set(described))
    assert missing == [], f"add a '##  <target>  <what it does>' line to the Makefile's help block for: {missing}"
    assert sorted(set(described) - set(targets)) == [], "the help block names targets that do not exist"
    assert list(described) == sorted(described), "keep the help block in alphabetical order"


@pytest.mark.skipif(not (Path(sys.executable).parent / "pre-commit").exists(), reason="needs pre-commit (make venv)")
def test_the_pre_commit_configuration_is_valid() -> None:
    config = REPO_ROOT / ".pre-commit-config.yaml"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "validate-config", str(config)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = re.findall(r"^\s+- id: (\S+)", config.read_text(encoding="utf-8"), flags=re.M)
    assert hooks == ["ruff-check", "ruff-format", "mypy"]


def test_tests_are_grouped_in_packages() -> None:
    """Every test module sits in a group folder (tests/portal/<area>/, tests/crypto/, …),
    and every folder holding Python is a package, so `tests.support…` imports work and
    two groups may both have a test_views.py or a conftest.py."""
    tests = REPO_ROOT / "tests"
    flat = sorted(path.name for path in tests.glob("test_*.py"))
    assert flat == [], f"move these into their group folder (tests/README.md): {flat}"
    not_packages = sorted(
        str(folder.relative_to(REPO_ROOT))
        for folder in {path.parent for path in tests.rglob("*.py")}
        if "__pycache__" not in folder.parts and not (folder / "__init__.py").exists()
    )
    assert not_packages == [], f"add an empty __init__.py to: {not_packages}"


def test_every_benchmark_imports() -> None:
    # `make bench` is run by hand, rarely; an import that broke in a move would
    # otherwise show up only then. Importing runs no benchmark (each has a main guard).
    modules = [f"bench.{path.stem}" for path in sorted((REPO_ROOT / "bench").glob("[a-z]*.py"))]
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    result = subprocess.run(
        [sys.executable, "-c", code, *modules], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
