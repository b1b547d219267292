"""The workspace side keeps to its layers: SQL only in portal/store/, CLI code only in
portal/cli/, and the audited actions in portal/actions/ (issue 10). The reporter side
(portal/reporter/) is checked by the project-wide layering test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

PORTAL = REPO_ROOT / "portal"
WORKSPACE = [
    *sorted((PORTAL / "admin").glob("*.py")),
    *sorted((PORTAL / "reviewer").glob("*.py")),
    *sorted((PORTAL / "auth").glob("*.py")),
    *sorted((PORTAL / "actions").glob("*.py")),
    *sorted((PORTAL / "cli").glob("*.py")),
    *sorted((PORTAL / "notify").glob("*.py")),
    PORTAL / "audit.py",
    PORTAL / "retention.py",
    PORTAL / "backup.py",
    PORTAL / "instance.py",
    PORTAL / "logsafety.py",
    PORTAL / "__init__.py",
]


@pytest.mark.parametrize("path", WORKSPACE, ids=lambda p: str(p.relative_to(PORTAL)))
def test_no_sql_outside_the_store(path: Path) -> None:
    assert not re.search(r"\.execute(many|script)?\(", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [p for p in WORKSPACE if p.parent.name != "cli"], ids=lambda p: p.name)
def test_no_command_line_code_outside_portal_cli(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "import click" not in text and "AppGroup" not in text and "from portal.cli" not in text


def test_no_module_of_the_workspace_is_over_400_lines() -> None:
    reporter_side = {"cases.py", "blobs.py", "group_commit.py", "recovery.py"}
    store = [p for p in (PORTAL / "store").glob("*.py") if p.name not in reporter_side]
    long = {str(p.relative_to(PORTAL)): n for p in WORKSPACE + store if (n := len(p.read_text().splitlines())) > 400}
    assert not long
