"""Writing files so that a reader never sees half of one.

Every file the reviewer tool produces is written to a temporary file in the target
directory (mode 0600), flushed to disk, and renamed into place only once it is
complete and — for decrypted plaintext — only once the envelope has fully verified
(docs/format.md §2.3). On any error the temporary file is deleted, so an interrupted
or tampered decryption leaves no partial plaintext behind.
"""

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .envelope import (
    OpenedPart,
    Opener,
    Recipient,
    SealedPart,
    open_envelope,
    seal_envelope,
)

TEMP_PREFIX = ".candour-tmp-"
TEMP_SUFFIX = ".part"
# Plaintext may be sensitive; nobody but the owner should read it, even briefly.
PRIVATE_FILE_MODE = 0o600


def fsync_directory(directory: Path) -> None:
    """Make a rename durable; some platforms cannot open directories, which is fine."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def publish_file(temp_path: Path, path: Path, *, overwrite: bool) -> None:
    """Rename a finished temporary file into place; refuse an existing `path` unless `overwrite`."""
    if overwrite:
        os.replace(temp_path, path)
        return
    # link() fails if the target exists, so nothing another process wrote in the
    # meantime is ever clobbered; then the temporary name is dropped.
    try:
        os.link(temp_path, path)
    except FileExistsError:
        raise FileExistsError(f"{path} already exists; choose another name or remove it first") from None
    except OSError:
        # File systems without hard links (a FAT USB stick): check, then rename.
        if path.exists():
            raise FileExistsError(f"{path} already exists; choose another name or remove it first") from None
        os.replace(temp_path, path)
        return
    os.unlink(temp_path)


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@contextmanager
def atomic_write(
    path: str | os.PathLike[str], *, overwrite: bool = True, mode: int = PRIVATE_FILE_MODE
) -> Iterator[BinaryIO]:
    """Yield a binary handle whose bytes appear at `path` only if the block succeeds.

    The file is created with `mode` (0600 unless told otherwise) in `path`'s
    directory (so the final rename never crosses file systems), fsynced, then
    renamed; with `overwrite=False` an existing `path` raises FileExistsError and is
    left untouched. Any exception removes the
    temporary file and propagates.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} already exists; choose another name or remove it first")
    descriptor, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
    temp_path = Path(temp_name)
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        publish_file(temp_path, path, overwrite=overwrite)
    except BaseException:
        _remove_quietly(temp_path)
        raise
    fsync_directory(directory)


@contextmanager
def _open_source(source: str | os.PathLike[str] | BinaryIO) -> Iterator[BinaryIO]:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            yield handle
    else:
        yield source


def open_to_file(
    source: str | os.PathLike[str] | BinaryIO,
    out_path: str | os.PathLike[str],
    keys: Opener,
    *,
    overwrite: bool = False,
    check: Callable[[OpenedPart], None] | None = None,
) -> OpenedPart:
    """Decrypt one envelope into `out_path`, which appears only if everything verifies.

    `source` is a path or a readable binary stream (for example a ZIP member).
    `check`, if given, runs on the verified part before the rename — callers use it to
    refuse a part that opens but belongs elsewhere (wrong submission, part index or
    header hash); whatever it raises propagates and nothing is written.
    Streams in 64 KiB chunks: memory use does not grow with the file.
    """
    with _open_source(source) as stream, atomic_write(out_path, overwrite=overwrite) as sink:
        opened = open_envelope(stream, sink, keys)
        if check is not None:
            check(opened)
    return opened


def seal_to_file(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    recipients: Sequence[Recipient],
    submission_id: bytes,
    part_index: int,
    *,
    overwrite: bool = False,
) -> SealedPart:
    """Seal the file at `in_path` into one envelope at `out_path`, written atomically."""
    with open(in_path, "rb") as source, atomic_write(out_path, overwrite=overwrite) as sink:
        return seal_envelope(source, sink, recipients, submission_id, part_index)


def temp_path_in(directory: Path) -> Path:
    """A fresh, unused temporary name in `directory` (for writers that insist on O_EXCL)."""
    return directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"


def leftover_temp_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Temporary files this module left in `directory` (only after a hard crash)."""
    return sorted(
        p for p in Path(directory).iterdir() if p.name.startswith(TEMP_PREFIX) and p.name.endswith(TEMP_SUFFIX)
    )
