"""crypto.files: atomic writes and decrypt-to-file that never leaves partial plaintext."""

import io
import os
import stat
import tracemalloc
from pathlib import Path

import pytest

from crypto.envelope import SEALED_CHUNK_SIZE, header_size, new_submission_id, seal_bytes
from crypto.errors import BindingError, NotARecipientError, PayloadError, TruncatedError
from crypto.files import atomic_write, leftover_temp_files, open_to_file, seal_to_file
from crypto.identity import generate_reviewer_keys


@pytest.fixture(scope="module")
def alice():
    return generate_reviewer_keys("alice")


@pytest.fixture(scope="module")
def bob():
    return generate_reviewer_keys("bob")


def test_atomic_write_publishes_private_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with atomic_write(target) as handle:
        handle.write(b"hello")
        assert not target.exists()
    assert target.read_bytes() == b"hello"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftover_temp_files(tmp_path) == []


def test_atomic_write_removes_temp_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write(b"partial")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_refuses_existing_without_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"original")
    with pytest.raises(FileExistsError), atomic_write(target, overwrite=False) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"original"
    assert leftover_temp_files(tmp_path) == []


def test_atomic_write_no_clobber_race(tmp_path: Path) -> None:
    # The target appears while we write: it must survive.
    target = tmp_path / "out.bin"
    with pytest.raises(FileExistsError), atomic_write(target, overwrite=False) as handle:
        handle.write(b"new")
        target.write_bytes(b"someone else's")
    assert target.read_bytes() == b"someone else's"
    assert leftover_temp_files(tmp_path) == []


def test_open_to_file_round_trip_from_path_and_stream(tmp_path: Path, alice, bob) -> None:
    data = os.urandom(200_000)
    source = tmp_path / "in.bin"
    source.write_bytes(data)
    sealed = seal_to_file(source, tmp_path / "env.cnd", [alice.public, bob.public], new_submission_id(), 3)
    assert sealed.plaintext_size == len(data)
    opened = open_to_file(tmp_path / "env.cnd", tmp_path / "a.out", alice)
    assert (tmp_path / "a.out").read_bytes() == data
    assert opened.part_index == 3 and opened.header_hash == sealed.header_hash
    with open(tmp_path / "env.cnd", "rb") as stream:
        open_to_file(stream, tmp_path / "b.out", bob)
    assert (tmp_path / "b.out").read_bytes() == data
    assert stat.S_IMODE((tmp_path / "b.out").stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", ["flip_last", "truncate", "not_recipient"])
def test_open_to_file_leaves_nothing_on_failure(tmp_path: Path, alice, bob, damage: str) -> None:
    envelope = bytearray(seal_bytes(os.urandom(300_000), [alice.public], new_submission_id(), 0))
    opener = alice
    expected: type[Exception] = PayloadError
    if damage == "flip_last":
        envelope[-5] ^= 1
    elif damage == "truncate":
        # Cut at a chunk boundary: two full chunks survive, the final one is gone.
        del envelope[header_size(1) + 2 * SEALED_CHUNK_SIZE :]
        expected = TruncatedError
    else:
        opener, expected = bob, NotARecipientError
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(expected):
        open_to_file(io.BytesIO(bytes(envelope)), out_dir / "plain.bin", opener)
    assert list(out_dir.iterdir()) == []


def test_open_to_file_check_runs_before_publishing(tmp_path: Path, alice) -> None:
    envelope = seal_bytes(b"attachment", [alice.public], new_submission_id(), 1)

    def refuse(opened) -> None:
        raise BindingError(f"part {opened.part_index} is not the one the manifest lists")

    with pytest.raises(BindingError):
        open_to_file(io.BytesIO(envelope), tmp_path / "x", alice, check=refuse)
    assert list(tmp_path.iterdir()) == []


def test_open_to_file_refuses_existing_output_before_decrypting(tmp_path: Path, alice) -> None:
    envelope = seal_bytes(b"secret", [alice.public], new_submission_id(), 0)
    (tmp_path / "x").write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        open_to_file(io.BytesIO(envelope), tmp_path / "x", alice)
    assert (tmp_path / "x").read_bytes() == b"keep me"
    open_to_file(io.BytesIO(envelope), tmp_path / "x", alice, overwrite=True)
    assert (tmp_path / "x").read_bytes() == b"secret"
    assert leftover_temp_files(tmp_path) == []


def test_long_zero_runs_are_released_in_bounded_pieces(tmp_path: Path, alice) -> None:
    # 64 MiB of zeros then one byte: the zeros are held as possible padding until the
    # byte arrives; they must not then be released as one 64 MiB bytes object.
    source = tmp_path / "sparse.img"
    with source.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
        handle.seek(0, os.SEEK_END)
        handle.write(b"\x01")
    seal_to_file(source, tmp_path / "sparse.cnd", [alice.public], new_submission_id(), 0)
    tracemalloc.start()
    try:
        open_to_file(tmp_path / "sparse.cnd", tmp_path / "sparse.out", alice)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"opening allocated {peak:,} bytes at once"
    assert (tmp_path / "sparse.out").stat().st_size == source.stat().st_size


# --- the shared durable-write helpers --------------------------------------------------------


def test_write_atomically_replaces_and_creates(tmp_path: Path) -> None:
    from crypto.files import write_atomically

    target = tmp_path / "state.bin"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_atomically(target, b"three", overwrite=False)
    assert target.read_bytes() == b"two"
    write_atomically(tmp_path / "public.txt", b"x", mode=0o644, strict=True)
    assert stat.S_IMODE((tmp_path / "public.txt").stat().st_mode) == 0o644
    assert leftover_temp_files(tmp_path) == []


def test_write_new_file_never_overwrites(tmp_path: Path) -> None:
    from crypto.files import write_new_file

    target = tmp_path / "new.key"
    write_new_file(target, b"secret", strict=True)
    assert target.read_bytes() == b"secret"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_new_file(target, b"other")
    assert target.read_bytes() == b"secret"


def test_write_new_file_removes_a_half_written_file(tmp_path: Path) -> None:
    from crypto.files import write_new_file

    target = tmp_path / "new.key"
    with pytest.raises(TypeError):
        write_new_file(target, "not bytes")  # type: ignore[arg-type]
    assert not target.exists()


def test_fsync_helpers(tmp_path: Path) -> None:
    from crypto.files import fsync_directory, fsync_file, fsync_tree

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.txt").write_bytes(b"data")
    fsync_file(tmp_path / "a" / "b" / "f.txt")
    fsync_directory(tmp_path / "a", strict=True)
    fsync_tree(tmp_path / "a", strict=True)
    with pytest.raises(FileNotFoundError):
        fsync_file(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        fsync_directory(tmp_path / "missing", strict=True)
    fsync_directory(tmp_path / "missing")  # the kit's tolerant mode: nothing to do


def test_durable_helpers_load_without_the_envelope_code() -> None:
    import subprocess
    import sys

    code = "import sys, crypto.files; print('nacl' in sys.modules, 'crypto.envelope' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
