"""One set of fsync helpers (issue #10): crypto/files.py is the only module that calls
os.fsync; the portal and the kit flush through its helpers, so the rule "a name appears
only once its data is on disk, and the directory entry before success is reported" is
written once."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.paths import REPO_ROOT

THE_HELPERS = REPO_ROOT / "crypto" / "files.py"
# `os.fsync(`, `os .fsync (`, and `from os import fsync` all count.
DIRECT_FSYNC = re.compile(r"\bos\s*\.\s*fsync\s*\(|\bfrom\s+os\s+import\b[^\n]*\bfsync\b")


def modules_calling_fsync_directly(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts or path == THE_HELPERS:
                continue
            if DIRECT_FSYNC.search(path.read_text(encoding="utf-8")):
                found.append(path.relative_to(REPO_ROOT).as_posix())
    return found


def test_only_crypto_files_calls_os_fsync() -> None:
    offenders = modules_calling_fsync_directly(REPO_ROOT / "portal", REPO_ROOT / "crypto")
    assert offenders == [], (
        f"these modules call os.fsync themselves: {offenders}; use crypto.files (fsync_handle, fsync_file, "
        "fsync_directory(strict=True) on the server, fsync_tree, write_atomically, write_new_file)"
    )


def test_the_check_sees_a_direct_call() -> None:
    # The check must be able to fail.
    assert DIRECT_FSYNC.search("import os\n\ndef save(fd):\n    os.fsync(fd)\n")
    assert DIRECT_FSYNC.search("from os import fsync, replace\n")
    assert not DIRECT_FSYNC.search("from crypto.files import fsync_handle\nfsync_handle(handle)\n")
