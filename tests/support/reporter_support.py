"""Helpers for the reporter tests: real reviewer keys, browser-shaped multipart bodies,
and reading back what the portal stored."""

from __future__ import annotations

import os
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


# --- talking to a real gunicorn -------------------------------------------------------


def http_get(base_url: str, path: str, cookies: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """GET with http.client; returns (status, {cookie name: value} set, body text)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        headers = {"Cookie": cookie_header(cookies)} if cookies else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, set_cookies(response.headers.get_all("Set-Cookie") or []), response.read().decode()
    finally:
        conn.close()


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def set_cookies(headers: list[str]) -> dict[str, str]:
    found = {}
    for header in headers:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def http_post_form(
    base_url: str, path: str, fields: dict[str, str], cookies: dict[str, str]
) -> tuple[int, dict[str, str], str, str]:
    """POST application/x-www-form-urlencoded; returns (status, cookies set, Location, body)."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        conn.request(
            "POST",
            path,
            body=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(cookies)},
        )
        response = conn.getresponse()
        return (
            response.status,
            set_cookies(response.headers.get_all("Set-Cookie") or []),
            response.headers.get("Location", ""),
            response.read().decode(),
        )
    finally:
        conn.close()


def http_post_multipart(
    base_url: str,
    path: str,
    fields: Sequence[Any],
    cookies: dict[str, str],
    *,
    piece: int = 256 * 1024,
    halfway: Any = None,
) -> tuple[int, str, float]:
    """Stream a multipart body with http.client in pieces, as a browser uploads.
    `halfway()` runs once half the body is sent (the upload is then in flight).
    Returns (status, body text, seconds taken)."""
    import http.client
    import time
    from urllib.parse import urlsplit

    body, content_type = multipart(fields)
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    started = time.monotonic()
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Cookie", cookie_header(cookies))
        conn.endheaders()
        view = memoryview(body)
        half = len(body) // 2
        called = False
        for offset in range(0, len(body), piece):
            conn.send(view[offset : offset + piece])
            if halfway is not None and not called and offset + piece >= half:
                called = True
                halfway()
        response = conn.getresponse()
        text = response.read().decode()
        return response.status, text, time.monotonic() - started
    finally:
        conn.close()


def worker_pids(master_pid: int) -> list[int]:
    """gunicorn's worker processes: the children of its master."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent pid; the command name (field 2) may contain spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
            children.append(int(entry.name))
    return children


def open_file_targets(pid: int) -> list[str]:
    targets = []
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return targets
    for entry in entries:
        try:
            targets.append(os.readlink(entry))
        except OSError:
            continue
    return targets


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")
