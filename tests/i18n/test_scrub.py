"""Hidden data removed from real photos (made with Pillow and piexif): GPS positions,
author and owner names, comments and XMP are gone, the decoded pixels are the same,
and the result does not depend on how the upload was split into chunks."""

from __future__ import annotations

import io
from collections.abc import Iterable

import piexif
import pytest
from PIL import Image

from tests.support.scrub_photos import CANARIES, _exif_bytes, _picture, _png_chunk, photo_jpeg, photo_png

from portal.scrub import Scrubber, ScrubError, detect_kind


def _scrub(data: bytes, chunk: int, kind: str = "auto") -> tuple[bytes, Scrubber]:
    scrubber = Scrubber(kind)
    out = b"".join(scrubber.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)) + scrubber.finish()
    return out, scrubber


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


def _assert_clean(data: bytes) -> None:
    for canary in CANARIES:
        assert canary not in data, canary
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert "exif" not in image.info and "comment" not in image.info and "xmp" not in image.info
        assert not image.getexif()
        assert not any(key in image.info for key in ("Author", "Comment", "XML:com.adobe.xmp"))


CHUNK_SIZES = (1, 3, 7, 64, 4096, 1 << 20)


def test_the_test_photos_really_carry_the_data() -> None:
    for data in (photo_jpeg(), photo_png()):
        assert all(canary in data for canary in CANARIES[:3])
    with Image.open(io.BytesIO(photo_jpeg())) as image:
        gps = image.getexif().get_ifd(0x8825)
        assert gps[2] == (53.0, 48.0, 3.0)  # the latitude a reviewer could map
    assert piexif.load(photo_jpeg())["GPS"][piexif.GPSIFD.GPSLatitudeRef] == b"N"


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("chunk", CHUNK_SIZES)
def test_jpeg_loses_its_metadata_and_keeps_its_pixels(chunk: int, progressive: bool) -> None:
    original = photo_jpeg(progressive)
    cleaned, scrubber = _scrub(original, chunk)
    assert scrubber.kind == "jpeg"
    _assert_clean(cleaned)
    assert _pixels(cleaned) == _pixels(original)
    assert piexif.load(cleaned)["GPS"] == {}
    assert cleaned.endswith(b"\xff\xd9")
    assert {"Exif (APP1)", "XMP (APP1)", "IPTC / Photoshop data (APP13)", "comment (COM)"} <= set(scrubber.removed)
    assert "data after the end of the image" in scrubber.removed


@pytest.mark.parametrize("chunk", CHUNK_SIZES)
def test_png_loses_its_metadata_and_keeps_its_pixels(chunk: int) -> None:
    original = photo_png()
    cleaned, scrubber = _scrub(original, chunk)
    assert scrubber.kind == "png"
    _assert_clean(cleaned)
    assert _pixels(cleaned) == _pixels(original)
    assert cleaned.endswith(_png_chunk(b"IEND", b""))
    assert {"text (tEXt)", "compressed text (zTXt)", "international text or XMP (iTXt)", "Exif (eXIf)"} <= set(
        scrubber.removed
    )
    assert "modification time (tIME)" in scrubber.removed


def test_image_bytes_are_copied_exactly() -> None:
    # Lossless: the cleaned JPEG is the original minus whole segments, nothing re-encoded.
    original = photo_jpeg()
    cleaned, _ = _scrub(original, 4096)
    position = 0
    for byte in cleaned:
        position = original.index(bytes([byte]), position) + 1
    scan = original.index(b"\xff\xda")
    assert original[scan : original.index(b"\xff\xd9", scan) + 2] in cleaned


def test_colour_profile_and_jfif_are_kept() -> None:
    out = io.BytesIO()
    icc = b"\x00\x00\x02\x0cfakeprofile" + bytes(500)
    _picture().save(out, "JPEG", icc_profile=icc, exif=_exif_bytes())
    cleaned, _ = _scrub(out.getvalue(), 100)
    assert b"ICC_PROFILE\x00" in cleaned and icc in cleaned
    assert b"JFIF\x00" in cleaned
    _assert_clean(cleaned)


def test_other_files_pass_through_unchanged() -> None:
    for data in (b"%PDF-1.7\n" + bytes(range(256)) * 40, b"PK\x03\x04 office file", b"tiny", b""):
        cleaned, scrubber = _scrub(data, 5)
        assert cleaned == data
        assert scrubber.kind == "other" and scrubber.removed == []


def test_a_renamed_photo_is_still_cleaned() -> None:
    # Detection is by content: the name "notes.txt" or a wrong type changes nothing.
    assert detect_kind(photo_jpeg()[:8]) == "jpeg"
    assert detect_kind(photo_png()[:8]) == "png"


def test_explicit_kind_refuses_a_file_of_another_kind() -> None:
    with pytest.raises(ScrubError, match="not a JPEG"):
        _scrub(photo_png(), 50, kind="jpeg")
    with pytest.raises(ScrubError, match="not a PNG"):
        _scrub(photo_jpeg(), 50, kind="png")


def _cut(data: bytes, at: int) -> Iterable[bytes]:
    yield data[:at]


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_a_file_cut_inside_its_metadata_is_refused(kind: str) -> None:
    data = photo_jpeg() if kind == "jpeg" else photo_png()
    marker = data.index(b"Exif\x00" if kind == "jpeg" else b"tEXt")
    scrubber = Scrubber("auto")
    out = b"".join(scrubber.feed(part) for part in _cut(data, marker + 10))
    with pytest.raises(ScrubError, match="ends in the middle"):
        scrubber.finish()
    for canary in CANARIES[:3]:
        assert canary not in out


def test_broken_segment_lengths_are_refused() -> None:
    data = bytearray(photo_jpeg())
    data[4:6] = b"\x00\x01"  # the first segment's length below its own size
    with pytest.raises(ScrubError, match="too short"):
        _scrub(bytes(data), 4096)
    png = bytearray(photo_png())
    png[12:16] = b"\x00\x01\x02\x03"  # IHDR's type is no longer letters
    with pytest.raises(ScrubError, match="chunk header"):
        _scrub(bytes(png), 4096)


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Scrubber("gif")
