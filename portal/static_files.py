"""Static files: precompressed (Brotli and gzip) and cached for a year under a
content-hashed path, served by WhiteNoise in front of the app.

Over Tor every kilobyte costs: the report page's libsodium alone is 1.2 MB as it
is, 0.26 MB with Brotli. At start-up the static folder is copied once into a cache
folder named after a hash of its contents, with a `.br` and a `.gz` beside every
file that compresses; WhiteNoise then answers each request from memory-mapped files
with the encoding the browser's Accept-Encoding allows, and `Vary: Accept-Encoding`.

URLs: `url_for('static', …)` gives `/static/v/<tree hash>/js/report-page.js`. The
hash covers every file, so one changed byte anywhere gives every file a new URL:
those URLs never change content and are cached `immutable` for a year, while the
ES modules' relative imports (`./candour-crypto.js`) stay inside the same version.
The plain `/static/…` paths keep working with a one-minute cache. Subresource
Integrity is untouched: the bytes served are the files' own (a compressed copy is
decoded by the browser before the hash is checked).

The cache folder is STATIC_CACHE_DIR, else <repository>/.cache/static when writable
(shared by every instance and test run of this checkout), else
<instance>/static-cache. If none is writable the files are served uncompressed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from wsgiref.headers import Headers

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from portal.instance import REPO_ROOT
from portal.security import PAGE_CONTENT_SECURITY_POLICY, SECURITY_HEADERS

log = logging.getLogger(__name__)

STATIC_ROOT = REPO_ROOT / "static"
VERSIONED_PREFIX = "/static/v/"
ONE_YEAR = 365 * 24 * 3600
# Archives and images are compressed already; the vendored .tgz sources are served
# only for provenance.
NOT_COMPRESSED = ("tgz", "gz", "br", "zip", "png", "jpg", "jpeg", "webp", "woff2")


def tree_hash(root: Path = STATIC_ROOT) -> str:
    """16 hex digits over every file's path and contents, in a fixed order."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        relative = path.relative_to(root).as_posix().encode("utf-8")
        digest.update(len(relative).to_bytes(4, "big") + relative)
        digest.update(hashlib.blake2b(path.read_bytes(), digest_size=32).digest())
    return digest.hexdigest()


def url_path(root: Path = STATIC_ROOT) -> str:
    """The static URL path for create_app's `static_url_path`."""
    return VERSIONED_PREFIX + tree_hash(root)


def _candidate_cache_dirs(app: Flask) -> list[Path]:
    configured = app.config.get("STATIC_CACHE_DIR")
    if configured:
        return [Path(configured)]
    return [REPO_ROOT / ".cache" / "static", Path(app.instance_path) / "static-cache"]


def build_compressed_copy(root: Path, cache_dir: Path, version: str) -> Path:
    """<cache_dir>/<version>: a copy of `root` with .br/.gz files, made once.

    Built in a temporary folder and renamed into place, so workers starting together
    never serve a half-built copy; the loser of a race discards its own.
    """
    target = cache_dir / version
    if (target / ".complete").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=cache_dir))
    try:
        shutil.copytree(root, building, dirs_exist_ok=True)
        compressor = Compressor(extensions=NOT_COMPRESSED, use_gzip=True, use_brotli=True, quiet=True)
        for path in sorted(p for p in building.rglob("*") if p.is_file()):
            if compressor.should_compress(path.name):
                for _written in compressor.compress(str(path)):
                    pass
        (building / ".complete").write_text(version + "\n", encoding="ascii")
        try:
            os.rename(building, target)
        except OSError:
            if not (target / ".complete").is_file():
                raise
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    for old in cache_dir.iterdir():
        # Earlier versions of this checkout's static files are never asked for again.
        if old.is_dir() and old.name != version and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return target


def _add_security_headers(headers: Headers, path: str, url: str) -> None:
    # The same headers every page gets (nosniff above all), which Flask's
    # after_request never sees for files WhiteNoise answers.
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    # A file is no page that loads libsodium: it gets the policy without wasm-unsafe-eval.
    headers["Content-Security-Policy"] = PAGE_CONTENT_SECURITY_POLICY


def init_app(app: Flask) -> None:
    assert app.static_folder is not None  # noqa: S101 - create_app always sets it
    root = Path(app.static_folder)
    version = tree_hash(root)
    served = root
    for cache_dir in _candidate_cache_dirs(app):
        try:
            served = build_compressed_copy(root, cache_dir, version)
            break
        except OSError as error:
            log.warning("Static files not precompressed in %s (%s); trying the next place.", cache_dir, error.strerror)
    else:
        log.warning("Static files are served uncompressed: no writable cache folder (set STATIC_CACHE_DIR).")
    versioned = f"{VERSIONED_PREFIX}{version}/"
    whitenoise = WhiteNoise(
        app.wsgi_app,
        max_age=60,
        allow_all_origins=False,
        add_headers_function=_add_security_headers,
        immutable_file_test=lambda _path, url: url.startswith(versioned),
    )
    # WhiteNoise gives immutable files max-age=315360000 (ten years); a year is the
    # longest lifetime RFC 9111 suggests for a response that never changes.
    whitenoise.FOREVER = ONE_YEAR
    whitenoise.add_files(str(served), prefix=versioned)
    whitenoise.add_files(str(served), prefix="/static/")
    # Files browsers ask for at the site's root whatever the page says (favicon.ico).
    whitenoise.add_files(str(served / "root"), prefix="/")
    app.wsgi_app = whitenoise  # type: ignore[method-assign]
