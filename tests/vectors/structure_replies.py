"""Vector families for what reviewers make and carry (docs/format.md §8–§10): replies and
their bindings, reply files, export bundles."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nacl.bindings import crypto_box_seal

from tests.support.export_builder import CaseBuilder, write_export
from tests.vectors.structure_cases import REPORT_FIELDS, _reporter
from tests.vectors.structure_common import Vector, accepted, b64u, fixed_bytes, refused, reviewer, unb64u

from crypto.bundle import BUNDLE_JSON, MANIFEST_MEMBER, bundle_manifest, reviewer_entry
from crypto.envelope import seal_bytes
from crypto.identity import ReviewerKeys
from crypto.kdf import hash256
from crypto.padding import pad
from crypto.reply import SIGNATURE_CONTEXT as REPLY_CONTEXT
from crypto.strict_json import dumps_compact

CASE = fixed_bytes("structure vector reply case", 16).hex()
DAY = "2026-11-28"


# --- §8 replies -------------------------------------------------------------------------------


def _statement(author: ReviewerKeys, reporter_key: bytes, seq: int, **overrides: Any) -> dict[str, Any]:
    statement = {
        "format": "candour-reply",
        "version": 1,
        "case": CASE,
        "reporter_reply_key": b64u(reporter_key),
        "reviewer": b64u(bytes(author.signing_key.verify_key)),
        "reviewer_key_id": author.key_id.hex(),
        "seq": seq,
        "day": DAY,
        "status": None,
        "for_reporter_hash": "",
        "for_reviewers_hash": "",
    }
    statement.update(overrides)
    return statement


def _reply(
    author: ReviewerKeys,
    reporter_key: bytes,
    seq: int,
    text: str,
    *,
    for_reviewers: bytes,
    signer: ReviewerKeys | None = None,
    body: dict[str, Any] | None = None,
    for_reporter: bytes | None = None,
    **overrides: Any,
) -> dict[str, str]:
    """A reply built field by field (make_reply refuses the dishonest ones a vector needs)."""
    body = body or {
        "format": "candour-reply-body",
        "version": 1,
        "case": overrides.get("case", CASE),
        "seq": seq,
        "reviewer_key_id": author.key_id.hex(),
        "text": text,
    }
    if for_reporter is None:
        for_reporter = crypto_box_seal(pad(dumps_compact(body)), reporter_key)
    statement = _statement(author, reporter_key, seq, **overrides)
    statement["for_reporter_hash"] = b64u(hash256(for_reporter))
    statement["for_reviewers_hash"] = b64u(hash256(for_reviewers))
    raw = dumps_compact(statement)
    signature = (signer or author).signing_key.sign(REPLY_CONTEXT + raw).signature
    return {
        "statement": b64u(raw),
        "signature": b64u(signature),
        "for_reporter": b64u(for_reporter),
        "for_reviewers": b64u(for_reviewers),
    }


def reply_vectors() -> Iterator[Vector]:
    alice, bob, mallory = reviewer("reply alice", "Alice"), reviewer("reply bob", "Bob"), reviewer("reply mallory")
    reporter, other_reporter = _reporter("reply reporter"), _reporter("reply other")
    key = reporter.reply_public_key
    # The reviewers' copy is opaque to these checks (the server cannot open it; only its hash
    # is bound), so every vector carries the same real envelope to keep the files small.
    shared = seal_bytes(b'{"reviewers copy":"opaque here"}', [alice, bob], fixed_bytes("reply copy", 16), 0)

    def vector(
        case: str, description: str, reply: dict[str, str], expected: Any, *, last: int = 0, recipients: Any = None
    ) -> Vector:
        given = {
            "known_reviewers": [alice.public.to_line(), bob.public.to_line()],
            "case": CASE,
            "reporter_reply_key": b64u(key),
            "reporter_reply_secret_key": reporter.reply_secret_key.hex(),
            "case_recipients": recipients or [alice.key_id.hex(), bob.key_id.hex()],
            "last_seq": {alice.key_id.hex(): last},
            "reply": reply,
        }
        return Vector("reply", case, "§8", description, given, expected)

    def make(seq: int = 1, text: str = "Thank you for your report.", **options: Any) -> dict[str, str]:
        return _reply(
            options.pop("author", alice), options.pop("reporter_key", key), seq, text, for_reviewers=shared, **options
        )

    yield vector(
        "valid",
        "a first reply",
        make(),
        accepted(seq=1, reviewer_key_id=alice.key_id.hex(), text="Thank you for your report."),
    )
    acknowledged = {"status": "acknowledged", "outcome": None, "reason": "Received and read."}
    yield vector(
        "valid-status-only",
        "a second reply: a status change with empty text",
        make(2, "", status=acknowledged),
        accepted(seq=2, text="", status=acknowledged),
        last=1,
    )
    yield vector(
        "wrong-case",
        "a reply signed for another case",
        make(case=fixed_bytes("other case", 16).hex()),
        refused("BindingError"),
    )
    yield vector(
        "wrong-reporter-key",
        "a reply sealed and signed for another reporter's key",
        make(reporter_key=other_reporter.reply_public_key),
        refused("BindingError"),
    )
    yield vector("replayed-seq", "seq 1 when 1 was already accepted", make(), refused("SequenceError"), last=1)
    yield vector(
        "skipped-seq",
        "seq 3 when 1 was the last accepted: any greater seq is accepted (the reporter's view marks 2 missing)",
        make(3),
        accepted(seq=3),
        last=1,
    )
    yield vector(
        "not-a-recipient",
        "Bob is a known reviewer but the case was sealed to Alice only",
        make(author=bob),
        refused("BindingError"),
        recipients=[alice.key_id.hex()],
    )
    yield vector("unknown-signer", "signed by a key on no list", make(author=mallory), refused("SignatureError"))
    yield vector(
        "signed-by-other", "Alice's statement signed by Bob's key", make(signer=bob), refused("SignatureError")
    )
    yield vector(
        "key-id-other-signing-key",
        "Alice's key id with Bob's signing key, signed by Bob",
        make(reviewer=b64u(bytes(bob.signing_key.verify_key)), signer=bob),
        refused("BindingError"),
    )
    valid = make()
    tampered = dict(valid)
    raw = bytearray(json.dumps(json.loads(_unb64(valid["statement"])), separators=(",", ":")).encode())
    raw[raw.index(b'"day":"2026-11-28"') + 16] = ord("9")  # 2026-11-29: still a day
    tampered["statement"] = b64u(bytes(raw))
    yield vector("tampered-statement", "the statement's day changed after signing", tampered, refused("SignatureError"))
    swapped = dict(valid)
    swapped["for_reporter"] = make(text="Another reply's text.")["for_reporter"]
    yield vector("for-reporter-swapped", "the reporter's copy from another reply", swapped, refused("BindingError"))
    short = dict(valid)
    short["signature"] = b64u(_unb64(valid["signature"])[:63])
    yield vector("signature-63-bytes", "a 63-byte signature", short, refused("SignatureError"))
    yield vector("seq-zero", "seq 0", make(0), refused("LimitError"))
    yield vector("seq-too-large", "seq 1,000,000,000", make(1_000_000_000), refused("LimitError"), last=999_999_999)
    yield vector("seq-max", "seq 999,999,999", make(999_999_999), accepted(seq=999_999_999), last=999_999_998)
    yield vector(
        "outcome-empty",
        'an outcome of "" (a name or null)',
        make(status={**acknowledged, "outcome": ""}),
        refused("FormatError"),
    )
    yield vector(
        "reason-2001",
        "a reason of 2,001 characters",
        make(status={**acknowledged, "reason": "r" * 2001}),
        refused("LimitError"),
    )
    yield vector(
        "status-name-65",
        "a status name of 65 characters",
        make(status={**acknowledged, "status": "s" * 65}),
        refused("LimitError"),
    )
    yield vector(
        "status-name-not-identifier",
        "a status name with capitals and a space (names are a-z, 0-9 and _)",
        make(status={**acknowledged, "status": "Acknowledged Now"}),
        refused("FormatError"),
    )
    yield vector("empty-without-status", "empty text and no status change", make(text=""), refused("FormatError"))
    yield vector(
        "body-other-seq",
        "the reporter's copy says seq 2, the statement 1",
        make(
            body={
                "format": "candour-reply-body",
                "version": 1,
                "case": CASE,
                "seq": 2,
                "reviewer_key_id": alice.key_id.hex(),
                "text": "x",
            }
        ),
        refused("BindingError"),
    )
    yield vector(
        "text-carriage-return",
        "CR in the reply's text (only LF among control characters)",
        make(text="Line one\r\nLine two"),
        refused("FormatError"),
    )
    yield vector("text-rlo", "U+202E in the reply's text", make(text="Ignore \u202eesrever"), refused("FormatError"))


def _unb64(text: str) -> bytes:
    return unb64u(text)


# --- §9 reply files ---------------------------------------------------------------------------


def replyfile_vectors() -> Iterator[Vector]:
    alice = reviewer("reply file alice", "Alice")
    reporter = _reporter("reply file reporter")
    entry = _reply(alice, reporter.reply_public_key, 1, "One.", for_reviewers=b"reviewers copy")
    second = _reply(alice, reporter.reply_public_key, 2, "Two.", for_reviewers=b"reviewers copy 2")

    def document(replies: list[dict[str, str]], **overrides: Any) -> dict[str, Any]:
        return {"format": "candour-reply-file", "version": 1, "replies": replies, **overrides}

    def vector(case: str, description: str, content: Any, expected: Any) -> Vector:
        text = content if isinstance(content, str) else json.dumps(content, separators=(",", ":"))
        return Vector("replyfile", case, "§9", description, {"file": b64u(text.encode("utf-8"))}, expected)

    yield vector(
        "valid",
        "two replies, in file order",
        document([entry, second]),
        accepted(count=2, statements=[entry["statement"], second["statement"]]),
    )
    yield vector("empty-list", "no replies", document([]), accepted(count=0))
    yield vector("not-json", "not JSON", "candour", refused("ReplyFileError"))
    yield vector("version-2", "a reply file of version 2", document([entry], version=2), refused("ReplyFileError"))
    yield vector(
        "wrong-format", "format 'candour-bundle'", document([entry], format="candour-bundle"), refused("ReplyFileError")
    )
    yield vector("extra-key", "a key not in §9", document([entry], note=""), refused("ReplyFileError"))
    raw = json.dumps(document([entry]), separators=(",", ":"))
    yield vector("duplicate-key", "'version' twice", raw[:-1] + ',"version":1}', refused("ReplyFileError"))
    yield vector(
        "entry-missing-key",
        "a reply without for_reviewers",
        document([{k: v for k, v in entry.items() if k != "for_reviewers"}]),
        refused("ReplyFileError"),
    )
    yield vector(
        "padded-base64",
        "base64url with '=' padding",
        document([{**entry, "signature": entry["signature"] + "=="}]),
        refused("ReplyFileError"),
    )
    yield vector(
        "signature-63-bytes",
        "a 63-byte signature",
        document([{**entry, "signature": b64u(_unb64(entry["signature"])[:63])}]),
        refused("ReplyFileError"),
    )
    yield vector(
        "statement-over-32k",
        "a statement of 32 KiB + 1 bytes",
        document([{**entry, "statement": b64u(b" " * (32 * 1024 + 1))}]),
        refused("ReplyFileError"),
    )
    tiny = {"statement": b64u(b"{}"), "signature": b64u(bytes(64)), "for_reporter": "", "for_reviewers": ""}
    yield vector("1001-replies", "1,001 replies (at most 1,000)", document([tiny] * 1001), refused("ReplyFileError"))


# --- §10 export bundles -----------------------------------------------------------------------


def _bundle(alice: ReviewerKeys, cases: list[CaseBuilder], *, day: str = DAY) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.zip"
        write_export(path, alice.public, [(alice.public, "Alice Adams", "adviser", True)], cases, day)
        return path.read_bytes()


def _custom_bundle(alice: ReviewerKeys, cases: list[CaseBuilder], change: Any) -> bytes:
    """A bundle as write_export makes it, with `change(manifest, blobs)` applied before sealing."""
    blobs = {name: blob for case in cases for name, blob in case.blobs.items()}
    manifest = bundle_manifest(
        reviewer_key_id=alice.key_id,
        day=DAY,
        since=0,
        until=len(cases),
        reviewers=[reviewer_entry(alice.public, "Alice Adams", "adviser", True)],
        cases=[case.entry() for case in cases],
    )
    change(manifest, blobs)
    # Written by hand: BundleWriter checks the manifest it seals and would refuse these.
    header = {"format": "candour-bundle", "version": 1, "reviewer_key_id": alice.key_id.hex(), "day": DAY}
    sealed = seal_bytes(dumps_compact(manifest), [alice], fixed_bytes("manifest " + json.dumps(manifest)[:64], 16), 0)
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(BUNDLE_JSON, dumps_compact(header))
        for name, blob in blobs.items():
            archive.writestr(name, blob)
        archive.writestr(MANIFEST_MEMBER, sealed)
    return sink.getvalue()


def _rezip(data: bytes, change: Any) -> bytes:
    """Copy a bundle member by member, letting `change(name, bytes)` return a list of (name, bytes, method)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            for name, content, method in change(info.filename, source.read(info)):
                copy = zipfile.ZipInfo(name, date_time=info.date_time)
                copy.compress_type = method
                copy.external_attr = info.external_attr
                target.writestr(copy, content)
    return out.getvalue()


def bundle_vectors() -> Iterator[Vector]:
    alice = reviewer("bundle alice", "Alice")
    first = CaseBuilder(
        [alice.public], _reporter("bundle one"), dict(REPORT_FIELDS), case_id=fixed_bytes("bundle case one", 16)
    ).with_report()
    second = CaseBuilder(
        [alice.public], _reporter("bundle two"), dict(REPORT_FIELDS), case_id=fixed_bytes("bundle case two", 16)
    ).with_report()
    good = _bundle(alice, [first, second])
    part_one = f"cases/{first.case}/{first.case}/0.cnd"
    part_two = f"cases/{second.case}/{second.case}/0.cnd"

    def vector(case: str, description: str, data: bytes, expected: Any, opener: ReviewerKeys = alice) -> Vector:
        given = {"reviewer": {"name": opener.name, "seed": opener.seed.hex()}, "bundle": b64u(data)}
        return Vector("bundle", case, "§10", description, given, expected)

    both = {first.case: "accepted", second.case: "accepted"}
    yield vector("valid", "two cases, each with its report", good, accepted(cases=both))
    yield vector(
        "other-reviewer",
        "a bundle exported for another reviewer",
        good,
        refused("BundleError"),
        opener=reviewer("bundle bob"),
    )
    yield vector(
        "missing-member",
        "a listed part is absent",
        _rezip(good, lambda n, b: [] if n == part_two else [(n, b, zipfile.ZIP_STORED)]),
        refused("BundleError"),
    )
    extra = f"cases/{first.case}/{first.case}/5.cnd"
    yield vector(
        "extra-member",
        "a member the manifest does not list",
        _rezip(
            good,
            lambda n, b: [(n, b, zipfile.ZIP_STORED)] + ([(extra, b, zipfile.ZIP_STORED)] if n == part_one else []),
        ),
        refused("BundleError"),
    )
    blobs = {part_one: first.blobs[part_one], part_two: second.blobs[part_two]}
    swapped = _rezip(
        good,
        lambda n, b: [
            (n, blobs[part_two] if n == part_one else blobs[part_one] if n == part_two else b, zipfile.ZIP_STORED)
        ],
    )
    yield vector(
        "member-swapped",
        "the two cases' reports exchanged: the bundle opens, each report fails its binding",
        swapped,
        accepted(cases={first.case: "BindingError", second.case: "BindingError"}),
    )
    yield vector(
        "compressed-member",
        "a member stored with deflate",
        _rezip(good, lambda n, b: [(n, b, zipfile.ZIP_DEFLATED if n == part_one else zipfile.ZIP_STORED)]),
        refused("BundleError"),
    )
    yield vector(
        "leading-zero-name",
        "a member named …/00.cnd",
        _rezip(good, lambda n, b: [(n.replace("/0.cnd", "/00.cnd") if n == part_one else n, b, zipfile.ZIP_STORED)]),
        refused("BundleError"),
    )
    yield from _manifest_vectors(alice, vector)
    yield vector(
        "not-a-zip",
        "not a ZIP archive",
        b"PK\x03\x04 not really",
        refused("BundleError"),
    )


def _manifest_vectors(alice: ReviewerKeys, vector: Any) -> Iterator[Vector]:
    """Manifest consistency (§10, §14): each made by changing an honest manifest before sealing it."""
    reporter = _reporter("bundle manifest")

    def fresh(label: str) -> CaseBuilder:
        case = CaseBuilder([alice.public], reporter, dict(REPORT_FIELDS), case_id=fixed_bytes("bundle " + label, 16))
        return case.with_report()

    replied = fresh("replied")
    replied.reply(alice, 1, DAY, "We have read your report.")
    yield vector(
        "valid-with-reply",
        "a case with its report and a reply whose member names the statement's key id and seq",
        _custom_bundle(alice, [replied], lambda manifest, blobs: None),
        accepted(cases={replied.case: "accepted"}),
    )

    def rename_reply(manifest: dict[str, Any], blobs: dict[str, bytes]) -> None:
        entry = manifest["cases"][0]["replies"][0]
        renamed = entry["member"].replace(f"{alice.key_id.hex()}-1.cnd", f"{alice.key_id.hex()}-2.cnd")
        blobs[renamed] = blobs.pop(entry["member"])
        entry["member"] = renamed

    yield vector(
        "reply-member-other-seq",
        "a reply with seq 1 filed as …-2.cnd: the member name must name its statement's key id and seq",
        _custom_bundle(alice, [replied], rename_reply),
        refused("BundleError"),
    )

    def twice(manifest: dict[str, Any], blobs: dict[str, bytes]) -> None:
        manifest["reviewers"].append(dict(manifest["reviewers"][0], display_name="A. Adams"))

    yield vector(
        "reviewer-listed-twice",
        "one reviewer key listed twice",
        _custom_bundle(alice, [fresh("twice")], twice),
        refused("BundleError"),
    )

    def recipient_twice(manifest: dict[str, Any], blobs: dict[str, bytes]) -> None:
        case = manifest["cases"][0]
        case["recipients"] = case["recipients"] * 2

    yield vector(
        "recipient-listed-twice",
        "a case listing one recipient twice",
        _custom_bundle(alice, [fresh("recipients")], recipient_twice),
        refused("BundleError"),
    )

    def display_rlo(manifest: dict[str, Any], blobs: dict[str, bytes]) -> None:
        manifest["reviewers"][0]["display_name"] = "Alice \u202eAdams"

    yield vector(
        "display-name-rlo",
        "U+202E in a reviewer's display name in the manifest",
        _custom_bundle(alice, [fresh("rlo")], display_rlo),
        refused("BundleError"),
    )

    def half_signed(manifest: dict[str, Any], blobs: dict[str, bytes]) -> None:
        entry = manifest["cases"][0]["timeline"][0]
        entry["statement"] = b64u(b"{}")

    yield vector(
        "timeline-statement-without-signature",
        "a timeline entry with a statement and no signature",
        _custom_bundle(alice, [fresh("timeline")], half_signed),
        refused("BundleError"),
    )
    first, second = fresh("shared one"), fresh("shared two")

    def shared_submission(manifest: dict[str, Any], blobs: dict[str, bytes]) -> None:
        other = manifest["cases"][1]
        followup = dict(manifest["cases"][0]["submissions"][0], kind="followup")
        followup["parts"] = [{"index": 0, "member": f"cases/{other['case']}/{followup['id']}/0.cnd"}]
        blobs[followup["parts"][0]["member"]] = blobs[manifest["cases"][0]["submissions"][0]["parts"][0]["member"]]
        other["submissions"].append(followup)

    yield vector(
        "submission-in-two-cases",
        "one submission id listed in two cases (ids are unique across the manifest)",
        _custom_bundle(alice, [first, second], shared_submission),
        refused("BundleError"),
    )
