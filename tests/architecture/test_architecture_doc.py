"""docs/architecture.md matches the code: it names every module, and every path it names exists.

A module counts as named when its path from the checkout's root appears in backquotes
(`portal/intake/form.py`). The same existence check runs over the other docs a newcomer
reads, so a moved test file or module cannot leave a stale path behind in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
PYTHON_ROOTS = ("portal", "crypto", "config")
JS_ROOT = REPO_ROOT / "static" / "js"
# Folders a doc may name that a fresh checkout does not hold: made at run time or by a build.
NOT_IN_A_CHECKOUT = ("instance/", "dist/", ".cache/", ".venv/", "bench/out/")
TOP_LEVEL = {path.name for path in REPO_ROOT.iterdir() if not path.name.startswith(".")}
# A backquoted token that reads as a path inside the checkout: one of its top-level
# names, then optionally a slash and more (no spaces, no placeholders).
PATH_TOKEN = re.compile(r"`([A-Za-z0-9_.][A-Za-z0-9_./-]*)`")
DOCS_WITH_PATHS = [
    REPO_ROOT / "README.md",
    REPO_ROOT / "tests" / "README.md",
    REPO_ROOT / "static" / "js" / "README.md",
    ARCHITECTURE,
    *sorted(
        path
        for path in (REPO_ROOT / "docs").glob("*.md")
        if path.name not in {"architecture.md", "format.md"}  # format.md is the spec's own business
    ),
]


def modules() -> Iterator[str]:
    for root in PYTHON_ROOTS:
        for path in sorted((REPO_ROOT / root).rglob("*.py")):
            if "__pycache__" not in path.parts:
                yield path.relative_to(REPO_ROOT).as_posix()
    yield "wsgi.py"
    for path in sorted(JS_ROOT.rglob("*.js")):
        if "vendor" not in path.relative_to(JS_ROOT).parts:
            yield path.relative_to(REPO_ROOT).as_posix()


def named_paths(doc: Path) -> set[str]:
    """Every backquoted token in `doc` that names something inside the checkout."""
    found = set()
    for token in PATH_TOKEN.findall(doc.read_text(encoding="utf-8")):
        token = token.rstrip(".")
        head = token.split("/")[0]
        if head in TOP_LEVEL and not token.startswith(NOT_IN_A_CHECKOUT):
            found.add(token)
    return found


def test_the_architecture_doc_names_every_module() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [module for module in modules() if f"`{module}`" not in text]
    assert missing == [], f"docs/architecture.md does not name these modules (add one line each): {missing}"


@pytest.mark.parametrize("doc", DOCS_WITH_PATHS, ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    # A README beside the code may name its neighbours relative to its own folder.
    gone = sorted(
        path for path in named_paths(doc) if not (REPO_ROOT / path).exists() and not (doc.parent / path).exists()
    )
    assert gone == [], f"{doc.relative_to(REPO_ROOT)} names paths that do not exist: {gone}"


def test_the_path_check_sees_paths_and_ignores_commands(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "`portal/store/db.py` `tests/nowhere/test_gone.py` `instance/candour.cfg` `python3 -m crypto` `/review/login`",
        encoding="utf-8",
    )
    assert named_paths(doc) == {"portal/store/db.py", "tests/nowhere/test_gone.py"}
