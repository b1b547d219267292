"""Consistent backups of a running instance, and restoring one.

`flask --app wsgi backup DEST` copies, while the portal keeps accepting reports:

- the database through SQLCipher's online backup API into a file encrypted with the
  same raw key (one step, so one read snapshot: every row from the same moment);
- every blob that snapshot names (blobs are never changed after they are
  committed, only deleted, so a copy taken after the snapshot is the same file);
  their midnight modification times are kept;
- `audit-head`, moved forward to the newest entry of the snapshot once the copied
  trail has been checked against the live head;
- `candour.cfg` and `db.key` only with `--include-keys`.

The copy is built in a hidden sibling folder, fsynced, then renamed to DEST: a
backup interrupted half-way never looks like a finished one.

Without the keys a backup is ciphertext under a key it does not contain: it can be
stored anywhere. `db.key` and `candour.cfg` must be kept separately (see
docs/operations.md); `restore` takes them from the backup or from `--db-key` and
`--config`.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from crypto.files import fsync_directory, fsync_tree
from portal import audit
from portal.instance import BLOBS_DIRNAME, CONFIG_FILENAME, DB_FILENAME, DB_KEY_FILENAME
from portal.store import snapshot
from portal.store.blobs import blob_path
from portal.store.db import Connection, connect, read_db_key, today
from portal.store.recovery import referenced_blobs

MANIFEST_FILENAME = "BACKUP.txt"
KEY_FILES = (CONFIG_FILENAME, DB_KEY_FILENAME)


class BackupError(Exception):
    """A backup or restore could not be made; the message says what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    blobs: int
    cases: int
    keys_included: bool
    audit_problem: str | None


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    blobs: int
    cases: int
    audit_problem: str | None


# --- small file-system helpers -------------------------------------------------------------


def _make_private(root: Path) -> None:
    # Whatever SQLite or a copy created under the umask: only the owner may read a
    # backup (without the keys it is ciphertext, but its sizes and dates still tell).
    for dirpath, _dirs, files in os.walk(root):
        os.chmod(dirpath, 0o700)
        for name in files:
            os.chmod(Path(dirpath) / name, 0o600)


def _copy_private(source: Path, target: Path) -> None:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copy2(source, target)  # copy2 keeps the (midnight) modification time
    os.chmod(target, 0o600)


@contextmanager
def _staging(final: Path, purpose: str) -> Iterator[Path]:
    """A hidden sibling of `final` to build in; renamed to `final` on success,
    removed on failure."""
    if final.exists() and (not final.is_dir() or any(final.iterdir())):
        raise BackupError(f"{final} already exists and is not empty; choose a new folder")
    if not final.parent.is_dir():
        raise BackupError(f"{final.parent} does not exist; create it first")
    staging = final.parent / f".{final.name}.{purpose}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        yield staging
        _make_private(staging)
        fsync_tree(staging, strict=True)
        if final.exists():
            final.rmdir()  # an empty folder made for us to fill
        os.rename(staging, final)
        fsync_directory(final.parent, strict=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _anchor_copied_trail(conn: Connection, folder: Path, live_head: tuple[int, bytes] | None) -> str | None:
    """Give the copy an audit-head matching its own trail. The copied trail is first
    checked against the live head read before the snapshot (it must reach it): if
    that fails the live head is kept as it was, so the damage stays visible."""
    if live_head is not None:
        (folder / audit.HEAD_FILENAME).write_text(f"{live_head[0]} {live_head[1].hex()}\n", encoding="ascii")
    _count, problem = audit.verify_chain(conn, folder)
    if problem is None:
        audit.anchor_head(conn, folder)
    (folder / (audit.HEAD_FILENAME + ".lock")).unlink(missing_ok=True)
    return None if problem is None else problem.message


# --- backup ----------------------------------------------------------------------------------


def make_backup(instance: Path, dest: Path, *, include_keys: bool) -> BackupResult:
    key_hex = read_db_key(instance)
    live_head = audit.read_head(instance)  # before the snapshot: the snapshot must reach it
    with _staging(dest, "partial") as staging:
        with (
            closing(connect(instance)) as source,
            closing(snapshot.open_keyed_file(staging / DB_FILENAME, key_hex)) as copy,
        ):
            # pages=-1 (the default): the whole database in one step, under one read
            # transaction, so writers keep going and the copy is one moment's state.
            source.backup(copy)
            check = snapshot.integrity_problem(copy)
            if check is not None:
                raise BackupError(f"the copied database failed its integrity check ({check}); nothing was written")
            names = sorted(referenced_blobs(copy))
            cases = snapshot.case_count(copy)
            audit_problem = _anchor_copied_trail(copy, staging, live_head)
            # A single file, not WAL: a backup is read, not written.
            snapshot.use_single_file(copy)
        for name in names:
            source_blob = blob_path(instance, name)
            if not source_blob.is_file():
                raise BackupError(
                    f"blob {name} disappeared while the backup ran (a retention purge?); run the backup again"
                )
            _copy_private(source_blob, blob_path(staging, name))
        if include_keys:
            for filename in KEY_FILES:
                _copy_private(instance / filename, staging / filename)
        (staging / MANIFEST_FILENAME).write_text(_manifest(len(names), cases, include_keys), encoding="utf-8")
    # In the live trail, once the backup exists: a copy with the keys opens every
    # case, so who can read the data depends on where copies went. The folder's name
    # only: a full path could say whose disk or which machine holds it.
    with closing(connect(instance)) as conn:
        audit.record(
            conn,
            instance,
            actor=audit.SYSTEM,
            action="backup_made",
            details={"destination": dest.name, "keys_included": include_keys},
        )
    return BackupResult(dest, len(names), cases, include_keys, audit_problem)


def _manifest(blobs: int, cases: int, include_keys: bool) -> str:
    keys = (
        "candour.cfg and db.key ARE included: keep this backup as secret as the server itself."
        if include_keys
        else "candour.cfg and db.key are NOT included: restore needs the copies kept separately."
    )
    return (
        f"Candour backup made on {today()}.\n"
        f"{cases} case(s), {blobs} blob(s).\n"
        f"{keys}\n"
        "Restore with: .venv/bin/flask --app wsgi restore THIS_FOLDER NEW_INSTANCE_FOLDER\n"
        "  [--config FILE --db-key FILE]\n"
    )


# --- restore ---------------------------------------------------------------------------------


def _key_sources(source: Path, config: Path | None, db_key: Path | None) -> dict[str, Path]:
    chosen = {CONFIG_FILENAME: config or source / CONFIG_FILENAME, DB_KEY_FILENAME: db_key or source / DB_KEY_FILENAME}
    missing = [name for name, path in chosen.items() if not path.is_file()]
    if missing:
        raise BackupError(
            f"{' and '.join(missing)} not found: this backup was made without --include-keys. "
            "Pass the copies you keep separately with --config and --db-key."
        )
    return chosen


def restore_backup(source: Path, instance: Path, *, config: Path | None, db_key: Path | None) -> RestoreResult:
    """Build a new instance folder from a backup. Refuses to write over an existing
    instance; checks the key opens the database, its integrity, and that every blob
    it names is present before the folder appears."""
    if not (source / DB_FILENAME).is_file():
        raise BackupError(f"{source} is not a Candour backup (no {DB_FILENAME})")
    keys = _key_sources(source, config, db_key)
    with _staging(instance, "restoring") as staging:
        for filename, path in keys.items():
            _copy_private(path, staging / filename)
        _copy_private(source / DB_FILENAME, staging / DB_FILENAME)
        if (source / audit.HEAD_FILENAME).is_file():
            _copy_private(source / audit.HEAD_FILENAME, staging / audit.HEAD_FILENAME)
        (staging / BLOBS_DIRNAME / "tmp").mkdir(mode=0o700, parents=True)
        with closing(_checked_connection(staging)) as conn:
            names = sorted(referenced_blobs(conn))
            for name in names:
                source_blob = blob_path(source, name)
                if not source_blob.is_file():
                    raise BackupError(f"the backup is incomplete: blob {name} is missing from {source}")
                _copy_private(source_blob, blob_path(staging, name))
            cases = snapshot.case_count(conn)
            # The backup's own trail is checked before anything is added to it.
            _count, problem = audit.verify_chain(conn, staging)
            # Recorded in the staging folder, so the instance never appears without
            # it. A damaged trail stays damaged (the head never moves backwards, the
            # break is still found); the entry says whether it verified.
            audit.record(
                conn,
                staging,
                actor=audit.SYSTEM,
                action="instance_restored",
                details={"from": source.name, "trail_verified": problem is None},
            )
        (staging / (audit.HEAD_FILENAME + ".lock")).unlink(missing_ok=True)
        os.chmod(staging, 0o700)
    return RestoreResult(instance, len(names), cases, None if problem is None else problem.message)


def _checked_connection(folder: Path) -> Connection:
    try:
        conn = connect(folder)
    except sqlcipher3.Error as exc:
        raise BackupError(f"the restored database cannot be opened ({exc})") from None
    check = snapshot.integrity_problem(conn)
    if check is not None:
        conn.close()
        raise BackupError(f"the backup's database failed its integrity check ({check})")
    return conn
