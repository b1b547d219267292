"""Small HTTP/1.1 clients for the server benchmarks: loopback only, bounded timeouts.

Multipart bodies are streamed (a 500 MB file is never held in memory) from a
fixed-seed block of bytes repeated, so the client spends almost no CPU making data.
"""

from __future__ import annotations

import http.client
import random
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

BOUNDARY = "----CandourBench7c1e9a"
PIECE = 256 * 1024
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def fixed_block(size: int = 8 * 1024 * 1024, seed: int = 500) -> bytes:
    """`size` fixed-seed pseudo-random bytes (the same in every run)."""
    return random.Random(seed).randbytes(size)  # noqa: S311 - test data, not secrets


def _connection(base_url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise ValueError(f"benchmarks only talk to loopback, not {parts.hostname}")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


@dataclass
class Reply:
    status: int
    body: bytes
    cookies: dict[str, str]
    seconds: float


def get(base_url: str, path: str, cookies: dict[str, str] | None = None, timeout: float = 60) -> Reply:
    conn = _connection(base_url, timeout)
    start = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Cookie": cookie_header(cookies)} if cookies else {})
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, body, _cookies(response), time.perf_counter() - start)
    finally:
        conn.close()


def csrf_session(base_url: str, path: str = "/report") -> tuple[str, dict[str, str]]:
    """GET a form page: its CSRF token and the session cookie that goes with it."""
    reply = get(base_url, path)
    match = _CSRF.search(reply.body.decode())
    if reply.status != 200 or not match:
        raise RuntimeError(f"GET {path} gave {reply.status} without a CSRF token")
    return match.group(1), reply.cookies


def post_form(base_url: str, path: str, fields: dict[str, str], cookies: dict[str, str], timeout: float = 120) -> Reply:
    conn = _connection(base_url, timeout)
    start = time.perf_counter()
    try:
        conn.request(
            "POST",
            path,
            body=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(cookies)},
        )
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, body, _cookies(response), time.perf_counter() - start)
    finally:
        conn.close()


def _field(name: str, value: str) -> bytes:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"


def _file_header(name: str, filename: str, content_type: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()


def multipart_prefix(fields: Sequence[tuple[str, str]], file_field: str, filename: str, content_type: str) -> bytes:
    return b"".join(_field(name, value) for name, value in fields) + _file_header(file_field, filename, content_type)


def multipart_suffix() -> bytes:
    return f"\r\n--{BOUNDARY}--\r\n".encode()


def repeated(block: bytes, size: int) -> Iterator[memoryview]:
    """`size` bytes of `block` repeated, in PIECE-sized views."""
    view = memoryview(block)
    sent = 0
    while sent < size:
        offset = sent % len(block)
        take = min(PIECE, size - sent, len(block) - offset)
        yield view[offset : offset + take]
        sent += take


def post_file(
    base_url: str,
    path: str,
    fields: Sequence[tuple[str, str]],
    cookies: dict[str, str],
    *,
    file_field: str,
    size: int,
    block: bytes,
    filename: str = "big.bin",
    timeout: float = 900,
) -> Reply:
    """Stream a multipart form whose last part is a `size`-byte file; `seconds` runs from
    the first byte sent to the response read."""
    prefix = multipart_prefix(fields, file_field, filename, "application/octet-stream")
    suffix = multipart_suffix()
    conn = _connection(base_url, timeout)
    start = time.perf_counter()
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
        conn.putheader("Content-Length", str(len(prefix) + size + len(suffix)))
        conn.putheader("Cookie", cookie_header(cookies))
        conn.endheaders()
        conn.send(prefix)
        for piece in repeated(block, size):
            conn.send(piece)
        conn.send(suffix)
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, body, _cookies(response), time.perf_counter() - start)
    finally:
        conn.close()


def multipart_body(parts: Sequence[tuple[str, str | tuple[str, bytes, str]]]) -> tuple[bytes, str]:
    """A whole multipart body in memory (small submissions): text fields and files in order."""
    out = bytearray()
    for name, value in parts:
        if isinstance(value, tuple):
            filename, content, content_type = value
            out += _file_header(name, filename, content_type) + content + b"\r\n"
        else:
            out += _field(name, value)
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={BOUNDARY}"
