"""Opening an export bundle on the air-gapped machine: everything structural checked before any member is read."""

import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from ..envelope import (
    KEY_ID_BYTES,
    Opener,
    open_envelope,
)
from ..errors import BundleError
from ..identity import PublicIdentity
from .manifest import parse_manifest
from .schema import (
    BUNDLE_FORMAT,
    BUNDLE_JSON,
    BUNDLE_VERSION,
    MANIFEST_MEMBER,
    MAX_BUNDLE_JSON_BYTES,
    MAX_MANIFEST_BYTES,
    MEMBER_NAME,
    BundleCase,
    BundleManifest,
    BundleSubmission,
    bundle_json_reader,
    manifest_json_reader,
)

# --- reading ---------------------------------------------------------------------------------

# zipfile reports a damaged archive with more than BadZipFile: a header offset before the
# start of the file (ValueError), a "version needed" or feature flag it lacks
# (NotImplementedError), a member cut short (EOFError), a name that is not UTF-8
# (UnicodeDecodeError, a ValueError), an offset too large to seek to (OverflowError).
_ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    NotImplementedError,
    OSError,
    OverflowError,
    ValueError,
)


def _damaged(name: str, exc: BaseException) -> BundleError:
    return BundleError(f"the bundle's member {name} is damaged ({exc}): download the export again")


class _MemberReader:
    """One member's bytes, with zipfile's damage exceptions reported as `BundleError`.

    A member's CRC and length are only checked as it is read (by `open_envelope`, deep
    inside `open_submission`), so the translation has to live in the stream itself.
    """

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def read(self, size: int = -1) -> bytes:
        if self._stream.closed:
            raise ValueError(f"the stream of bundle member {self._name} is closed")
        try:
            return self._stream.read(size)
        except _ZIP_DAMAGE as exc:
            raise _damaged(self._name, exc) from exc

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> "_MemberReader":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _open_member(archive: zipfile.ZipFile, name: str) -> BinaryIO:
    try:
        stream = cast(BinaryIO, archive.open(name))
    except _ZIP_DAMAGE as exc:
        raise _damaged(name, exc) from exc
    # Duck-typed: readers of members only call read() and close().
    return cast(BinaryIO, _MemberReader(stream, name))


class _BoundedBuffer:
    def __init__(self, limit: int, what: str) -> None:
        self._buffer = bytearray()
        self._limit = limit
        self._what = what

    def write(self, data: bytes) -> int:
        if len(self._buffer) + len(data) > self._limit:
            raise BundleError(f"{self._what} is larger than the {self._limit:,} bytes allowed")
        self._buffer += data
        return len(data)

    def getvalue(self) -> bytes:
        return bytes(self._buffer)


class Bundle:
    """An opened, checked export bundle. Close it (or use `with`) when done.

    `cases` holds every case in manifest order; `open_member(name)` streams a member
    from the one open ZIP (no re-opening per member). State is needed: the open ZIP.
    """

    def __init__(self, archive: zipfile.ZipFile, manifest: BundleManifest) -> None:
        self._zip = archive
        self._manifest = manifest
        self.reviewer_key_id = manifest.reviewer_key_id
        self.day = manifest.day
        self.since = manifest.since
        self.until = manifest.until
        self.reviewers = manifest.reviewers
        self.cases = manifest.cases
        self.version = manifest.version
        self.signed_list = manifest.signed_list
        self.reviewer_list = manifest.reviewer_list
        self.workflow = manifest.workflow
        self.audit = manifest.audit

    @property
    def manifest(self) -> BundleManifest:
        """The checked manifest (also for the v2 fields: `.signed_list`, `.workflow`, `.audit`)."""
        return self._manifest

    def __iter__(self) -> Iterator[BundleCase]:
        return iter(self.cases)

    def __len__(self) -> int:
        return len(self.cases)

    def __enter__(self) -> "Bundle":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the ZIP; streams from `open_member` stop working."""
        self._zip.close()

    def known_reviewers(self) -> dict[bytes, PublicIdentity]:
        """The server's reviewer list by key id (for checking reply signatures in the bundle)."""
        return {reviewer.key_id: reviewer.identity for reviewer in self.reviewers}

    def open_member(self, name: str) -> BinaryIO:
        """A readable stream of one listed member's bytes. Raises `BundleError` for an unlisted name."""
        if name not in self._manifest.members:
            raise BundleError(f"{name} is not a member listed in this bundle's manifest")
        return _open_member(self._zip, name)

    def read_member(self, name: str) -> bytes:
        """All of one member's bytes (replies are small; stream parts with `open_member`)."""
        with self.open_member(name) as stream:
            return stream.read()

    def member_opener(self, name: str) -> Callable[[], BinaryIO]:
        """A callable that opens `name`: what `crypto.submission.open_submission` takes per part."""
        if name not in self._manifest.members:
            raise BundleError(f"{name} is not a member listed in this bundle's manifest")
        return lambda: self.open_member(name)

    def part_sources(self, submission: BundleSubmission) -> dict[int, Callable[[], BinaryIO]]:
        """`{part index: opener}` for `open_submission(bundle.part_sources(s), keys, ...)`."""
        return {part.index: self.member_opener(part.member) for part in submission.parts}


def _check_archive_members(archive: zipfile.ZipFile) -> list[str]:
    names: list[str] = []
    for info in archive.infolist():
        name = info.filename
        if name not in (BUNDLE_JSON, MANIFEST_MEMBER) and not MEMBER_NAME.fullmatch(name):
            raise BundleError(
                f"the bundle holds a member named {name!r}, which no bundle may hold: it was tampered with"
            )
        if info.compress_type != zipfile.ZIP_STORED:
            raise BundleError(f"the bundle's member {name} is compressed; bundles store members uncompressed")
        if info.flag_bits & 0x1:
            raise BundleError(f"the bundle's member {name} is ZIP-encrypted; bundles never are")
        names.append(name)
    for required in (BUNDLE_JSON, MANIFEST_MEMBER):
        if names.count(required) != 1:
            raise BundleError(
                f"the bundle has {'no' if required not in names else 'more than one'} {required}: "
                "it is incomplete or not a Candour bundle"
            )
    return [name for name in names if name not in (BUNDLE_JSON, MANIFEST_MEMBER)]


def _readbundle_json_reader(archive: zipfile.ZipFile) -> tuple[bytes, str]:
    info = archive.getinfo(BUNDLE_JSON)
    if info.file_size > MAX_BUNDLE_JSON_BYTES:
        raise BundleError("bundle.json is too large: this is not a Candour bundle")
    with _open_member(archive, BUNDLE_JSON) as stream:
        data = stream.read(MAX_BUNDLE_JSON_BYTES + 1)
    r = bundle_json_reader
    document = r.obj(
        r.loads(data, MAX_BUNDLE_JSON_BYTES), "bundle.json", ("format", "version", "reviewer_key_id", "day")
    )
    r.header(document, "bundle.json", BUNDLE_FORMAT, BUNDLE_VERSION)
    key_id = r.hex_bytes(document["reviewer_key_id"], "'reviewer_key_id'", KEY_ID_BYTES)
    day = r.day(document["day"], "'day'")
    return key_id, day


def open_bundle(path: str | os.PathLike[str] | BinaryIO, reviewer_keys: Opener) -> Bundle:
    """Open an export bundle for `reviewer_keys` and check it completely before any member is read.

    In order: the ZIP's member names (only the names §10 allows, no duplicates, stored
    uncompressed); bundle.json (format, version, and that it was exported for this
    reviewer — before any cryptography); manifest.cnd (decrypted with the reviewer's
    key; its errors are the envelope's); the manifest (types, caps, member names
    consistent with their case, submission and part, every listed member present
    exactly once, nothing unlisted). Raises `BundleError` (and the envelope errors for
    manifest.cnd).
    """
    try:
        archive = zipfile.ZipFile(path if not isinstance(path, (str, os.PathLike)) else Path(path), "r")
    except FileNotFoundError:
        raise BundleError(f"there is no bundle at {path}") from None
    except _ZIP_DAMAGE as exc:
        raise BundleError(f"{path} is not a readable bundle (not a ZIP archive: {exc})") from exc
    try:
        members = _check_archive_members(archive)
        key_id, day = _readbundle_json_reader(archive)
        mine = bytes(reviewer_keys.key_id)
        if key_id != mine:
            raise BundleError(
                f"this bundle was exported for reviewer {key_id.hex()}, not for you ({mine.hex()}): "
                "ask the server for an export made for your key"
            )
        buffer = _BoundedBuffer(MAX_MANIFEST_BYTES, "the bundle's manifest")
        with _open_member(archive, MANIFEST_MEMBER) as stream:
            open_envelope(stream, cast(BinaryIO, buffer), reviewer_keys)
        manifest = parse_manifest(manifest_json_reader.loads(buffer.getvalue()), members)
        if manifest.reviewer_key_id != key_id or manifest.day != day:
            raise BundleError(
                "the sealed manifest names another reviewer or day than bundle.json: it was tampered with"
            )
        return Bundle(archive, manifest)
    except zipfile.BadZipFile as exc:
        archive.close()
        raise BundleError(f"the bundle is damaged: {exc}") from exc
    except BaseException:
        archive.close()
        raise
