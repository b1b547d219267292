"""Static files precompressed and chosen by Accept-Encoding (WhiteNoise), cached for
a year under the content-hashed path, with SRI still matching the decoded bytes."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path
from typing import Any

import brotli
from flask import Flask
from flask.testing import FlaskClient

from portal.static_files import build_compressed_copy, tree_hash

REPO_ROOT = Path(__file__).resolve().parents[2]
SODIUM = "vendor/libsodium/libsodium-sumo.js"


def _page_assets(client: FlaskClient, path: str) -> list[tuple[str, str | None]]:
    html = client.get(path).get_data(as_text=True)
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    assets = []
    for tag in tags:
        url = re.search(r'(?:src|href)="([^"]+)"', tag)
        if url and url.group(1).startswith("/static/"):
            integrity = re.search(r'integrity="([^"]+)"', tag)
            assets.append((url.group(1), integrity.group(1) if integrity else None))
    return assets


def test_page_assets_are_versioned_and_cached_for_a_year(app: Flask, instance_dir: Path, add_reviewer: Any) -> None:
    add_reviewer(instance_dir, "Asha", "Equality officer")
    client = app.test_client()
    version = tree_hash(REPO_ROOT / "static")
    assets = _page_assets(client, "/report")
    assert len(assets) >= 8
    for url, _integrity in assets:
        assert url.startswith(f"/static/v/{version}/"), url
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "max-age=31536000, public, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Access-Control-Allow-Origin" not in response.headers


def test_encoding_follows_accept_encoding_and_sri_still_matches(client: FlaskClient) -> None:
    version = tree_hash(REPO_ROOT / "static")
    url = f"/static/v/{version}/{SODIUM}"
    original = (REPO_ROOT / "static" / SODIUM).read_bytes()
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(original).digest()).decode()

    as_br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert as_br.headers["Content-Encoding"] == "br"
    assert as_br.headers["Vary"] == "Accept-Encoding"
    assert brotli.decompress(as_br.data) == original
    assert len(as_br.data) < len(original) // 3

    as_gzip = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.data) == original

    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.data == original
    # What the browser checks SRI against: the decoded bytes, the file's own.
    for body in (brotli.decompress(as_br.data), gzip.decompress(as_gzip.data), plain.data):
        assert "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode() == integrity


def test_plain_static_paths_still_work_with_a_short_cache(client: FlaskClient) -> None:
    response = client.get("/static/css/candour.css", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == "max-age=60, public"


def test_a_changed_file_changes_the_version(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "js").mkdir(parents=True)
    (root / "js" / "a.js").write_text("export const a = 1;\n" * 200)
    before = tree_hash(root)
    built = build_compressed_copy(root, tmp_path / "cache", before)
    assert (built / "js" / "a.js.br").is_file() and (built / "js" / "a.js.gz").is_file()
    assert build_compressed_copy(root, tmp_path / "cache", before) == built  # made once
    (root / "js" / "a.js").write_text("export const a = 2;\n" * 200)
    after = tree_hash(root)
    assert after != before
    rebuilt = build_compressed_copy(root, tmp_path / "cache", after)
    assert rebuilt.name == after
    assert not built.exists()  # the old version is cleared away


def test_favicon_is_served_at_the_root(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an .ico file
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/no-such-file.ico").status_code == 404


def test_without_a_writable_cache_files_are_served_uncompressed(instance_dir: Path, tmp_path: Path) -> None:
    from portal import create_app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    app = create_app(str(instance_dir), overrides={"TESTING": True, "STATIC_CACHE_DIR": str(blocker / "cache")})
    client = app.test_client()
    response = client.get("/static/css/candour.css", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.data == (REPO_ROOT / "static" / "css" / "candour.css").read_bytes()
