"""Valid objects to start from, and ways to damage them, for the parser fuzzing.

Shared by tests/fuzz/test_parser_fuzz.py (hypothesis) and the atheris harnesses in
tests/fuzz/atheris_*.py. Every valid object is made with the real writing code
(sealing, signing, BundleWriter's manifest helpers); keys come from fixed seeds so a
failing example names the same keys on every run. Nothing cryptographic is faked:
the one seam, `cheap_key_file_kdf`, runs real Argon2id at its minimum cost so that a
fuzzed key file cannot make a test allocate a gibibyte.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import math
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import nacl.pwhash.argon2id as real_argon2id
from hypothesis import strategies as st
from nacl import bindings

from tests.support.export_builder import CaseBuilder

import crypto.identity
from crypto.bundle import (
    BUNDLE_FORMAT,
    BUNDLE_JSON,
    BUNDLE_VERSION,
    MANIFEST_MEMBER,
    bundle_manifest,
    reviewer_entry,
)
from crypto.codename import ReporterKeys, reporter_keys_from_master
from crypto.envelope import new_submission_id, seal_bytes
from crypto.identity import OrgKeys, ReviewerKeys, b64url
from crypto.org import ListedReviewer, sign_reviewer_list
from crypto.padding import pad
from crypto.reply import SignedReply, StatusChange, make_reply
from crypto.replyfile import reply_file_bytes
from crypto.strict_json import dumps_compact
from crypto.submission import SIGNATURE_CONTEXT, AttachmentInfo, ReporterPublic, build_manifest

DAY = "2026-11-28"


# --- fixed keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """The keys every fuzzed object is made with: three reviewers, a reporter, an organisation."""

    alice: ReviewerKeys
    bob: ReviewerKeys
    carol: ReviewerKeys
    reporter: ReporterKeys
    other_reporter: ReporterKeys
    org: OrgKeys

    @property
    def reviewers(self) -> list[ReviewerKeys]:
        return [self.alice, self.bob, self.carol]

    @property
    def reporter_public(self) -> ReporterPublic:
        return ReporterPublic.from_keys(self.reporter)


@cache
def world() -> World:
    return World(
        alice=ReviewerKeys("alice", bytes([1]) * 32),
        bob=ReviewerKeys("bob", bytes([2]) * 32),
        carol=ReviewerKeys("carol", bytes([3]) * 32),
        reporter=reporter_keys_from_master(bytes([4]) * 32),
        other_reporter=reporter_keys_from_master(bytes([5]) * 32),
        org=OrgKeys("Example Org", bytes([6]) * 32),
    )


# --- valid objects --------------------------------------------------------------------------

CASE_ID = bytes(range(16))
FOLLOWUP_ID = bytes(range(16, 32))


def sign_part0(manifest: bytes, reporter: ReporterKeys) -> bytes:
    """Part 0's plaintext for `manifest`, signed as `seal_submission_text_part` signs it."""
    signature = reporter.signing_key.sign(SIGNATURE_CONTEXT + manifest).signature
    return dumps_compact({"signed": b64url(manifest), "signature": b64url(signature)})


@cache
def valid_manifest() -> bytes:
    w = world()
    attachments = [
        AttachmentInfo(part=1, name="minutes.pdf", type="application/pdf", size=1234, header_hash=bytes(32)),
        AttachmentInfo(part=2, name="photo.jpg", type="image/jpeg", size=0, header_hash=bytes([7]) * 32),
    ]
    fields = {
        "category": "fraud",
        "what": "Invoices were doubled.",
        "when": "2026",
        "where": "",
        "who": "",
        "outcome": "",
    }
    return build_manifest(CASE_ID, "report", None, DAY, w.reporter_public, fields, attachments)


@cache
def valid_followup_manifest() -> bytes:
    w = world()
    return build_manifest(
        FOLLOWUP_ID, "followup", CASE_ID.hex(), DAY, w.reporter_public, {"message": "One more thing."}, []
    )


@cache
def valid_reply() -> SignedReply:
    w = world()
    return make_reply(
        w.alice,
        CASE_ID.hex(),
        w.reporter.reply_public_key,
        [w.alice.public, w.bob.public],
        1,
        DAY,
        "Thank you; we are looking into it.",
        StatusChange("investigating", None, "enough detail to start"),
    )


@cache
def valid_replies() -> tuple[SignedReply, ...]:
    w = world()
    second = make_reply(
        w.bob, CASE_ID.hex(), w.reporter.reply_public_key, [w.alice.public, w.bob.public], 1, DAY, "Noted.", None
    )
    return valid_reply(), second


def reply_body_bytes(reply_case: str = CASE_ID.hex(), seq: int = 1, text: str = "Thank you.") -> bytes:
    return dumps_compact(
        {
            "format": "candour-reply-body",
            "version": 1,
            "case": reply_case,
            "seq": seq,
            "reviewer_key_id": world().alice.key_id.hex(),
            "text": text,
        }
    )


def seal_for_reporter(body: bytes, *, padded: bool = True) -> bytes:
    return bindings.crypto_box_seal(pad(body) if padded else body, world().reporter.reply_public_key)


@cache
def valid_reply_file() -> bytes:
    return reply_file_bytes(valid_replies())


@cache
def valid_envelopes() -> tuple[bytes, ...]:
    """Envelopes alice can open: one recipient, three recipients, and one of two chunks."""
    w = world()
    return (
        seal_bytes(b"hello", [w.alice], new_submission_id(), 0),
        seal_bytes(b"\x80\x00" * 40 + b"x", [w.bob, w.alice, w.carol], new_submission_id(), 7),
        seal_bytes(bytes(range(256)) * 300, [w.alice, w.bob], new_submission_id(), 63),
    )


ENVELOPE_PLAINTEXTS = (b"hello", b"\x80\x00" * 40 + b"x", bytes(range(256)) * 300)


@cache
def valid_reviewer_list() -> bytes:
    w = world()
    entries = [
        ListedReviewer(w.alice.public, "Alice Example", "ethics officer", True),
        ListedReviewer(w.bob.public, "Bob Example", "", False),
    ]
    return sign_reviewer_list(w.org, entries, 3, DAY)


def sign_list_body(body: bytes) -> bytes:
    """A reviewer-list document around `body`, signed by the organisation (so the body checks are reached)."""
    from crypto.org import LIST_CONTEXT

    org = world().org
    document = {
        "format": "candour-reviewer-list",
        "version": 1,
        "org": org.public.to_line(),
        "body": b64url(body),
        "signature": b64url(org.signing_key.sign(LIST_CONTEXT + body).signature),
    }
    return json.dumps(document).encode("utf-8")


# --- export bundles ---------------------------------------------------------------------------


@dataclass
class BundleParts:
    """A bundle's pieces before they are zipped: mutate any of them, then `zip_bundle`."""

    bundle_json: dict[str, Any]
    manifest: dict[str, Any]
    members: dict[str, bytes]
    cases: list[CaseBuilder] = field(default_factory=list)


@cache
def _valid_bundle_parts() -> BundleParts:
    w = world()
    recipients = [w.alice.public, w.bob.public]
    case = CaseBuilder(recipients, w.reporter, {"what": "Invoices were doubled.", "category": "fraud"})
    case.with_report(attachments=[("minutes.pdf", b"%PDF-1.7 minutes"), ("notes.txt", b"")])
    case.with_followup("2026-11-21", "One more thing.", attachments=[("more.txt", b"more")])
    case.reply(w.alice, 1, "2026-11-22", "Thank you.", StatusChange("investigating", None, "on it"))
    case.reply(w.bob, 1, "2026-11-23", "Noted.")
    manifest = bundle_manifest(
        reviewer_key_id=w.alice.key_id,
        day=DAY,
        since=0,
        until=1,
        reviewers=[
            reviewer_entry(w.alice.public, "Alice Example", "ethics officer", True),
            reviewer_entry(w.bob.public, "Bob Example", "", False),
        ],
        cases=[case.entry()],
    )
    bundle_json = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "reviewer_key_id": w.alice.key_id.hex(),
        "day": DAY,
    }
    return BundleParts(bundle_json, manifest, dict(case.blobs), [case])


def valid_bundle_parts() -> BundleParts:
    """A fresh deep copy (tests mutate it)."""
    parts = _valid_bundle_parts()
    return BundleParts(
        json.loads(json.dumps(parts.bundle_json)),
        json.loads(json.dumps(parts.manifest)),
        dict(parts.members),
        parts.cases,
    )


def zip_bundle(
    bundle_json: bytes,
    manifest_plaintext: bytes | None,
    members: dict[str, bytes],
    *,
    sealed_manifest: bytes | None = None,
) -> bytes:
    """A stored ZIP as BundleWriter writes one, but with whatever JSON it is given (no checks)."""
    if sealed_manifest is None:
        assert manifest_plaintext is not None
        sealed_manifest = seal_bytes(manifest_plaintext, [world().alice], new_submission_id(), 0)
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo(BUNDLE_JSON, date_time=(2026, 11, 28, 0, 0, 0)), bundle_json)
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 28, 0, 0, 0)), data)
        archive.writestr(zipfile.ZipInfo(MANIFEST_MEMBER, date_time=(2026, 11, 28, 0, 0, 0)), sealed_manifest)
    return sink.getvalue()


@cache
def valid_bundle() -> bytes:
    parts = _valid_bundle_parts()
    return zip_bundle(dumps_compact(parts.bundle_json), dumps_compact(parts.manifest), parts.members)


# --- key files ------------------------------------------------------------------------------


class _CheapArgon2id(ModuleType):
    """`nacl.pwhash.argon2id` with `kdf` at minimum cost, recording the cost each call asked for."""

    def __init__(self) -> None:
        super().__init__("cheap_argon2id")
        self.requested: list[tuple[int, int]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(real_argon2id, name)

    def kdf(self, size: int, password: bytes, salt: bytes, *, opslimit: int, memlimit: int) -> bytes:
        self.requested.append((opslimit, memlimit))
        return real_argon2id.kdf(
            size, password, salt, opslimit=real_argon2id.OPSLIMIT_MIN, memlimit=real_argon2id.MEMLIMIT_MIN
        )


@contextmanager
def cheap_key_file_kdf() -> Iterator[_CheapArgon2id]:
    """While active, key files are written and read with real but minimum-cost Argon2id."""
    shim = _CheapArgon2id()
    saved = crypto.identity.argon2id
    crypto.identity.argon2id = shim  # type: ignore[assignment]
    try:
        yield shim
    finally:
        crypto.identity.argon2id = saved


KEY_PASSPHRASE = "correct horse battery staple"


@cache
def valid_key_file_document() -> dict[str, Any]:
    """A reviewer key file, written by `save_private_key` (under the cheap KDF)."""
    import tempfile

    from crypto.identity import save_private_key

    with cheap_key_file_kdf(), tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "alice.key"
        save_private_key(world().alice, path, KEY_PASSPHRASE, profile="interactive")
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


# --- damaging bytes ----------------------------------------------------------------------------

BYTE_OPS = ("flip", "set", "delete", "insert", "truncate", "duplicate", "append", "swap", "zero")


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes, max_ops: int = 4) -> bytes:
    """`data` after 1..max_ops flips, drops, insertions, truncations, duplications or swaps."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(BYTE_OPS))
        size = len(out)
        if op in ("append", "insert") or size == 0:
            extra = draw(st.binary(min_size=1, max_size=64))
            at = size if op == "append" or size == 0 else draw(st.integers(0, size))
            out[at:at] = extra
            continue
        at = draw(st.integers(0, size - 1))
        length = draw(st.integers(1, max(1, min(64, size - at))))
        if op == "flip":
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            out[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del out[at : at + length]
        elif op == "truncate":
            del out[at:]
        elif op == "duplicate":
            out[at:at] = out[at : at + length]
        elif op == "zero":
            out[at : at + length] = bytes(len(out[at : at + length]))
        else:  # swap two pieces
            other = draw(st.integers(0, size - 1))
            first, second = bytes(out[at : at + length]), bytes(out[other : other + length])
            if len(first) == len(second):
                out[at : at + length], out[other : other + length] = second, first
    return bytes(out)


# --- damaging JSON -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A JSON fragment written as it stands (huge numbers, NaN, escapes, depth bombs)."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """An object written from a list of pairs, so a key can appear twice."""

    items: tuple[tuple[str, Any], ...]


def to_json_text(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json_text(v)}" for k, v in value.items) + "}"
    if isinstance(value, dict):
        return to_json_text(Pairs(tuple(value.items())))
    if isinstance(value, list):
        return "[" + ",".join(to_json_text(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)  # NaN / Infinity: what a lenient writer emits
    return json.dumps(value, ensure_ascii=False)


def to_json_bytes(value: Any) -> bytes:
    # surrogatepass: a lone surrogate becomes the invalid UTF-8 a hostile writer could send.
    return to_json_text(value).encode("utf-8", errors="surrogatepass")


def depth_bomb(depth: int, opener: str = "[", closer: str = "]", core: str = "") -> Raw:
    return Raw(opener * depth + core + closer * depth)


NASTY_CONSTANTS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    2,
    63,
    64,
    999_999_999,
    1_000_000_000,
    2**63 - 1,
    2**63,
    -(2**63),
    2**64,
    1.0,
    1.5,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    "",
    " ",
    "null",
    "0",
    "report",
    "followup",
    "2026-02-30",
    "2026-11-28 ",
    "0000-00-00",
    "AAAA",
    "AA==",
    "A",
    "\x00",
    "\u202e",
    "cases/../../etc/passwd",
    [],
    {},
    [[]],
    {"": None},
    [None] * 3,
)
NASTY_RAW = (
    Raw("1" * 5000),
    Raw("-" + "9" * 4400),
    Raw("1e400"),
    Raw("-1e400"),
    Raw("1E-400"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw('"\\ud800"'),
    Raw('"\\udfff\\ud800"'),
    Raw('"\\u0000"'),
    Raw("01"),
    Raw("0x10"),
    Raw("+1"),
    Raw("1."),
    Raw("'x'"),
    Raw("tru"),
    Raw("[1,]"),
    Raw('{"a":1,}'),
    Raw("\ufeff1"),
    depth_bomb(5_000),
    depth_bomb(3_000, '{"a":', "}", "1"),
    depth_bomb(100_000),
)
LONG_STRING_SIZES = (63, 64, 65, 199, 200, 201, 255, 256, 1024, 1025, 2000, 2001, 32 * 1024, 100_000, 100_001)

nasty_values = st.one_of(
    st.sampled_from(NASTY_CONSTANTS),
    st.sampled_from(NASTY_RAW),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.binary(max_size=48).map(b64url),
    st.tuples(st.sampled_from(LONG_STRING_SIZES), st.sampled_from("a\u00e9\U0001f600\x00")).map(lambda t: t[1] * t[0]),
    st.lists(st.integers(), max_size=3),
).map(copy.deepcopy)  # the constants hold lists and dicts that later steps change in place


def _b64_variants(text: str) -> list[str]:
    """Other spellings of a base64url string: what a strict reader must refuse."""
    variants = [text + "=", text + "==", " " + text, text + "\n", text.replace("-", "+").replace("_", "/")]
    if text:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        last = alphabet.find(text[-1])
        if last >= 0:
            variants.append(text[:-1] + alphabet[last ^ 1])  # flips a padding bit when len % 4 != 0
        variants += [text[:-1], text + "A", text.upper()]
    try:
        standard = base64.b64encode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))).decode()
        variants.append(standard)
    except ValueError:
        pass
    return variants


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


JSON_OPS = (
    "replace",
    "replace",
    "replace",
    "respell",
    "delete",
    "add_key",
    "duplicate_key",
    "rename_key",
    "swap",
    "wrap",
    "copy_elsewhere",
)


@st.composite
def mutated_json(draw: st.DrawFn, document: Any, max_ops: int = 3) -> Any:
    """A copy of `document` with 1..max_ops structural changes; serialise with `to_json_bytes`."""
    root = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, max_ops))):
        if isinstance(root, (Raw, Pairs)):
            break  # already unserialisable as a tree: one more change adds nothing
        paths = list(_paths(root))
        path = draw(st.sampled_from(paths))
        target = _get(root, path)
        op = draw(st.sampled_from(JSON_OPS))
        parent = _get(root, path[:-1]) if path else None
        if op == "replace" or (op in ("delete", "rename_key", "duplicate_key", "swap") and not path):
            root = _set(root, path, draw(nasty_values))
        elif op == "respell":
            if isinstance(target, str):
                options = _b64_variants(target) + [target.upper(), target + " ", target[:-1], target * 2]
                root = _set(root, path, draw(st.sampled_from(options)))
            elif isinstance(target, bool):
                root = _set(root, path, int(target))
            elif isinstance(target, int):
                root = _set(
                    root,
                    path,
                    draw(
                        st.sampled_from(
                            [
                                -target,
                                target + 1,
                                target - 1,
                                float(target),
                                Raw(f"{target}.0"),
                                Raw(f"{target}e0"),
                                str(target),
                                target * 10**30,
                            ]
                        )
                    ),
                )
            else:
                root = _set(root, path, draw(nasty_values))
        elif op == "delete":
            del parent[path[-1]]
        elif op == "add_key":
            if isinstance(target, dict):
                target[draw(st.sampled_from(["extra", "", "format", "__proto__", "constructor", "Format"]))] = draw(
                    nasty_values
                )
            elif isinstance(target, list):
                target.insert(
                    draw(st.integers(0, len(target))),
                    draw(nasty_values) if not target else copy.deepcopy(target[0]),
                )
        elif op == "duplicate_key" and isinstance(parent, dict):
            # The second copy wins in a lenient reader; a strict one refuses both orders.
            items = list(parent.items())
            index = list(parent).index(path[-1])
            second = draw(st.one_of(st.just(target), nasty_values))
            items.insert(index + 1, (path[-1], second))
            root = _set(root, path[:-1], Pairs(tuple(items)))
        elif op == "rename_key" and isinstance(parent, dict):
            new_key = draw(st.sampled_from([path[-1].upper(), path[-1] + " ", "x" + path[-1], path[-1][:-1] or "x"]))
            parent[new_key] = parent.pop(path[-1])
        elif op == "swap" and isinstance(parent, (dict, list)) and len(parent) > 1:
            keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
            other = draw(st.sampled_from(keys))
            parent[path[-1]], parent[other] = parent[other], parent[path[-1]]
        elif op == "wrap":
            root = _set(root, path, draw(st.sampled_from([[target], {"value": target}])))
        elif op == "copy_elsewhere":
            source = _get(root, draw(st.sampled_from(paths)))
            root = _set(root, path, copy.deepcopy(source))
        elif isinstance(parent, list):
            del parent[path[-1]]
    return root


def json_text_tricks(data: bytes) -> list[bytes]:
    """Whole-document respellings: a BOM, UTF-16, trailing garbage, whitespace, a second document."""
    return [
        b"\xef\xbb\xbf" + data,
        data.decode("utf-8", "surrogatepass").encode("utf-16"),
        data + b"\x00",
        data + b" x",
        b" \n\t" + data + b"\r\n",
        data + data,
        b"[" + data + b"]",
        data.replace(b":", b": ", 1),
    ]
