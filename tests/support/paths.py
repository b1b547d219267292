"""Where things are in the checkout, for tests that run commands or read files by path."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTS = REPO_ROOT / "tests"
