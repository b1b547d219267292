"""The baseline for bench/large_upload.py: a WSGI app that reads a request body in 64 KiB
blocks and throws it away. Served by the same gunicorn and config as the portal
(`gunicorn -c config/gunicorn.conf.py bench.support.bare_upload_app:app`); not part
of the portal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BLOCK = 64 * 1024


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    received = 0
    while remaining > 0:
        block = stream.read(min(BLOCK, remaining))
        if not block:
            break
        received += len(block)
        remaining -= len(block)
    body = f"{received}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
