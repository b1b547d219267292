"""Helpers for the reporter tests: real reviewer keys, browser-shaped multipart bodies,
and reading back what the portal stored."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from crypto.identity import ReviewerKeys, generate_reviewer_keys
from crypto.submission import OpenedSubmission, ReporterPublic, open_submission
from portal import create_app
from portal.store import cases as case_store
from portal.store.blobs import blob_path
from portal.store.db import connect
from portal.store.reviewers import find_reviewer

BOUNDARY = "----CandourReporterTest9f8e7d6c5b4a"

Field = tuple[str, str] | tuple[str, tuple[str, bytes]] | tuple[str, tuple[str, bytes, str]]


def add_reviewer_with_keys(instance: Path, name: str, role: str, required: bool = False) -> ReviewerKeys:
    """Like conftest's add_reviewer, but returns the private keys (the round trips open
    what the portal sealed)."""
    keys = generate_reviewer_keys(name)
    pubfile = instance.parent / f"{name.replace(' ', '_')}.pub"
    pubfile.write_text(keys.public.to_line() + "\n", encoding="utf-8")
    args = ["reviewer", "add", str(pubfile), "--name", name, "--role", role]
    if required:
        args.append("--required")
    result = create_app(str(instance)).test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return keys


def multipart(fields: Sequence[Any], boundary: str = BOUNDARY) -> tuple[bytes, str]:
    """Encode fields in the given order the way browsers do. A file is
    (name, (filename, content)) or (name, (filename, content, content_type))."""
    out = bytearray()
    for name, value in fields:
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, tuple):
            filename, content = value[0], value[1]
            content_type = value[2] if len(value) > 2 else "application/octet-stream"
            out += f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
            out += f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SEALED = re.compile(r'name="sealed" value="([^"]+)"')
_WORDS = re.compile(r'<ol class="codename">(.*?)</ol>', re.S)


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def codename_from(html: str) -> str:
    match = _WORDS.search(html)
    assert match, "no codename on the page"
    return " ".join(re.findall(r"<li>([a-z]+)</li>", match.group(1)))


def sealed_token(html: str) -> str:
    match = _SEALED.search(html)
    assert match, "no sealed confirmation token"
    return match.group(1)


def report_fields(
    token: str,
    *,
    what: str = "Something happened at the branch meeting.",
    reviewers: Sequence[str] = (),
    files: Sequence[tuple[str, bytes]] = (),
    extra: dict[str, str] | None = None,
) -> list[Any]:
    fields: list[Any] = [
        ("csrf_token", token),
        ("category", "bullying"),
        ("what", what),
        ("when", "Last spring"),
        ("where", "Regional office"),
        ("who", "The branch secretary"),
        ("outcome", "An investigation"),
        ("website", ""),
    ]
    for key, value in (extra or {}).items():
        fields.append((key, value))
    for key_id in reviewers:
        fields.append(("reviewer", key_id))
    if files:
        fields.extend(("attachments", file) for file in files)
    else:
        fields.append(("attachments", ("", b"")))
    return fields


def db_counts(instance: Path) -> dict[str, int]:
    with closing(connect(instance)) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            for table in ("cases", "submissions", "parts", "case_reviewers", "status_events")
        }


def blob_files(instance: Path) -> list[Path]:
    """Every file under blobs/, temporary ones included."""
    return sorted(path for path in (instance / "blobs").rglob("*") if path.is_file())


def open_stored_submission(
    instance: Path,
    submission_id: str,
    keys: ReviewerKeys,
    *,
    expected_case: str | None = None,
    expected_reporter: ReporterPublic | None = None,
) -> OpenedSubmission:
    with closing(connect(instance)) as conn:
        parts = case_store.list_parts(conn, submission_id)
    return open_submission(
        {part.index: blob_path(instance, part.blob).read_bytes() for part in parts},
        keys,
        expected_case=expected_case,
        expected_reporter=expected_reporter,
    )


def reviewer_row_id(instance: Path, key_id_hex: str) -> int:
    with closing(connect(instance)) as conn:
        return find_reviewer(conn, key_id_hex).id
