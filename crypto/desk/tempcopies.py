"""Plaintext files the Desk writes: temporary copies in RAM, and copies the reviewer saves.

"Open" decrypts an attachment, streamed, into a private folder on a RAM-backed file
system — /dev/shm, or $XDG_RUNTIME_DIR when it is a tmpfs (Tails and most Linux
desktops) — and hands it to the system's viewer; `remove_all()` (on lock) deletes it.
Where no RAM-backed folder exists (macOS, Windows) the system's temporary folder is
used and the Desk says so before opening. A file is renamed to its name only after
its envelope fully verified (the sink commits after `open_submission`'s checks).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..casefolder import safe_file_name
from ..files import fsync_handle, temp_path_in

TMPFS_TYPES = frozenset({"tmpfs", "ramfs"})
PREFIX = "candour-desk-"


def _mount_type(path: Path) -> str | None:
    """The file system type of the mount holding `path` (Linux /proc/mounts), or None."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    best, kind = "", None
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and (target == parts[1] or target.startswith(parts[1].rstrip("/") + "/")):
            if len(parts[1]) > len(best):
                best, kind = parts[1], parts[2]
    return kind


def ram_folder() -> Path | None:
    """A RAM-backed folder this user may write to, or None."""
    candidates = [os.environ.get("XDG_RUNTIME_DIR", ""), "/dev/shm"]  # noqa: S108 - checked to be tmpfs; a private folder is made inside
    for candidate in candidates:
        if candidate and Path(candidate).is_dir() and os.access(candidate, os.W_OK):
            if _mount_type(Path(candidate)) in TMPFS_TYPES:
                return Path(candidate)
    return None


class FileSink:
    """An attachment sink writing to a temporary name, renamed only on commit."""

    def __init__(self, final_path: Path) -> None:
        self.final_path = final_path
        self._temp = temp_path_in(final_path.parent)
        self._handle = os.fdopen(os.open(self._temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")

    @classmethod
    def in_folder(cls, folder: Path, name: str) -> "FileSink":
        safe = safe_file_name(name, "attachment")
        path = folder / safe
        number = 2
        while path.exists():
            stem, dot, suffix = safe.rpartition(".")
            path = folder / (f"{stem} ({number}).{suffix}" if dot else f"{safe} ({number})")
            number += 1
        return cls(path)

    def write(self, data: bytes) -> int:
        return self._handle.write(data)

    def commit(self) -> Path:
        fsync_handle(self._handle)
        self._handle.close()
        os.replace(self._temp, self.final_path)
        return self.final_path

    def discard(self) -> None:
        self._handle.close()
        self._temp.unlink(missing_ok=True)


class TempCopies:
    """The folder of temporary copies for one unlocked session."""

    def __init__(self, base: Path | None = None) -> None:
        self._base = base
        self.folder: Path | None = None

    @property
    def in_ram(self) -> bool:
        base = self._base or ram_folder()
        return base is not None and _mount_type(base) in TMPFS_TYPES

    def _folder(self) -> Path:
        if self.folder is None:
            base = self._base or ram_folder() or Path(tempfile.gettempdir())
            self.folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
        return self.folder

    def remove_stale(self) -> None:
        """Remove copies an earlier Desk left behind when it was killed before it could lock."""
        base = self._base or ram_folder() or Path(tempfile.gettempdir())
        for folder in base.glob(f"{PREFIX}*"):
            if folder.is_dir() and not folder.is_symlink() and (os.name == "nt" or folder.stat().st_uid == os.getuid()):
                shutil.rmtree(folder, ignore_errors=True)

    def sink(self, name: str) -> FileSink:
        folder = Path(tempfile.mkdtemp(dir=self._folder()))  # one folder per copy: names never collide
        return FileSink(folder / safe_file_name(name, "attachment"))

    def remove_all(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def open_with_system_viewer(path: Path) -> None:
    """Hand a file to the desktop's viewer; returns at once."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]  # noqa: S606 - Windows only
        return
    command = ["open", str(path)] if sys.platform == "darwin" else ["xdg-open", str(path)]
    subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # noqa: S603
