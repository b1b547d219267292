"""Test photos carrying a GPS position, author and owner names, comments and XMP,
made with Pillow, piexif and pillow-heif, for the server and browser strippers."""

from __future__ import annotations

import io
import struct
import zlib

import piexif
import pillow_heif
from PIL import Image, PngImagePlugin

# Lets Image.open read HEIC for the pixel and Exif checks.
pillow_heif.register_heif_opener()

AUTHOR = "Jane Reporter-Canary"
OWNER = "Owner Canary 4711"
PLACE = "Canary Street 12, Leeds"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="{AUTHOR}"/></rdf:RDF></x:xmpmeta>'
)
# Leeds, 53.8008 N, 1.5491 W, as Exif rationals.
GPS = {
    piexif.GPSIFD.GPSLatitudeRef: b"N",
    piexif.GPSIFD.GPSLatitude: ((53, 1), (48, 1), (300, 100)),
    piexif.GPSIFD.GPSLongitudeRef: b"W",
    piexif.GPSIFD.GPSLongitude: ((1, 1), (32, 1), (5676, 100)),
}
CANARIES = [AUTHOR.encode(), OWNER.encode(), PLACE.encode(), b"GPS", b"Exif\x00", b"ns.adobe.com"]


def _picture(size: tuple[int, int] = (64, 48)) -> Image.Image:
    image = Image.new("RGB", size)
    image.putdata([((x * 7) % 256, (y * 11) % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    return image


def _exif_bytes() -> bytes:
    return bytes(
        piexif.dump(
            {
                "0th": {piexif.ImageIFD.Artist: AUTHOR.encode(), piexif.ImageIFD.Make: b"PhoneMaker"},
                "Exif": {piexif.ExifIFD.CameraOwnerName: OWNER.encode(), piexif.ExifIFD.UserComment: PLACE.encode()},
                "GPS": GPS,
            }
        )
    )


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def photo_jpeg(progressive: bool = False) -> bytes:
    out = io.BytesIO()
    _picture().save(out, "JPEG", quality=90, exif=_exif_bytes(), progressive=progressive, comment=PLACE.encode())
    data = out.getvalue()
    # Add XMP (APP1) and IPTC (APP13) after SOI, as cameras and editors do, and an
    # appended second picture after EOI (as motion photos carry).
    xmp = _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP.encode())
    iptc = _segment(
        0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x14\x1c\x02\x50\x00\x10" + AUTHOR.encode()
    )
    trailer = b"\xff\xd8\xff\xe1" + _exif_bytes()
    return data[:2] + xmp + iptc + data[2:] + trailer


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def photo_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_text("Comment", PLACE, zip=True)  # zTXt
    info.add_itxt("XML:com.adobe.xmp", XMP)
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info, exif=_exif_bytes())
    data = out.getvalue()
    # A tIME chunk after IHDR (the 8-byte signature, then 25 bytes of IHDR).
    when = _png_chunk(b"tIME", struct.pack(">HBBBBB", 2026, 12, 1, 9, 30, 0))
    return data[:33] + when + data[33:] + b"trailing " + OWNER.encode()


def photo_webp() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "WEBP", lossless=True, exif=_exif_bytes(), xmp=XMP.encode())
    return out.getvalue()


def photo_heic() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "HEIF", quality=-1, exif=_exif_bytes(), xmp=XMP.encode())
    return out.getvalue()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()
