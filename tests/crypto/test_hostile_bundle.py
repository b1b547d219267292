"""Hostile export bundles (found by tests/fuzz, issue #7): zipfile's other exceptions are `BundleError`."""

import io
import struct
import zipfile

import pytest

from tests.support.export_builder import CaseBuilder, write_export

from crypto.bundle import open_bundle
from crypto.codename import reporter_keys_from_master
from crypto.errors import BundleError
from crypto.identity import ReviewerKeys
from crypto.submission import open_submission

ALICE = ReviewerKeys("alice", bytes([1]) * 32)
BOB = ReviewerKeys("bob", bytes([2]) * 32)
REPORTER = reporter_keys_from_master(bytes([4]) * 32)


# --- export bundles: zipfile's other exceptions ------------------------------------------------------


@pytest.fixture(scope="module")
def bundle_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    case = CaseBuilder([ALICE.public, BOB.public], REPORTER, {"what": "Invoices were doubled."}).with_report(
        attachments=[("minutes.pdf", b"%PDF-1.7")]
    )
    path = tmp_path_factory.mktemp("bundle") / "export.zip"
    write_export(path, ALICE.public, [(ALICE.public, "Alice", "", True)], [case])
    return path.read_bytes()


def test_bundle_whose_headers_point_before_the_file_is_a_bundle_error(bundle_bytes: bytes) -> None:
    # One byte dropped from the front: every local header offset is now one too far (was ValueError).
    with pytest.raises(BundleError, match="damaged"):
        open_bundle(io.BytesIO(bundle_bytes[1:]), ALICE)


def test_bundle_needing_an_unknown_zip_version_is_a_bundle_error(bundle_bytes: bytes) -> None:
    central = bundle_bytes.index(b"PK\x01\x02")
    damaged = bytearray(bundle_bytes)
    damaged[central + 6 : central + 8] = struct.pack("<H", 99)  # "version needed to extract" 9.9
    with pytest.raises(BundleError, match="not a readable bundle"):  # was NotImplementedError
        open_bundle(io.BytesIO(bytes(damaged)), ALICE)


def test_bundle_member_failing_its_crc_while_streamed_is_a_bundle_error(bundle_bytes: bytes) -> None:
    # The CRC is only checked when a member is read to its end, inside open_submission:
    # the bundle opens, and the damage must surface as BundleError (was zipfile.BadZipFile).
    with zipfile.ZipFile(io.BytesIO(bundle_bytes)) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/1.cnd"))
    # The last byte: the header still matches the signed hash, so the read goes on to the end.
    start = info.header_offset + 30 + len(info.filename.encode()) + info.file_size - 1
    damaged = bytearray(bundle_bytes)
    damaged[start] ^= 1
    with open_bundle(io.BytesIO(bytes(damaged)), ALICE) as bundle:
        (case,) = bundle.cases
        assert case.report is not None
        with pytest.raises(BundleError, match="damaged"):
            open_submission(bundle.part_sources(case.report), ALICE, expected_case=case.case)


def test_bundle_member_longer_than_the_archive_is_a_bundle_error(bundle_bytes: bytes) -> None:
    # manifest.cnd is the last member: claiming 1 GiB for it runs the read off the end (was EOFError).
    name = b"manifest.cnd"
    entry = bundle_bytes.rindex(b"PK\x01\x02", 0, bundle_bytes.rindex(name))
    damaged = bytearray(bundle_bytes)
    damaged[entry + 20 : entry + 28] = struct.pack("<II", 1 << 30, 1 << 30)  # compressed and real size
    with pytest.raises(BundleError, match="damaged"):
        open_bundle(io.BytesIO(bytes(damaged)), ALICE)
