"""The browser code (static/js/candour-crypto.js on the vendored libsodium.js) and the Python
reference agree on real objects, each made by one side and checked by the other.

- JS seals a report (multi-chunk attachments, two reviewers) and a follow-up; Python's
  `open_envelope` and `open_submission` open and verify them.
- Python writes replies (`make_reply`), some forged, mis-bound, replayed or skipping a
  number; the JS reporter view classifies them exactly as `classify_replies` does.
- One codename and salt give the same login token and public keys on both sides.

Node runs tests/js/interop_cli.mjs with JSON on stdin and stdout. Without `node` these tests
are skipped, except under CI=true, where a missing node is a failure.
"""

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from crypto.codename import codename_problems, derive_reporter_keys, generate_codename, normalise_codename
from crypto.envelope import open_bytes
from crypto.errors import NotARecipientError, TextError
from crypto.identity import OrgKeys, ReviewerKeys, b64url, generate_reviewer_keys, unb64url
from crypto.org import ListedReviewer, sign_reviewer_list
from crypto.reply import (
    SIGNATURE_CONTEXT,
    MissingReplies,
    RejectedReply,
    SignedReply,
    StatusChange,
    VerifiedReply,
    classify_replies,
    make_reply,
)
from crypto.strict_json import dumps_compact
from crypto.submission import ReporterPublic, open_submission
from crypto.text import check_label, check_multiline

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "tests" / "js" / "interop_cli.mjs"
SALT = bytes(range(16))
DAY = "2026-11-26"


@pytest.fixture(scope="session")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        message = "node is not installed: the browser-crypto interop tests need Node 20+ (apt-get install nodejs)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def run_js(node: str, command: dict[str, Any]) -> Any:
    result = subprocess.run(
        [node, str(CLI)],
        input=json.dumps(command),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, f"interop_cli.mjs failed:\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def reviewers() -> list[ReviewerKeys]:
    return [generate_reviewer_keys(name) for name in ("alice", "bob", "carol")]


def attachment(name: str, size: int, seed: int) -> dict[str, Any]:
    data = bytes((i * 31 + seed) % 251 for i in range(size))
    return {"name": name, "type": "application/octet-stream", "size": size, "data": b64url(data), "bytes": data}


def seal_in_js(node: str, recipients: list[ReviewerKeys], codename: str, **command: Any) -> dict[str, Any]:
    attachments = command.pop("attachments", [])
    sealed = run_js(
        node,
        {
            "op": "seal",
            "recipients": [r.public.to_line() for r in recipients],
            "codename": codename,
            "salt": SALT.hex(),
            "day": DAY,
            "attachments": [{k: v for k, v in a.items() if k != "bytes"} for a in attachments],
            **command,
        },
    )
    sealed["parts"] = {int(index): unb64url(envelope) for index, envelope in sealed["parts"].items()}
    return sealed


# --- (a) JS seals, Python opens ------------------------------------------------------------


def test_python_opens_a_report_and_follow_up_sealed_in_js(node: str, reviewers: list[ReviewerKeys]) -> None:
    alice, bob, carol = reviewers
    codename = generate_codename()
    attachments = [
        attachment("scan of the ledger.pdf", 200_001, 1),  # four 64 KiB chunks
        attachment("empty.txt", 0, 2),
        attachment("ünïcode ☃ photo.jpg", 65_536, 3),
    ]
    fields = {"category": "fraud", "what": "Invoices paid twice — see the ledger 📎", "where": "Accounts\n2nd floor"}
    report = seal_in_js(node, [alice, bob], codename, kind="report", fields=fields, attachments=attachments)
    assert sorted(report["parts"]) == [0, 1, 2, 3]
    assert report["progress_last"] == [265_537, 265_537]

    expected_reporter = ReporterPublic.from_keys(derive_reporter_keys(codename, SALT))
    for reader in (alice, bob):
        opened = open_submission(report["parts"], reader)
        assert opened.kind == "report" and opened.case == report["submission"] == opened.submission
        assert opened.day == DAY
        assert opened.fields == {
            "category": "fraud",
            "what": fields["what"],
            "when": "",
            "where": fields["where"],
            "who": "",
            "outcome": "",
        }
        assert opened.reporter == expected_reporter
        assert [(a.info.name, a.info.size, a.location) for a in opened.attachments] == [
            (a["name"], a["size"], a["bytes"]) for a in attachments
        ]
        # What the JS wrote is exactly what Python's writer would have written for the same object.
        assert dumps_compact(json.loads(opened.manifest_bytes)) == opened.manifest_bytes
    with pytest.raises(NotARecipientError):
        open_submission(report["parts"], carol)
    part, plaintext = open_bytes(report["parts"][1], bob)
    assert part.part_index == 1 and plaintext == attachments[0]["bytes"]

    followup = seal_in_js(
        node, [alice, bob], codename, kind="followup", case=report["submission"], fields={"message": "One more thing."}
    )
    opened = open_submission(
        followup["parts"], alice, expected_case=report["submission"], expected_reporter=expected_reporter
    )
    assert opened.kind == "followup" and opened.fields == {"message": "One more thing."}
    assert opened.submission != report["submission"]


# --- (b) Python replies, JS classifies -----------------------------------------------------


def resign(signer: ReviewerKeys, statement: dict[str, Any], original: SignedReply) -> SignedReply:
    raw = dumps_compact(statement)
    return SignedReply(
        raw, signer.signing_key.sign(SIGNATURE_CONTEXT + raw).signature, original.for_reporter, original.for_reviewers
    )


def test_js_classifies_replies_exactly_as_python(node: str, reviewers: list[ReviewerKeys]) -> None:
    alice, bob, _ = reviewers
    mallory = generate_reviewer_keys("mallory")  # a real key, but not on the organisation's list
    org = OrgKeys("Acme Ltd", os.urandom(32))
    listed = [ListedReviewer(alice.public, "Alice", "compliance", True), ListedReviewer(bob.public, "Bob", "", False)]
    reviewer_list = sign_reviewer_list(org, listed, 1, DAY)
    codename = generate_codename()
    reporter = derive_reporter_keys(codename, SALT)
    other_reporter = derive_reporter_keys(generate_codename(), SALT)
    case = os.urandom(16).hex()
    recipients = [alice.public, bob.public, mallory.public]

    def reply(author: ReviewerKeys, seq: int, text: str, **changes: Any) -> SignedReply:
        return make_reply(
            author,
            changes.get("case", case),
            changes.get("key", reporter.reply_public_key),
            recipients,
            seq,
            DAY,
            text,
            changes.get("status"),
        )

    alice_1 = reply(alice, 1, "We received your report.")
    bob_1 = reply(bob, 1, "", status=StatusChange("acknowledged", None, "Read by the adviser"))
    forged = reply(mallory, 1, "Please send us your name.")
    impersonation = resign(mallory, dict(json.loads(forged.statement), reviewer_key_id=alice.key_id.hex()), forged)
    other_case = reply(alice, 2, "This is about another case.", case=os.urandom(16).hex())
    other_key = reply(bob, 2, "Sealed to somebody else.", key=other_reporter.reply_public_key)
    tampered = reply(bob, 3, "Looking into it.")
    tampered = SignedReply(
        tampered.statement, tampered.signature, tampered.for_reporter[:-1] + b"\0", tampered.for_reviewers
    )
    alice_4 = reply(alice, 4, "An update, after two replies you did not get.")
    bob_2 = reply(bob, 2, "Second reply from Bob.")
    replies = [alice_1, bob_1, forged, impersonation, other_case, alice_1, other_key, tampered, alice_4, bob_2]

    views = run_js(
        node,
        {
            "op": "classify",
            "case": case,
            "codename": codename,
            "salt": SALT.hex(),
            "reviewer_list": b64url(reviewer_list),
            "org_fingerprint": org.public.fingerprint,
            "replies": [
                {
                    "statement": b64url(r.statement),
                    "signature": b64url(r.signature),
                    "for_reporter": b64url(r.for_reporter),
                }
                for r in replies
            ],
        },
    )
    python_views = classify_replies(
        replies,
        case_id=case,
        reporter_reply_secret_key=reporter.reply_secret_key,
        reporter_reply_public_key=reporter.reply_public_key,
        known_reviewers={entry.identity.key_id: entry.identity for entry in listed},
    )
    assert [summary(view) for view in views] == [python_summary(view) for view in python_views]
    rejected = {view["position"]: view["error"] for view in views if view["state"] == "rejected"}
    assert rejected == {
        2: "SignatureError",  # signed by a key that is not on the list
        3: "BindingError",  # names Alice's key id, carries Mallory's key
        4: "BindingError",  # another case
        5: "SequenceError",  # a second copy of Alice's reply 1
        6: "BindingError",  # sealed to another reporter's key
        7: "BindingError",  # the reporter's copy does not match its signed hash
    }
    assert [v["state"] for v in views].count("missing") == 1
    assert next(v for v in views if v["state"] == "missing") == {
        "state": "missing",
        "reviewer_key_id": alice.key_id.hex(),
        "first": 2,
        "last": 3,
    }
    verified = [v for v in views if v["state"] == "verified"]
    assert verified[1]["status"] == {"status": "acknowledged", "outcome": None, "reason": "Read by the adviser"}


def summary(view: dict[str, Any]) -> tuple[Any, ...]:
    if view["state"] == "verified":
        return ("verified", view["reviewer_key_id"], view["seq"], view["text"])
    if view["state"] == "missing":
        return ("missing", view["reviewer_key_id"], view["first"], view["last"])
    return ("rejected", view["position"], view["reviewer_key_id"], view["seq"])


def python_summary(view: VerifiedReply | RejectedReply | MissingReplies) -> tuple[Any, ...]:
    if isinstance(view, VerifiedReply):
        return ("verified", view.statement.reviewer_key_id.hex(), view.statement.seq, view.body.text)
    if isinstance(view, MissingReplies):
        return ("missing", view.reviewer_key_id.hex(), view.first, view.last)
    key_id = view.reviewer_key_id.hex() if view.reviewer_key_id is not None else None
    return ("rejected", view.position, key_id, view.seq)


def test_js_refuses_a_list_from_another_organisation(node: str, reviewers: list[ReviewerKeys]) -> None:
    org, impostor = OrgKeys("Acme Ltd", os.urandom(32)), OrgKeys("Acme Ltd", os.urandom(32))
    listed = [ListedReviewer(reviewers[0].public, "Alice", "", True)]
    result = subprocess.run(
        [node, str(CLI)],
        input=json.dumps(
            {
                "op": "classify",
                "case": "00" * 16,
                "codename": generate_codename(),
                "salt": SALT.hex(),
                "reviewer_list": b64url(sign_reviewer_list(impostor, listed, 1, DAY)),
                "org_fingerprint": org.public.fingerprint,
                "replies": [],
            }
        ),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "SignatureError" in result.stderr


# --- (c) codenames -------------------------------------------------------------------------


@pytest.mark.parametrize("made_by", ["python", "js"])
def test_one_codename_gives_the_same_keys_on_both_sides(node: str, made_by: str) -> None:
    codename = generate_codename() if made_by == "python" else None
    typed = None if codename is None else "  " + codename.upper().replace(" ", " - ") + "\n"
    derived = run_js(node, {"op": "derive", "codename": typed, "salt": SALT.hex()})
    codename = codename or derived["codename"]
    assert normalise_codename(derived["codename"]) == derived["normal"] == codename
    keys = derive_reporter_keys(codename, SALT)
    assert derived["login_token"] == keys.login_token.hex()
    assert derived["reply_public_key"] == keys.reply_public_key.hex()
    assert derived["sign_public_key"] == keys.sign_public_key.hex()


# --- (d) the text rule for control and format characters ------------------------------------

FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def test_js_forbids_exactly_the_characters_of_the_shared_rule(node: str) -> None:
    # The rule is by general category (CONTRACT.md / crypto/text.py). Node's Unicode may be
    # newer than Python's: compare on every code point Python's version has assigned.
    forbidden = set()
    for first, last in run_js(node, {"op": "forbidden"}):
        forbidden.update(range(first, last + 1))
    mismatched = [
        f"U+{cp:04X} {unicodedata.category(chr(cp))}"
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) != "Cn"
        and (unicodedata.category(chr(cp)) in FORBIDDEN_CATEGORIES) != (cp in forbidden)
    ]
    assert mismatched == []
    for cp in (0x7F, 0x85, 0x9F, 0x200E, 0x200F, 0x202A, 0x202E, 0x2066, 0x2069, 0xFEFF, 0x2028, 0x2029, 0xD800):
        assert cp in forbidden, hex(cp)


TEXT_CASES = [
    ({"kind": "label", "text": "Alice Smith", "max_chars": 200}, {"ok": "Alice Smith"}),
    ({"kind": "label", "text": "Alice \u202eHTIMS", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "label", "text": "Ali\u200bce", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "label", "text": "Alice\u2066x\u2069", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "label", "text": " Alice", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "label", "text": "Alice\u3000", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "label", "text": "", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "label", "text": "", "max_chars": 200, "allow_empty": True}, {"ok": ""}),
    ({"kind": "label", "text": "\U0001f600" * 3, "max_chars": 3}, {"ok": "\U0001f600" * 3}),
    ({"kind": "label", "text": "\U0001f600" * 4, "max_chars": 3}, {"error": "TextError"}),
    ({"kind": "label", "text": "a\tb", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "multiline", "text": "one\r\ntwo\nthree", "max_chars": 200}, {"ok": "one\ntwo\nthree"}),
    ({"kind": "multiline", "text": "one\rtwo", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "multiline", "text": "tab\there", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "multiline", "text": "x\u202ey", "max_chars": 200}, {"error": "TextError"}),
    ({"kind": "multiline", "text": "", "max_chars": 200}, {"ok": ""}),
]


def _python_text(case: dict[str, Any]) -> dict[str, str]:
    try:
        if case["kind"] == "label":
            value = check_label(
                case["text"], field="name", max_chars=case["max_chars"], allow_empty=case.get("allow_empty", False)
            )
        else:
            value = check_multiline(case["text"], field="text", max_chars=case["max_chars"])
    except TextError:
        return {"error": "TextError"}
    return {"ok": value}


def test_js_labels_and_multiline_text_follow_the_shared_rule(node: str) -> None:
    results = run_js(node, {"op": "texts", "texts": [case for case, _ in TEXT_CASES]})
    assert results == [expected for _, expected in TEXT_CASES]
    # The same outcome as the Python rule (crypto/text.py), case by case.
    assert results == [_python_text(case) for case, _ in TEXT_CASES]


# --- generated files stay in step with the Python reference ---------------------------------


@pytest.mark.parametrize("script", ["tests/js/make_fixtures.py", "static/js/build_wordlist.py"])
def test_generated_js_inputs_are_current(script: str) -> None:
    result = subprocess.run([sys.executable, script, "--check"], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


CODENAME = "abandon ability able about above absent absorb abstract"
CODENAME_CASES = [
    {"typed": ""},
    {"typed": " \t-,.;: "},
    {"typed": "abandon ability"},
    {"typed": CODENAME},
    {"typed": CODENAME.upper().replace(" ", " - ")},
    {"typed": "abandon lanter able about above absent absorb zzz"},
    {"typed": CODENAME + " extra lanter"},
    {"typed": "ＡＢＡＮＤＯＮ ability able about above absent absorb abstract"},  # NFKC folds fullwidth
    {"typed": "abandon\u00a0ability able about above absent absorb abstract"},  # NBSP separates nothing
    {"typed": CODENAME, "expected": CODENAME},
    {"typed": "abandon ability able about absurd absent absorb abstract", "expected": CODENAME},
    {"typed": " ".join(reversed(CODENAME.split())), "expected": CODENAME},
    {"typed": "abandon ability able", "expected": CODENAME},
    {"typed": "abandon ability able about above absent absorb lanter", "expected": CODENAME},
]


def test_codename_problems_agree(node: str) -> None:
    """The browser names the same wrong words as the no-JavaScript pages."""
    expected = [[asdict(p) for p in codename_problems(case["typed"], case.get("expected"))] for case in CODENAME_CASES]
    assert run_js(node, {"op": "codename_problems", "cases": CODENAME_CASES}) == expected
    assert expected[5] == [
        {"kind": "unknown", "position": 2, "word": "lanter", "count": 0},
        {"kind": "unknown", "position": 8, "word": "zzz", "count": 0},
    ]
