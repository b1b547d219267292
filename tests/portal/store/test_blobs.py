"""The blob store: atomic writes, aborts, the temp sweep and name checks."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.store import blobs


def _temp_files(instance: Path) -> list[Path]:
    return list(blobs.temp_dir(instance).iterdir())


def test_commit_makes_a_complete_blob_under_a_random_name(instance_dir: Path) -> None:
    data = os.urandom(200_000)
    with blobs.BlobWriter(instance_dir) as writer:
        for start in range(0, len(data), 65536):
            writer.write(data[start : start + 65536])
        assert writer.size == len(data)
        name = writer.commit()
    assert len(name) == 32 and int(name, 16) >= 0
    path = blobs.blob_path(instance_dir, name)
    assert path == instance_dir / "blobs" / name[:2] / name
    with blobs.open_blob(instance_dir, name) as handle:
        assert handle.read() == data
    assert _temp_files(instance_dir) == []


def test_same_content_gets_different_names(instance_dir: Path) -> None:
    names = set()
    for _ in range(3):
        with blobs.BlobWriter(instance_dir) as writer:
            writer.write(b"identical")
            names.add(writer.commit())
    assert len(names) == 3


def test_blob_times_are_rounded_to_the_day(instance_dir: Path) -> None:
    with blobs.BlobWriter(instance_dir) as writer:
        writer.write(b"x")
        name = writer.commit()
    path = blobs.blob_path(instance_dir, name)
    for stamp in (path.stat().st_mtime, path.parent.stat().st_mtime):
        moment = datetime.fromtimestamp(stamp, UTC)
        assert (moment.hour, moment.minute, moment.second) == (0, 0, 0)
        assert moment.date() == datetime.now(UTC).date()


def test_abort_leaves_nothing(instance_dir: Path) -> None:
    writer = blobs.BlobWriter(instance_dir)
    writer.write(b"half a report")
    assert len(_temp_files(instance_dir)) == 1
    writer.abort()
    writer.abort()  # twice is harmless
    assert _temp_files(instance_dir) == []
    assert [p for p in (instance_dir / "blobs").iterdir() if p.name != "tmp"] == []
    with pytest.raises(blobs.BlobWriterClosedError):
        writer.write(b"more")
    with pytest.raises(blobs.BlobWriterClosedError):
        writer.commit()


def test_an_exception_inside_the_block_aborts(instance_dir: Path) -> None:
    with pytest.raises(ConnectionResetError), blobs.BlobWriter(instance_dir) as writer:
        writer.write(b"partial upload")
        raise ConnectionResetError("client went away")
    assert _temp_files(instance_dir) == []


def test_leaving_the_block_without_commit_aborts(instance_dir: Path) -> None:
    with blobs.BlobWriter(instance_dir) as writer:
        writer.write(b"never committed")
    assert _temp_files(instance_dir) == []


def test_sweep_removes_leftover_temp_files(instance_dir: Path) -> None:
    left_behind = blobs.BlobWriter(instance_dir)
    left_behind.write(b"a worker died here")
    # Simulate the crash: the file is never closed through the writer.
    assert len(_temp_files(instance_dir)) == 1
    unrelated = blobs.temp_dir(instance_dir) / "README"
    unrelated.write_text("not ours")
    assert blobs.sweep_temp(instance_dir) == 1
    assert _temp_files(instance_dir) == [unrelated]
    left_behind.abort()


def test_sweep_can_spare_recent_files(instance_dir: Path) -> None:
    old = blobs.BlobWriter(instance_dir)
    recent = blobs.BlobWriter(instance_dir)
    old_path = next(p for p in _temp_files(instance_dir) if p.name == old._temp_path.name)  # type: ignore[union-attr]
    an_hour_ago = time.time() - 3600
    os.utime(old_path, (an_hour_ago, an_hour_ago))
    assert blobs.sweep_temp(instance_dir, older_than_seconds=600) == 1
    assert not old_path.exists()
    assert len(_temp_files(instance_dir)) == 1
    old.abort()
    recent.abort()


def test_sweep_without_blob_folder_is_a_no_op(tmp_path: Path) -> None:
    assert blobs.sweep_temp(tmp_path) == 0


def test_delete(instance_dir: Path) -> None:
    with blobs.BlobWriter(instance_dir) as writer:
        writer.write(b"to be destroyed")
        name = writer.commit()
    blobs.delete_blob(instance_dir, name)
    assert not blobs.blob_path(instance_dir, name).exists()
    with pytest.raises(blobs.BlobNotFoundError):
        blobs.delete_blob(instance_dir, name)
    blobs.delete_blob(instance_dir, name, missing_ok=True)
    with pytest.raises(blobs.BlobNotFoundError):
        blobs.open_blob(instance_dir, name)


@pytest.mark.parametrize(
    "name",
    ["../../db.key", "A" * 32, "a" * 31, "a" * 33, "", "tmp/" + "a" * 28, "a" * 30 + "/.", "..", None],
)
def test_bad_names_never_reach_the_filesystem(instance_dir: Path, name: object) -> None:
    with pytest.raises(blobs.BlobNameError):
        blobs.blob_path(instance_dir, name)  # type: ignore[arg-type]
    with pytest.raises(blobs.BlobNameError):
        blobs.open_blob(instance_dir, name)  # type: ignore[arg-type]
    with pytest.raises(blobs.BlobNameError):
        blobs.delete_blob(instance_dir, name, missing_ok=True)  # type: ignore[arg-type]
    assert (instance_dir / "db.key").exists()
