"""Writing an export bundle (the portal), streaming, checked exactly as a reader will check it."""

import os
import zipfile
from collections.abc import Mapping
from typing import Any, BinaryIO

from ..envelope import (
    new_submission_id,
    seal_bytes,
)
from ..errors import BundleError
from ..identity import PublicIdentity
from ..strict_json import dumps_compact, is_day
from .manifest import parse_manifest
from .schema import (
    BUNDLE_FORMAT,
    BUNDLE_JSON,
    BUNDLE_VERSION,
    COPY_BLOCK,
    MANIFEST_MEMBER,
    MAX_MANIFEST_BYTES,
    MEMBER_NAME,
    manifest_json_reader,
)

# --- writing ---------------------------------------------------------------------------------


def _zip_time(day: str) -> tuple[int, int, int, int, int, int]:
    # Members carry the export day at midnight: nothing finer leaves the server.
    year, month, date = (int(piece) for piece in day.split("-"))
    return (max(year, 1980), month, date, 0, 0, 0)


def _remaining_size(source: BinaryIO) -> int | None:
    try:
        if not source.seekable():
            return None
        position = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(position)
        return end - position
    except (AttributeError, OSError, ValueError):
        return None


class BundleWriter:
    """Streams an export bundle into `sink` (seekable or not: a response stream works).

    Usage: `writer = BundleWriter(sink, reviewer.public, day)`; `writer.add_member(name,
    blob_file)` for every part and reply; `writer.finish(bundle_manifest(...))`. The
    caller owns and closes `sink`. If anything raises, discard what was written.

    State is needed here: the open ZIP and the set of members written so far.
    """

    def __init__(self, sink: BinaryIO, exporting_reviewer: PublicIdentity, day: str) -> None:
        if not is_day(day):
            raise BundleError(f"the export day must be written YYYY-MM-DD, not {day!r}")
        self._reviewer = exporting_reviewer
        self._day = day
        self._members: list[str] = []
        self._names: set[str] = set()
        self._finished = False
        self._zip = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._write_small(
            BUNDLE_JSON,
            dumps_compact(
                {
                    "format": BUNDLE_FORMAT,
                    "version": BUNDLE_VERSION,
                    "reviewer_key_id": exporting_reviewer.key_id.hex(),
                    "day": day,
                }
            ),
        )

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_zip_time(self._day))
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        return info

    def _write_small(self, name: str, data: bytes) -> None:
        self._zip.writestr(self._info(name), data)

    def add_member(self, name: str, source: BinaryIO) -> int:
        """Copy an envelope from `source` (e.g. an open blob file) into the bundle as `name`.

        `name` must be a part or reply member name (`member_name_for_part`,
        `member_name_for_reply`) not already added. Streams in 1 MiB blocks; members
        over 4 GiB use ZIP64. Returns the number of bytes copied.
        """
        if self._finished:
            raise BundleError("the bundle is already finished")
        if not isinstance(name, str) or not MEMBER_NAME.fullmatch(name):
            raise BundleError(f"{name!r} is not a valid bundle member name")
        if name in self._names:
            raise BundleError(f"the member {name} was already added")
        info = self._info(name)
        size = _remaining_size(source)
        if size is not None:
            info.file_size = size
        copied = 0
        with self._zip.open(info, "w", force_zip64=size is None) as target:
            while block := source.read(COPY_BLOCK):
                target.write(block)
                copied += len(block)
        self._names.add(name)
        self._members.append(name)
        return copied

    def finish(self, manifest: Mapping[str, Any]) -> None:
        """Check the manifest exactly as a reader will, seal it to the exporting reviewer, close the ZIP.

        Raises `BundleError` if the manifest is malformed, is for another reviewer or
        day, lists a member that was not added, or misses one that was.
        """
        if self._finished:
            raise BundleError("the bundle is already finished")
        try:
            encoded = dumps_compact(manifest)
        except (TypeError, ValueError) as exc:
            raise BundleError(f"the manifest cannot be written as JSON: {exc}") from exc
        if len(encoded) > MAX_MANIFEST_BYTES:
            raise BundleError("the manifest is larger than 512 MiB: export fewer cases at a time")
        parsed = parse_manifest(manifest_json_reader.loads(encoded), self._members)
        if parsed.reviewer_key_id != self._reviewer.key_id or parsed.day != self._day:
            raise BundleError("the manifest names another reviewer or day than the bundle")
        sealed = seal_bytes(encoded, [self._reviewer], new_submission_id(), 0)
        self._write_small(MANIFEST_MEMBER, sealed)
        self._zip.close()
        self._finished = True
