"""Subresource Integrity for the portal's own scripts, computed from the files.

Every script the reporter's pages load carries `integrity="sha384-…"`. The hashes are
computed once, when the app starts, from the files in static/ (never copied by hand,
so they cannot drift from the code). `sri("js/report-page.js")` in a template gives
the value; a name that is not a hashed file is an error, not a missing attribute.
SRI here guards against a file changed in transit or on a cache between the app and
the browser; it cannot guard against a server that serves other code and other
hashes together (docs/threat-model.md, "The browser path").
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from flask import Flask

HASHED = ("js/*.js", "vendor/libsodium/*.js")


def integrity_of(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode("ascii")


def compute_hashes(static_folder: Path) -> dict[str, str]:
    hashes = {}
    for pattern in HASHED:
        for path in sorted(static_folder.glob(pattern)):
            hashes[path.relative_to(static_folder).as_posix()] = integrity_of(path)
    return hashes


def init_app(app: Flask) -> None:
    assert app.static_folder is not None  # noqa: S101 - create_app always sets it
    hashes = compute_hashes(Path(app.static_folder))

    def sri(filename: str) -> str:
        try:
            return hashes[filename]
        except KeyError:
            raise KeyError(f"no integrity hash for static/{filename}: only {', '.join(HASHED)} are hashed") from None

    app.add_template_global(sri, "sri")
