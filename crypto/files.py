"""Writing files so that a reader never sees half of one, and so that what was written survives a crash.

The durable-write helpers here are the only ones in the project (the portal uses them
too): `fsync_file`, `fsync_directory`, `fsync_tree`, `atomic_write` / `write_atomically`
(temporary file in the same directory, fsync, rename, fsync the directory) and
`write_new_file` (create exclusively, fsync, fsync the directory). The rule they keep:
a name appears only once the data it points at is on disk, and the directory entry is
on disk before the caller reports success.

Every file the reviewer tool produces is written to a temporary file in the target
directory (mode 0600), flushed to disk, and renamed into place only once it is
complete and — for decrypted plaintext — only once the envelope has fully verified
(docs/format.md §2.3). On any error the temporary file is deleted, so an interrupted
or tampered decryption leaves no partial plaintext behind.

Only the standard library is imported at load time (the envelope code is imported by
the two functions that need it), so a server process can use the durable helpers
without loading the reviewer tool.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from .envelope import OpenedPart, Opener, Recipient, SealedPart

TEMP_PREFIX = ".candour-tmp-"
TEMP_SUFFIX = ".part"
# Plaintext may be sensitive; nobody but the owner should read it, even briefly.
PRIVATE_FILE_MODE = 0o600
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Flush a file that is already written and closed to disk (errors propagate)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_directory(directory: str | os.PathLike[str], *, strict: bool = False) -> None:
    """Make a rename, link or unlink in `directory` durable.

    With `strict=False` (the offline kit) a platform that cannot open or flush a directory
    (Windows, some USB file systems) is accepted silently: there is nothing more it can do.
    A server passes `strict=True`, so a failing flush is an error rather than a lost write.
    """
    try:
        descriptor = os.open(directory, _DIRECTORY_FLAGS)
    except OSError:
        if strict:
            raise
        return
    try:
        os.fsync(descriptor)
    except OSError:
        if strict:
            raise
    finally:
        os.close(descriptor)


def fsync_tree(root: str | os.PathLike[str], *, strict: bool = False) -> None:
    """fsync every file under `root`, then every folder bottom-up, then `root`'s parent.

    Files first, so that every name, once durable, points at durable data.
    """
    root = Path(root)
    for dirpath, _dirs, names in os.walk(root, topdown=False):
        for name in names:
            path = Path(dirpath) / name
            if not path.is_symlink():
                fsync_file(path)
        fsync_directory(dirpath, strict=strict)
    fsync_directory(root.parent if str(root.parent) else Path("."), strict=strict)


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
    path: str | os.PathLike[str], *, overwrite: bool = True, mode: int = PRIVATE_FILE_MODE, strict: bool = False
) -> Iterator[BinaryIO]:
    """Yield a binary handle whose bytes appear at `path` only if the block succeeds.

    The file is created with `mode` (0600 unless told otherwise) in `path`'s
    directory (so the final rename never crosses file systems), fsynced, then
    renamed; with `overwrite=False` an existing `path` raises FileExistsError and is
    left untouched. Any exception removes the temporary file and propagates.
    `strict` is `fsync_directory`'s (a server passes True).
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
    fsync_directory(directory, strict=strict)


def write_atomically(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    overwrite: bool = True,
    mode: int = PRIVATE_FILE_MODE,
    strict: bool = False,
) -> None:
    """Replace (or, with `overwrite=False`, create) the file at `path` with `data`, atomically and durably."""
    with atomic_write(path, overwrite=overwrite, mode=mode, strict=strict) as handle:
        handle.write(data)


def write_new_file(
    path: str | os.PathLike[str], data: bytes, *, mode: int = PRIVATE_FILE_MODE, strict: bool = False
) -> None:
    """Create `path` (which must not exist) holding `data`, with `mode` from the start, durably.

    O_EXCL, so nothing is ever overwritten, not even by a race; the file is fsynced and
    then its directory. If writing fails the half-written file is removed.
    """
    path = Path(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _remove_quietly(path)
        raise
    fsync_directory(path.parent if str(path.parent) else Path("."), strict=strict)


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
    from .envelope import open_envelope

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
    from .envelope import seal_envelope

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
