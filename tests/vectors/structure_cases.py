"""Vector families for what a reporter makes (docs/format.md §2, §6, §7): envelope
streams the sealer never writes (empty final chunk, REKEY and PUSH tags, chunks under 17
bytes), codenames and every key derived from them, and submissions."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from nacl.signing import SigningKey

from tests.vectors.generate import hand_seal, stanza_for
from tests.vectors.structure_common import Vector, accepted, b64u, fixed_bytes, refused, reviewer

from crypto import envelope as env
from crypto.codename import ReporterKeys, derive_master_key, login_lookup_hash, reporter_keys_from_master
from crypto.envelope import CHUNK_SIZE, EnvelopeSealer
from crypto.padding import pad
from crypto.submission import (
    SIGNATURE_CONTEXT,
    AttachmentInfo,
    ReporterPublic,
    attachment_info_from_sealed,
    seal_submission_text_part,
)
from crypto.wordlist import words

TAG_PUSH, TAG_REKEY = 1, 2

# --- §2 envelope streams ----------------------------------------------------------------------


def stream_vectors() -> Iterator[Vector]:
    opener = reviewer("stream opener", "Stream")
    key = fixed_bytes("stream content key", 32)
    stanzas = [stanza_for(opener, key)]
    content = b"x" * CHUNK_SIZE
    full = pad(content)  # PADMÉ: 65,536 + 1 → 67,584 bytes, a full chunk and a 2 KiB final one
    assert len(full) == CHUNK_SIZE + 2048
    exact = pad(b"y" * (CHUNK_SIZE - 1))  # exactly one full chunk
    assert len(exact) == CHUNK_SIZE

    def vector(case: str, description: str, envelope: bytes, expected: Any) -> Vector:
        given = {"reviewer": {"name": opener.name, "seed": opener.seed.hex()}, "envelope": b64u(envelope)}
        return Vector("stream", case, "§2.2", description, given, expected)

    def sealed(label: str, **options: Any) -> bytes:
        return hand_seal(stanzas, key, full, sub_id=fixed_bytes("stream " + label, 16), **options)

    yield vector(
        "two-chunks", "a full MESSAGE chunk and a 2 KiB FINAL chunk", sealed("ok"), accepted(plaintext=b64u(content))
    )
    yield vector(
        "one-full-final-chunk",
        "padded to exactly 65,536 bytes: one full chunk tagged FINAL",
        hand_seal(stanzas, key, exact, sub_id=fixed_bytes("stream exact", 16)),
        accepted(plaintext=b64u(b"y" * (CHUNK_SIZE - 1))),
    )
    yield vector(
        "empty-final-after-full",
        "a full MESSAGE chunk, then an empty FINAL chunk (17 bytes): refused, a final chunk holds 1..65,536 bytes",
        hand_seal(
            stanzas,
            key,
            exact,
            sub_id=fixed_bytes("stream empty", 16),
            chunk_sizes=[CHUNK_SIZE, 0],
            tags=[env.TAG_MESSAGE, env.TAG_FINAL],
        ),
        refused("TruncatedPayloadError"),
    )
    yield vector(
        "rekey-tag-first",
        "the first chunk carries TAG_REKEY (2): refused, only MESSAGE then FINAL",
        sealed("rekey", tags=[TAG_REKEY, env.TAG_FINAL]),
        refused("PayloadError"),
    )
    yield vector(
        "rekey-tag-final",
        "the last chunk carries TAG_REKEY instead of FINAL",
        sealed("rekey final", tags=[env.TAG_MESSAGE, TAG_REKEY]),
        refused("PayloadError"),
    )
    yield vector(
        "push-tag-first",
        "the first chunk carries TAG_PUSH (1)",
        sealed("push", tags=[TAG_PUSH, env.TAG_FINAL]),
        refused("PayloadError"),
    )
    whole = sealed("short")
    header_size = env.header_size(1)
    yield vector(
        "chunk-of-16-bytes",
        "a final sealed chunk of 16 bytes, shorter than the 17-byte overhead",
        whole[: header_size + env.SEALED_CHUNK_SIZE + 16],
        refused("TruncatedPayloadError"),
    )


# --- §6 codenames -----------------------------------------------------------------------------

SALT = fixed_bytes("structure vector instance salt", 16).hex()
PEPPER = fixed_bytes("structure vector pepper", 32).hex()


def codename_vectors() -> Iterator[Vector]:
    word_list = words()
    picked = [word_list[index] for index in (0, 1, 2, 3, 2045, 2046, 2047, 1024)]
    normal = " ".join(picked)
    master = derive_master_key(
        normal, bytes.fromhex(SALT), version=1
    )  # version 2 has its own vectors (codename-derivation/)
    keys = reporter_keys_from_master(master)
    derived = accepted(
        normal_form=normal,
        master_key=master.hex(),
        login_token=keys.login_token.hex(),
        reply_secret_key=keys.reply_secret_key.hex(),
        reply_public_key=keys.reply_public_key.hex(),
        sign_seed=keys.signing_seed.hex(),
        sign_public_key=bytes(keys.signing_key.verify_key).hex(),
    )

    def vector(case: str, description: str, typed: str, expected: Any, **extra: Any) -> Vector:
        return Vector("codename", case, "§6", description, {"typed": typed, **extra}, expected)

    yield vector(
        "derive-all-keys",
        "the normal form, Argon2id master key, login token, reply and signing keys, and the server's lookup",
        normal,
        {**derived, "login_lookup": _lookup(keys)},
        instance_salt=SALT,
        pepper=PEPPER,
    )
    yield vector(
        "typed-loosely",
        "upper case, dashes, commas, tabs, CR LF and runs of spaces read as one space",
        "  "
        + "-".join(picked[:2]).upper()
        + ",\t"
        + " ".join(picked[2:4])
        + "\r\n"
        + ";".join(picked[4:6])
        + " : "
        + ".".join(picked[6:])
        + " ",
        derived,
        instance_salt=SALT,
    )
    yield vector(
        "fullwidth-nfkc",
        "full-width letters and U+3000 fold to ASCII under NFKC",
        "\u3000".join("".join(chr(ord(c) + 0xFEE0) for c in word) for word in picked),
        accepted(normal_form=normal),
    )
    yield vector("seven-words", "seven words", " ".join(picked[:7]), refused("CodenameError"))
    yield vector("nine-words", "nine words", normal + " " + picked[0], refused("CodenameError"))
    yield vector("unknown-word", "a word not on the list", " ".join(picked[:7] + ["candour"]), refused("CodenameError"))
    for case, separator in (
        ("separator-bom", "\ufeff"),
        ("separator-nel", "\x85"),
        ("separator-info-separator", "\x1c"),
        ("separator-vertical-tab", "\x0b"),
        ("separator-line-separator", "\u2028"),
    ):
        yield vector(
            case,
            f"U+{ord(separator):04X} between two words is not a separator (only space, tab, CR, LF and -,.;:)",
            " ".join(picked[:3]) + " " + picked[3] + separator + picked[4] + " " + " ".join(picked[5:]),
            refused("CodenameError"),
        )


def _lookup(keys: ReporterKeys) -> str:
    return login_lookup_hash(keys.login_token, bytes.fromhex(PEPPER)).hex()


# --- §7 submissions ---------------------------------------------------------------------------

DAY = "2026-11-28"
REPORT_FIELDS = {"category": "bullying", "what": "What happened.", "when": "", "where": "", "who": "", "outcome": ""}


def _reporter(label: str) -> ReporterKeys:
    return reporter_keys_from_master(fixed_bytes("structure vector reporter " + label, 32))


def _manifest(
    kind: str,
    submission: bytes,
    case: str,
    reporter: ReporterKeys,
    fields: dict[str, str],
    attachments: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    manifest = {
        "format": "candour-submission",
        "version": 1,
        "kind": kind,
        "case": case,
        "submission": submission.hex(),
        "day": DAY,
        "reporter": ReporterPublic.from_keys(reporter).to_json(),
        "fields": fields,
        "attachments": attachments or [],
    }
    manifest.update(overrides)
    return manifest


def _part0(manifest: dict[str, Any] | bytes, signer: ReporterKeys) -> bytes:
    raw = (
        manifest
        if isinstance(manifest, bytes)
        else json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode()
    )
    signature = SigningKey(signer.signing_seed).sign(SIGNATURE_CONTEXT + raw).signature
    return json.dumps({"signed": b64u(raw), "signature": b64u(signature)}, separators=(",", ":")).encode()


def submission_vectors() -> Iterator[Vector]:
    reporter, other = _reporter("alice"), _reporter("mallory")
    report_id = fixed_bytes("structure vector report id", 16)
    followup_id = fixed_bytes("structure vector follow-up id", 16)
    case = report_id.hex()
    public = ReporterPublic.from_keys(reporter).to_json()

    def vector(
        case_name: str,
        description: str,
        part0: bytes,
        envelope_id: bytes,
        expected: Any,
        expected_case: str | None = None,
        expected_reporter: dict[str, str] | None = None,
    ) -> Vector:
        given = {
            "part0": b64u(part0),
            "envelope_submission_id": envelope_id.hex(),
            "expected_case": expected_case,
            "expected_reporter": expected_reporter,
        }
        return Vector("submission", case_name, "§7", description, given, expected)

    report = _manifest("report", report_id, case, reporter, REPORT_FIELDS)
    ok_report = accepted(kind="report", case=case, submission=case, day=DAY, fields=REPORT_FIELDS, reporter=public)
    yield vector("report", "a report, no attachments", _part0(report, reporter), report_id, ok_report)
    followup = _manifest("followup", followup_id, case, reporter, {"message": "More."})
    yield vector(
        "followup",
        "a follow-up signed by the report's codename",
        _part0(followup, reporter),
        followup_id,
        accepted(
            kind="followup", case=case, submission=followup_id.hex(), fields={"message": "More."}, reporter=public
        ),
        expected_case=case,
        expected_reporter=public,
    )
    yield vector(
        "followup-other-case",
        "a follow-up filed under another case than the one it names",
        _part0(followup, reporter),
        followup_id,
        refused("BindingError"),
        expected_case=fixed_bytes("another case", 16).hex(),
        expected_reporter=public,
    )
    yield vector(
        "followup-other-reporter",
        "a follow-up signed by another codename than the report's",
        _part0(_manifest("followup", followup_id, case, other, {"message": "More."}), other),
        followup_id,
        refused("BindingError"),
        expected_case=case,
        expected_reporter=public,
    )
    yield vector(
        "moved-envelope",
        "part 0 of one submission inside another submission's envelope",
        _part0(report, reporter),
        followup_id,
        refused("BindingError"),
    )
    yield vector(
        "report-names-other-case",
        "a report whose case is not its submission id",
        _part0(_manifest("report", report_id, followup_id.hex(), reporter, REPORT_FIELDS), reporter),
        report_id,
        refused("BindingError"),
    )
    raw = json.dumps(report, separators=(",", ":")).encode()
    tampered = json.dumps(
        {
            "signed": b64u(raw.replace(b"bullying", b"bullyinG")),
            "signature": json.loads(_part0(report, reporter))["signature"],
        }
    ).encode()
    yield vector(
        "tampered", "one letter of the manifest changed after signing", tampered, report_id, refused("SignatureError")
    )
    yield vector(
        "signed-by-other",
        "signed by a key other than reporter.sign_key",
        _part0(report, other),
        report_id,
        refused("SignatureError"),
    )
    yield vector(
        "duplicate-key",
        "the manifest carries 'kind' twice, signed",
        _part0(raw[:-1] + b',"kind":"followup"}', reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "extra-key", "a key not in §7", _part0({**report, "note": ""}, reporter), report_id, refused("FormatError")
    )
    yield vector(
        "version-2",
        "a manifest of version 2",
        _part0({**report, "version": 2}, reporter),
        report_id,
        refused("UnsupportedVersionError"),
    )
    yield vector(
        "field-missing",
        "a report without 'who'",
        _part0({**report, "fields": {k: v for k, v in REPORT_FIELDS.items() if k != "who"}}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "what-empty",
        "a report whose 'what' is empty",
        _part0({**report, "fields": {**REPORT_FIELDS, "what": ""}}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "day-not-a-day",
        "day 2026-02-29 (not a leap year)",
        _part0({**report, "day": "2026-02-29"}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "case-uppercase-hex",
        "the case id in upper-case hex",
        _part0({**report, "case": case.upper(), "submission": case.upper()}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "field-100000",
        "'what' of exactly 100,000 characters",
        _part0({**report, "fields": {**REPORT_FIELDS, "what": "a" * 100_000}}, reporter),
        report_id,
        accepted(kind="report"),
    )
    yield vector(
        "field-100001",
        "'what' of 100,001 characters",
        _part0({**report, "fields": {**REPORT_FIELDS, "what": "a" * 100_001}}, reporter),
        report_id,
        refused("LimitError"),
    )
    yield vector(
        "category-rlo",
        "U+202E in the single-line 'category'",
        _part0({**report, "fields": {**REPORT_FIELDS, "category": "bully\u202eing"}}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "what-carriage-return",
        "CR in multi-line text (only LF is allowed; writers turn CR LF into LF)",
        _part0({**report, "fields": {**REPORT_FIELDS, "what": "line one\r\nline two"}}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "what-tab",
        "TAB in multi-line text (a reader refuses it; writers turn each TAB into spaces first, §1.3)",
        _part0({**report, "fields": {**REPORT_FIELDS, "what": "Date\tWho\n3 May\tA. Manager"}}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "what-lf",
        "LF in multi-line text",
        _part0({**report, "fields": {**REPORT_FIELDS, "what": "line one\nline two"}}, reporter),
        report_id,
        accepted(kind="report"),
    )
    header_hash = b64u(fixed_bytes("attachment header hash", 32))
    attachment = {"part": 1, "name": "photo.jpg", "type": "image/jpeg", "size": 12345, "header_hash": header_hash}
    yield vector(
        "attachment-listed",
        "a report listing one attachment",
        _part0({**report, "attachments": [attachment]}, reporter),
        report_id,
        accepted(kind="report"),
    )
    yield vector(
        "attachment-name-empty",
        "an attachment with an empty name (writers name it 'attachment')",
        _part0({**report, "attachments": [{**attachment, "name": ""}]}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "attachment-name-rlo",
        "U+202E in an attachment's name",
        _part0({**report, "attachments": [{**attachment, "name": "gpj.\u202eexe"}]}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "attachment-name-255-astral",
        "a name of 255 characters outside the BMP: code points count, not UTF-16 units (510 here)",
        _part0({**report, "attachments": [{**attachment, "name": "\U0001f600" * 255}]}, reporter),
        report_id,
        accepted(kind="report"),
    )
    yield vector(
        "attachment-name-256",
        "a name of 256 characters",
        _part0({**report, "attachments": [{**attachment, "name": "n" * 256}]}, reporter),
        report_id,
        refused("LimitError"),
    )
    yield vector(
        "attachment-part-2",
        "the only attachment numbered 2",
        _part0({**report, "attachments": [{**attachment, "part": 2}]}, reporter),
        report_id,
        refused("FormatError"),
    )
    yield vector(
        "attachment-size-max",
        "size 2^34 − 1, the largest content a part can pad to",
        _part0({**report, "attachments": [{**attachment, "size": 2**34 - 1}]}, reporter),
        report_id,
        accepted(kind="report"),
    )
    yield vector(
        "attachment-size-2-34",
        "size 2^34",
        _part0({**report, "attachments": [{**attachment, "size": 2**34}]}, reporter),
        report_id,
        refused("LimitError"),
    )
    yield vector(
        "attachment-size-negative",
        "size −1",
        _part0({**report, "attachments": [{**attachment, "size": -1}]}, reporter),
        report_id,
        refused("LimitError"),
    )
    yield from _whole_submission_vectors(reporter)


def _whole_submission_vectors(reporter: ReporterKeys) -> Iterator[Vector]:
    """A report with one attachment as real envelopes, opened with `open_submission`."""
    alice = reviewer("submission alice", "Alice")
    submission_id = fixed_bytes("structure vector whole submission", 16)
    other_id = fixed_bytes("structure vector other submission", 16)
    attachment = b"attachment bytes\n"

    def seal_attachment(sub_id: bytes) -> tuple[bytes, AttachmentInfo]:
        sink = io.BytesIO()
        sealer = EnvelopeSealer(sink, [alice.public], sub_id, 1)
        sealer.write(attachment)
        info = attachment_info_from_sealed(sealer.finish(), "note.txt", "text/plain")
        return sink.getvalue(), info

    part1, info = seal_attachment(submission_id)
    foreign, _ = seal_attachment(other_id)
    part0 = io.BytesIO()
    seal_submission_text_part(
        part0, [alice.public], submission_id, "report", None, DAY, reporter, REPORT_FIELDS, [info]
    )

    def vector(case: str, description: str, parts: dict[str, bytes], expected: Any) -> Vector:
        given = {
            "reviewer": {"name": alice.name, "seed": alice.seed.hex()},
            "parts": {index: b64u(data) for index, data in parts.items()},
        }
        return Vector("submission", case, "§7", description, given, expected)

    yield vector(
        "whole-report",
        "part 0 and one attachment, opened and bound",
        {"0": part0.getvalue(), "1": part1},
        accepted(
            kind="report",
            case=submission_id.hex(),
            attachments=[{"part": 1, "name": "note.txt", "data": b64u(attachment)}],
        ),
    )
    yield vector(
        "whole-missing-part", "the listed attachment is absent", {"0": part0.getvalue()}, refused("BindingError")
    )
    yield vector(
        "whole-extra-part",
        "a part 2 the manifest does not list",
        {"0": part0.getvalue(), "1": part1, "2": part1},
        refused("BindingError"),
    )
    yield vector(
        "whole-foreign-part",
        "part 1 from another submission (same bytes, other submission id)",
        {"0": part0.getvalue(), "1": foreign},
        refused("BindingError"),
    )
