"""static/js/scrub-metadata.js, run by Node on the same photos: JPEG, PNG, WebP and
HEIC lose their GPS positions, names, comments and XMP, decode to the same pixels,
and JPEG and PNG come out byte for byte as the server's stripper makes them."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.support.scrub_photos import AUTHOR, CANARIES, photo_heic, photo_jpeg, photo_png, photo_webp, pixels

from portal.scrub import Scrubber

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE = (REPO_ROOT / "static" / "js" / "scrub-metadata.js").as_uri()
RUNNER = f"""
import {{ readFileSync, writeFileSync }} from "node:fs";
import {{ scrubMetadata, ScrubError }} from "{MODULE}";
const results = {{}};
for (const path of JSON.parse(process.argv[1])) {{
  try {{
    const {{ kind, bytes, removed }} = scrubMetadata(new Uint8Array(readFileSync(path)));
    writeFileSync(path + ".clean", bytes);
    results[path] = {{ kind, removed }};
  }} catch (error) {{
    results[path] = {{ error: error instanceof ScrubError ? error.message : String(error) }};
  }}
}}
console.log(JSON.stringify(results));
"""


def _node(paths: list[Path]) -> dict[str, dict[str, object]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--input-type=module", "-e", RUNNER, json.dumps([str(p) for p in paths])],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    )
    parsed: dict[str, dict[str, object]] = json.loads(result.stdout)
    return parsed


PHOTOS = {"jpeg": photo_jpeg, "png": photo_png, "webp": photo_webp, "heic": photo_heic}


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes, dict[str, object]]]:
    folder = tmp_path_factory.mktemp("photos")
    paths = {}
    for kind, make in PHOTOS.items():
        # Names that say nothing of the kind: detection is by content.
        paths[kind] = folder / f"upload-{len(paths)}.bin"
        paths[kind].write_bytes(make())
    results = _node(list(paths.values()))
    return {
        kind: (path.read_bytes(), Path(str(path) + ".clean").read_bytes(), results[str(path)])
        for kind, path in paths.items()
    }


@pytest.mark.parametrize("kind", sorted(PHOTOS))
def test_photo_carries_the_data_before(kind: str, cleaned: dict[str, tuple[bytes, bytes, dict[str, object]]]) -> None:
    original, _clean, _result = cleaned[kind]
    assert AUTHOR.encode() in original
    with Image.open(io.BytesIO(original)) as image:
        exif = image.getexif()
        assert 0x8825 in exif  # the GPS directory a reviewer could map
        assert exif.get(0x013B) == AUTHOR  # Artist


@pytest.mark.parametrize("kind", sorted(PHOTOS))
def test_browser_stripper_removes_the_hidden_data(
    kind: str, cleaned: dict[str, tuple[bytes, bytes, dict[str, object]]]
) -> None:
    original, clean, result = cleaned[kind]
    assert result.get("kind") == kind, result
    assert result.get("removed"), result
    for canary in CANARIES[:3]:
        assert canary not in clean, canary
    assert b"GPS" not in clean or kind == "heic"
    assert pixels(clean) == pixels(original)
    with Image.open(io.BytesIO(clean)) as image:
        exif = image.getexif()
        assert 0x8825 not in exif  # no GPS IFD
        assert 0x013B not in exif  # no Artist


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_browser_and_server_strippers_agree(
    kind: str, cleaned: dict[str, tuple[bytes, bytes, dict[str, object]]]
) -> None:
    original, clean, result = cleaned[kind]
    scrubber = Scrubber("auto")
    server = scrubber.feed(original) + scrubber.finish()
    assert clean == server
    assert result["removed"] == scrubber.removed


def test_webp_flags_no_longer_announce_exif_or_xmp(cleaned: dict[str, tuple[bytes, bytes, dict[str, object]]]) -> None:
    _original, clean, result = cleaned["webp"]
    assert b"EXIF" not in clean and b"XMP " not in clean
    vp8x = clean.index(b"VP8X")
    assert clean[vp8x + 8] & 0x0C == 0
    assert int.from_bytes(clean[4:8], "little") == len(clean) - 8
    assert set(result["removed"]) == {"Exif (EXIF chunk)", "XMP (XMP chunk)"}  # type: ignore[arg-type]


def test_heic_keeps_its_size_and_blanks_only_the_metadata(
    cleaned: dict[str, tuple[bytes, bytes, dict[str, object]]],
) -> None:
    original, clean, result = cleaned["heic"]
    assert len(clean) == len(original)
    changed = [i for i, (a, b) in enumerate(zip(original, clean, strict=True)) if a != b]
    # Only the two items' bytes changed: into an empty Exif block, zeros and spaces.
    assert changed and all(clean[i] in b"\x00\x06Exif*\x08II " for i in changed)
    assert set(result["removed"]) == {"Exif (HEIC item)", "XMP (HEIC item)"}  # type: ignore[arg-type]


def test_other_files_and_broken_photos(tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(1000))
    broken = tmp_path / "b.jpg"
    broken.write_bytes(photo_jpeg()[:40])
    results = _node([pdf, broken])
    assert results[str(pdf)] == {"kind": "other", "removed": []}
    assert Path(str(pdf) + ".clean").read_bytes() == pdf.read_bytes()
    assert "ends in the middle" in str(results[str(broken)]["error"])
