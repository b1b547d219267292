"""`python -m crypto` run as a real subprocess: keygen, seal, open, org, verify.

(Named test_reviewer_cli.py, not test_cli.py: tests/test_cli.py exists and pytest's
default import mode refuses two test modules with one basename.)
Decrypt and reply are in test_casefolder.py and test_reply_cli.py.
"""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import PASSPHRASE, REPO_ROOT, assert_one_line_error

from crypto.envelope import SEALED_CHUNK_SIZE, header_size
from crypto.files import TEMP_PREFIX
from crypto.identity import load_org_keys, load_reviewer_keys, parse_org_identity, parse_public_identity
from crypto.org import verify_reviewer_list

MIB = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(MIB):
            digest.update(block)
    return digest.hexdigest()


def write_random_file(path: Path, size: int) -> None:
    # Random but fast: one random MiB repeated with a counter so no two MiB are equal.
    seed = os.urandom(MIB)
    with path.open("wb") as handle:
        for index in range(size // MIB):
            handle.write(index.to_bytes(8, "big") + seed[8:])
        handle.write(seed[: size % MIB])


def no_temp_files(directory: Path) -> bool:
    return not any(p.name.startswith(TEMP_PREFIX) for p in directory.iterdir())


# --- keygen ---------------------------------------------------------------------------


def test_keygen_writes_private_key_and_commented_public_line(tmp_path, run_cli) -> None:
    result = run_cli("keygen", "--name", "Ana Silva", "--dir", tmp_path / "k", "--kdf", "interactive")
    assert result.returncode == 0, result.stderr
    key, pub = tmp_path / "k" / "Ana Silva.key", tmp_path / "k" / "Ana Silva.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    keys = load_reviewer_keys(key, PASSPHRASE)  # the passphrase file's trailing newline was ignored
    identity = parse_public_identity(pub.read_text())
    assert identity == keys.public
    comments = [line for line in pub.read_text().splitlines() if line.startswith("# ")]
    assert any("Ana Silva" in line for line in comments)
    assert any(identity.fingerprint in line for line in comments)
    assert identity.fingerprint in result.stdout and identity.key_id.hex() in result.stdout
    assert json.loads(key.read_text())["kdf"]["memlimit"] == 64 * MIB
    assert no_temp_files(tmp_path / "k")


def test_keygen_refuses_to_overwrite(tmp_path, run_cli) -> None:
    assert run_cli("keygen", "--name", "ana", "--dir", tmp_path, "--kdf", "interactive").returncode == 0
    before = (tmp_path / "ana.key").read_bytes(), (tmp_path / "ana.pub").read_bytes()
    result = run_cli("keygen", "--name", "ana", "--dir", tmp_path, "--kdf", "interactive")
    assert_one_line_error(result, contains="already exists")
    assert ((tmp_path / "ana.key").read_bytes(), (tmp_path / "ana.pub").read_bytes()) == before
    # Only the .pub left behind (say, the .key was moved away) still blocks a new key.
    (tmp_path / "ana.key").unlink()
    assert_one_line_error(run_cli("keygen", "--name", "ana", "--dir", tmp_path), contains="ana.pub")


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "bad\nname"])
def test_keygen_refuses_names_that_are_not_file_names(tmp_path, run_cli, name) -> None:
    assert_one_line_error(run_cli("keygen", "--name", name, "--dir", tmp_path), status=2, contains="--name")
    assert list(tmp_path.iterdir()) == []


def test_keygen_passphrase_mismatch_at_the_prompt_writes_nothing(tmp_path) -> None:
    # No CANDOUR_PASSPHRASE_FILE: getpass reads the two prompts (from stdin without a terminal).
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    command = [sys.executable, "-m", "crypto", "keygen", "--name", "ana", "--dir", str(tmp_path)]
    mismatch = subprocess.run(
        command, input="one passphrase\nanother\n", capture_output=True, text=True, cwd=REPO_ROOT, env=env
    )
    assert mismatch.returncode == 1
    assert mismatch.stderr.strip().splitlines()[-1] == "error: the two passphrases differ; nothing was written"
    assert list(tmp_path.iterdir()) == []
    command += ["--kdf", "interactive"]
    same = subprocess.run(
        command, input="typed twice\ntyped twice\n", capture_output=True, text=True, cwd=REPO_ROOT, env=env
    )
    assert same.returncode == 0, same.stderr
    load_reviewer_keys(tmp_path / "ana.key", "typed twice")


def test_usage_errors_are_one_line_with_status_2(run_cli) -> None:
    assert_one_line_error(run_cli(), status=2, contains="required")
    assert_one_line_error(run_cli("frobnicate"), status=2, contains="invalid choice")
    assert_one_line_error(run_cli("seal", "x"), status=2, contains="--to")
    assert_one_line_error(run_cli("org", "sign", "--key", "k", "--serial", "two", "-o", "x"), status=2)
    assert run_cli("--help").returncode == 0
    for command in ("keygen", "seal", "open", "decrypt", "reply", "verify", "org"):
        assert run_cli(command, "--help").returncode == 0
    assert "--entries" in run_cli("org", "sign", "--help").stdout


# --- seal / open ----------------------------------------------------------------------


def test_seal_and_open_small_file(tmp_path, run_cli, reviewer_kit) -> None:
    ana = reviewer_kit["ana"]
    (tmp_path / "note.txt").write_bytes(b"hello reviewers\n")
    sealed = run_cli("seal", "--to", ana.pub, tmp_path / "note.txt", "-o", tmp_path / "note.cnd")
    assert sealed.returncode == 0, sealed.stderr
    assert ana.identity.fingerprint in sealed.stdout
    opened = run_cli("open", "--key", ana.key, tmp_path / "note.cnd", "-o", tmp_path / "note.out")
    assert opened.returncode == 0, opened.stderr
    assert (tmp_path / "note.out").read_bytes() == b"hello reviewers\n"
    assert stat.S_IMODE((tmp_path / "note.out").stat().st_mode) == 0o600
    # An empty file seals and opens too.
    (tmp_path / "empty").write_bytes(b"")
    assert run_cli("seal", "--to", ana.pub, tmp_path / "empty", "-o", tmp_path / "empty.cnd").returncode == 0
    assert run_cli("open", "--key", ana.key, tmp_path / "empty.cnd", "-o", tmp_path / "empty.out").returncode == 0
    assert (tmp_path / "empty.out").read_bytes() == b""


def test_existing_output_is_kept_unless_forced(tmp_path, run_cli, reviewer_kit) -> None:
    ana = reviewer_kit["ana"]
    (tmp_path / "in").write_bytes(b"new content")
    (tmp_path / "out.cnd").write_bytes(b"precious")
    assert_one_line_error(
        run_cli("seal", "--to", ana.pub, tmp_path / "in", "-o", tmp_path / "out.cnd"), contains="already exists"
    )
    assert (tmp_path / "out.cnd").read_bytes() == b"precious"
    assert run_cli("seal", "--to", ana.pub, tmp_path / "in", "-o", tmp_path / "out.cnd", "--force").returncode == 0
    (tmp_path / "plain").write_bytes(b"precious")
    assert_one_line_error(run_cli("open", "--key", ana.key, tmp_path / "out.cnd", "-o", tmp_path / "plain"))
    assert (tmp_path / "plain").read_bytes() == b"precious"
    assert run_cli("open", "--key", ana.key, tmp_path / "out.cnd", "-o", tmp_path / "plain", "--force").returncode == 0
    assert (tmp_path / "plain").read_bytes() == b"new content"


def test_seal_errors(tmp_path, run_cli, reviewer_kit) -> None:
    ana = reviewer_kit["ana"]
    (tmp_path / "in").write_bytes(b"x")
    out = tmp_path / "out"
    assert_one_line_error(run_cli("seal", "--to", tmp_path / "nope.pub", tmp_path / "in", "-o", out), contains="nope")
    assert_one_line_error(run_cli("seal", "--to", ana.pub, tmp_path / "missing", "-o", out), contains="missing")
    assert_one_line_error(run_cli("seal", "--to", ana.key, tmp_path / "in", "-o", out), contains="public identity")
    assert_one_line_error(
        run_cli("seal", "--to", ana.pub, "--to", ana.pub, tmp_path / "in", "-o", out), contains="twice"
    )
    damaged = tmp_path / "damaged.pub"
    line = ana.pub.read_text().splitlines()[-1]
    damaged.write_text(line[:-8] + ("A" if line[-8] != "A" else "B") + line[-7:] + "\n")
    assert_one_line_error(run_cli("seal", "--to", damaged, tmp_path / "in", "-o", out), contains="damaged.pub")
    assert_one_line_error(run_cli("seal", "--to", ana.pub, tmp_path / "in", "-o", tmp_path / "no" / "dir" / "x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.pub", "in"]


def test_open_errors_before_any_decryption(tmp_path, run_cli, reviewer_kit) -> None:
    ana = reviewer_kit["ana"]
    (tmp_path / "in").write_bytes(b"secret")
    assert run_cli("seal", "--to", ana.pub, tmp_path / "in", "-o", tmp_path / "env").returncode == 0
    out = tmp_path / "out"
    wrong = tmp_path / "wrong-passphrase"
    wrong.write_text("not the passphrase\n")
    cases = [
        (run_cli("open", "--key", ana.key, tmp_path / "env", "-o", out, passphrase=wrong), "wrong passphrase"),
        (run_cli("open", "--key", ana.pub, tmp_path / "env", "-o", out), "not a Candour private key"),
        (run_cli("open", "--key", tmp_path / "none.key", tmp_path / "env", "-o", out), "no key file"),
        (run_cli("open", "--key", ana.key, tmp_path / "missing", "-o", out), "missing"),
        (run_cli("open", "--key", ana.key, tmp_path / "in", "-o", out), "not a Candour envelope"),
        (run_cli("open", "--key", ana.key, tmp_path / "env", "-o", out, passphrase=tmp_path / "nofile"), "passphrase"),
    ]
    for result, message in cases:
        assert_one_line_error(result, contains=message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env", "in", "wrong-passphrase"]


def test_wrong_version_and_bundle_given_to_open(tmp_path, run_cli, reviewer_kit) -> None:
    ana = reviewer_kit["ana"]
    (tmp_path / "in").write_bytes(b"secret")
    assert run_cli("seal", "--to", ana.pub, tmp_path / "in", "-o", tmp_path / "env").returncode == 0
    data = bytearray((tmp_path / "env").read_bytes())
    data[7] = 2
    (tmp_path / "v2").write_bytes(data)
    assert_one_line_error(
        run_cli("open", "--key", ana.key, tmp_path / "v2", "-o", tmp_path / "o"), contains="version 2"
    )
    (tmp_path / "bundle.zip").write_bytes(b"PK\x03\x04" + bytes(100))
    result = run_cli("open", "--key", ana.key, tmp_path / "bundle.zip", "-o", tmp_path / "o")
    assert_one_line_error(result, contains="decrypt")
    assert not (tmp_path / "o").exists()


# --- the big two-reviewer test ----------------------------------------------------------


@pytest.fixture(scope="module")
def sealed_200mb(tmp_path_factory, run_cli, reviewer_kit):
    directory = tmp_path_factory.mktemp("big")
    source = directory / "evidence.bin"
    write_random_file(source, 200 * MIB)
    started = time.monotonic()
    result = run_cli(
        "seal", "--to", reviewer_kit["ana"].pub, "--to", reviewer_kit["ben"].pub, source, "-o", directory / "e.cnd"
    )
    seal_seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    yield source, directory / "e.cnd", sha256_of(source), seal_seconds
    for path in directory.iterdir():
        path.unlink()


def test_two_reviewers_open_200mb_to_identical_bytes(tmp_path, run_cli, reviewer_kit, sealed_200mb) -> None:
    source, envelope, digest, seal_seconds = sealed_200mb
    timings = {}
    for name in ("ana", "ben"):
        started = time.monotonic()
        result = run_cli("open", "--key", reviewer_kit[name].key, envelope, "-o", tmp_path / f"{name}.bin")
        timings[name] = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert sha256_of(tmp_path / f"{name}.bin") == digest
    print(f"\n200 MB: seal {seal_seconds:.1f} s, open ana {timings['ana']:.1f} s, ben {timings['ben']:.1f} s")
    third = run_cli("open", "--key", reviewer_kit["cat"].key, envelope, "-o", tmp_path / "cat.bin")
    assert_one_line_error(third, contains="not sealed to your key")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ana.bin", "ben.bin"]


def _flip(path: Path, offset: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x01]))


def test_damaged_200mb_envelope_leaves_no_output(tmp_path, run_cli, reviewer_kit, sealed_200mb) -> None:
    _, envelope, _, _ = sealed_200mb
    size = envelope.stat().st_size
    header = header_size(2)
    chunks = (size - header + SEALED_CHUNK_SIZE - 1) // SEALED_CHUNK_SIZE
    damaged = tmp_path / "damaged.cnd"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    ben = reviewer_kit["ben"]

    def attempt(message: str) -> None:
        result = run_cli("open", "--key", ben.key, damaged, "-o", out_dir / "plain.bin")
        assert_one_line_error(result, contains=message)
        assert list(out_dir.iterdir()) == [], "a failed open left a file behind"

    def fresh_copy() -> None:
        damaged.unlink(missing_ok=True)
        shutil.copyfile(envelope, damaged)

    fresh_copy()
    flips = {
        "submission id in the header": (10, "header was altered"),
        "ben's stanza": (28 + 88 + 8 + 20, "does not open with your key"),
        "stream header": (28 + 2 * 88 + 3, "header was altered"),
        "middle chunk": (header + (chunks // 2) * SEALED_CHUNK_SIZE + 1000, "failed authentication"),
        "last chunk": (size - 5, "failed authentication"),
    }
    for offset, message in flips.values():
        _flip(damaged, offset)
        attempt(message)
        _flip(damaged, offset)  # undo: the next case starts from a valid envelope
    # Cut at a chunk boundary, then inside a chunk.
    os.truncate(damaged, header + 3 * SEALED_CHUNK_SIZE)
    attempt("cut short")
    fresh_copy()
    os.truncate(damaged, size - 1)
    attempt("cut short")
    fresh_copy()
    with damaged.open("ab") as handle:
        handle.write(b"appended")
    attempt("extra bytes")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.cnd", "out"]


# --- memory: 500 MB through seal and open ---------------------------------------------

MEASURE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mib(arguments: list[str], passphrase_file: Path) -> float:
    """Max RSS of one `python -m crypto` run, measured in a fresh child that runs only it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOUR_")}
    env["CANDOUR_PASSPHRASE_FILE"] = str(passphrase_file)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "crypto", *arguments],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=280,
    )
    return int(result.stdout.strip()) / 1024  # ru_maxrss is in KiB on Linux


def test_seal_and_open_500mb_stay_under_100mb(tmp_path, reviewer_kit, passphrase_file) -> None:
    ana = reviewer_kit["ana"]
    source = tmp_path / "big.bin"
    with source.open("wb") as handle:  # sparse: instant to write, still 500 MB to read
        handle.truncate(500 * MIB)
        handle.seek(123 * MIB)
        handle.write(b"not all zeros")
    sealed, opened = tmp_path / "big.cnd", tmp_path / "big.out"
    started = time.monotonic()
    seal_peak = peak_rss_mib(["seal", "--to", str(ana.pub), str(source), "-o", str(sealed)], passphrase_file)
    middle = time.monotonic()
    open_peak = peak_rss_mib(["open", "--key", str(ana.key), str(sealed), "-o", str(opened)], passphrase_file)
    finished = time.monotonic()
    print(
        f"\n500 MB: seal peak RSS {seal_peak:.1f} MiB in {middle - started:.1f} s, "
        f"open peak RSS {open_peak:.1f} MiB in {finished - middle:.1f} s"
    )
    assert opened.stat().st_size == source.stat().st_size
    assert sha256_of(opened) == sha256_of(source)
    assert seal_peak < 100
    assert open_peak < 100


# --- the organisation key and the signed list -------------------------------------------


@pytest.fixture(scope="module")
def org_dir(tmp_path_factory, run_cli):
    directory = tmp_path_factory.mktemp("org")
    result = run_cli("org", "keygen", "--name", "Acme Ltd", "--dir", directory, "--kdf", "interactive")
    assert result.returncode == 0, result.stderr
    return directory


def test_org_keygen(org_dir, run_cli) -> None:
    keys = load_org_keys(org_dir / "org.key", PASSPHRASE)
    assert parse_org_identity((org_dir / "org.pub").read_text()) == keys.public
    assert stat.S_IMODE((org_dir / "org.key").stat().st_mode) == 0o600
    assert "fingerprint" in (org_dir / "org.pub").read_text()
    again = run_cli("org", "keygen", "--name", "Acme Ltd", "--dir", org_dir, "--kdf", "interactive")
    assert_one_line_error(again, contains="already exists")


def test_org_sign_with_reviewer_specs_and_verify(tmp_path, org_dir, run_cli, reviewer_kit) -> None:
    ana, ben = reviewer_kit["ana"], reviewer_kit["ben"]
    listing = tmp_path / "reviewers.signed.json"
    result = run_cli(
        "org", "sign", "--key", org_dir / "org.key",
        "--reviewer", f"{ana.pub}:Ana Silva:Compliance officer:required",
        "--reviewer", f"{ben.pub}",
        "--serial", "2", "--issued", "2026-11-25", "-o", listing,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    signed = verify_reviewer_list(listing.read_bytes())
    assert signed.serial == 2 and signed.issued == "2026-11-25" and signed.organisation == "Acme Ltd"
    assert [(r.display_name, r.role, r.required) for r in signed.reviewers] == [
        ("Ana Silva", "Compliance officer", True),
        ("ben", "", False),
    ]
    org_fingerprint = load_org_keys(org_dir / "org.key", PASSPHRASE).public.fingerprint
    for extra in ([], ["--org", str(org_dir / "org.pub")], ["--org-fingerprint", org_fingerprint.upper()]):
        checked = run_cli("verify", listing, *extra)
        assert checked.returncode == 0, checked.stderr
        assert "Ana Silva" in checked.stdout and org_fingerprint in checked.stdout
        assert ana.identity.fingerprint in checked.stdout
    assert "compare" in run_cli("verify", listing).stdout  # no org given: the tool says to compare the words
    assert_one_line_error(
        run_cli("org", "sign", "--key", org_dir / "org.key", "--serial", "3", "-o", listing), status=2
    )


def test_org_sign_with_entries_file(tmp_path, org_dir, run_cli, reviewer_kit) -> None:
    entries = tmp_path / "entries.json"
    (tmp_path / "keys").mkdir()
    for name in ("ana", "cat"):
        (tmp_path / "keys" / f"{name}.pub").write_bytes(reviewer_kit[name].pub.read_bytes())
    entries.write_text(
        json.dumps(
            [
                {"pub": "keys/ana.pub", "display_name": "Ana: the chair", "role": "Chair", "required": True},
                {"pub": "keys/cat.pub", "role": "Independent adviser"},
            ]
        )
    )
    listing = tmp_path / "list.json"
    result = run_cli("org", "sign", "--key", org_dir / "org.key", "--entries", entries, "--serial", "1", "-o", listing)
    assert result.returncode == 0, result.stderr
    signed = verify_reviewer_list(listing.read_bytes())
    assert [(r.display_name, r.role, r.required) for r in signed.reviewers] == [
        ("Ana: the chair", "Chair", True),
        ("cat", "Independent adviser", False),
    ]


def test_org_sign_errors(tmp_path, org_dir, run_cli, reviewer_kit) -> None:
    ana = reviewer_kit["ana"]
    key = org_dir / "org.key"
    out = tmp_path / "list.json"
    base = ("org", "sign", "--key", key, "-o", out)
    assert_one_line_error(run_cli(*base, "--reviewer", ana.pub, "--serial", "0"), status=2, contains="serial")
    assert_one_line_error(run_cli(*base, "--reviewer", f"{ana.pub}:A:B:maybe", "--serial", "1"), status=2)
    assert_one_line_error(
        run_cli(*base, "--reviewer", ana.pub, "--reviewer", ana.pub, "--serial", "1"), contains="twice"
    )
    assert_one_line_error(run_cli(*base, "--reviewer", ana.pub, "--serial", "1", "--issued", "2026-13-01"), status=2)
    reviewer_key = ("org", "sign", "--key", ana.key, "--reviewer", ana.pub, "--serial", "1", "-o", out)
    assert_one_line_error(run_cli(*reviewer_key), contains="not the organisation key")
    (tmp_path / "bad.json").write_text('[{"pub": "x.pub", "colour": "red"}]')
    assert_one_line_error(run_cli(*base, "--entries", tmp_path / "bad.json", "--serial", "1"), contains="bad.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_verify_refuses_tampered_or_foreign_lists(tmp_path, org_dir, run_cli, reviewer_kit) -> None:
    listing = tmp_path / "list.json"
    key = org_dir / "org.key"
    assert (
        run_cli(
            "org", "sign", "--key", key, "--reviewer", reviewer_kit["ana"].pub, "--serial", "1", "-o", listing
        ).returncode
        == 0
    )
    other = tmp_path / "other"
    assert run_cli("org", "keygen", "--name", "Other", "--dir", other, "--kdf", "interactive").returncode == 0
    assert_one_line_error(run_cli("verify", listing, "--org", other / "org.pub"), contains="another organisation key")
    other_fingerprint = load_org_keys(other / "org.key", PASSPHRASE).public.fingerprint
    assert_one_line_error(
        run_cli("verify", listing, "--org-fingerprint", other_fingerprint), contains="not the expected"
    )
    document = json.loads(listing.read_text())
    document["signature"] = ("A" if document["signature"][0] != "A" else "B") + document["signature"][1:]
    (tmp_path / "tampered.json").write_text(json.dumps(document))
    assert_one_line_error(run_cli("verify", tmp_path / "tampered.json"), contains="signature")
    (tmp_path / "junk.json").write_text('{"format": "something-else"}')
    assert_one_line_error(run_cli("verify", tmp_path / "junk.json"), contains="neither")
    (tmp_path / "binary").write_bytes(os.urandom(100))
    assert_one_line_error(run_cli("verify", tmp_path / "binary"), contains="neither")
    assert_one_line_error(run_cli("verify", tmp_path / "missing.json"), contains="missing.json")
    assert_one_line_error(run_cli("verify", listing, "--org", "a", "--org-fingerprint", "b"), status=2)


def test_the_parser_names_the_key_derivation_profiles_the_key_code_knows() -> None:
    # crypto.cli.parser lists them itself so that --help does not import the key-file code.
    from crypto.cli.parser import KDF_CHOICES
    from crypto.identity import KDF_PROFILES

    assert sorted(KDF_CHOICES) == sorted(KDF_PROFILES)


def test_help_imports_no_command_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from crypto.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('crypto.', 'nacl'))))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for heavy in ("nacl", "crypto.bundle", "crypto.casefolder", "crypto.identity", "crypto.envelope"):
        assert f"'{heavy}'" not in loaded, loaded
