"""Hidden data removed from photos while they stream, before they are sealed.

Pure functions over chunks of bytes: no files, no temporary copies, nothing kept
beyond the few bytes of a header that straddles two chunks. The picture data is
copied byte for byte, so the decoded pixels are unchanged (lossless).

    scrubber = Scrubber("auto")          # or "jpeg", "png"
    for chunk in upload:
        seal(scrubber.feed(chunk))
    seal(scrubber.finish())
    scrubber.removed                     # e.g. ["Exif (APP1)", "comment (COM)"]

"auto" decides from the first bytes: a JPEG or PNG is cleaned, anything else passes
through unchanged (`scrubber.kind` is then "other"). A file that claims to be a
JPEG or PNG but breaks the format raises `ScrubError`; the caller decides whether
to refuse the file (what the no-JavaScript path should do, since the bytes already
emitted are only part of it).

What is removed: JPEG APP1 (Exif with GPS position, camera serial, owner and author
names, thumbnails; XMP), APP13 (Photoshop/IPTC: creator, location), COM comments,
the other application segments that carry maker data (APP3-APP12, APP15), the
multi-picture index (APP2 "MPF") and anything after the end-of-image marker
(appended second pictures, depth maps, motion-photo videos). Kept: JFIF (APP0), the
colour profile (APP2 ICC) and Adobe's colour transform (APP14), which decoding
needs. PNG tEXt, zTXt, iTXt (comments, author, XMP), eXIf (Exif) and tIME chunks
and anything after IEND are removed; every other chunk is kept.
"""

from __future__ import annotations

from portal.scrub.errors import ScrubError
from portal.scrub.jpeg import JpegScrubber
from portal.scrub.png import PngScrubber
from portal.scrub.stream import Scrubber, detect_kind

__all__ = ["JpegScrubber", "PngScrubber", "ScrubError", "Scrubber", "detect_kind"]
