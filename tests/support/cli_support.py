"""Helpers shared by the reviewer-tool tests (imported by conftest.py and the test modules)."""

import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"


def assert_one_line_error(result: subprocess.CompletedProcess[str], *, status: int = 1, contains: str = "") -> None:
    """The CLI's contract for every failure: one `error:` line, no traceback, non-zero status."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert contains.lower() in lines[0].lower(), lines[0]
