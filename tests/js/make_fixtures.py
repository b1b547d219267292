"""Write tests/js/fixtures.json: values computed by the Python reference for the JS unit tests.

    .venv/bin/python tests/js/make_fixtures.py           # rewrite the fixture
    .venv/bin/python tests/js/make_fixtures.py --check   # exit 1 if it is stale

Everything here is deterministic (fixed seeds, Ed25519 signatures are deterministic), so
the file only changes when the Python reference changes; tests/js/test_js_interop.py runs
the check, so a stale fixture fails `make test`.
"""

import argparse
import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crypto.codename import derive_reporter_keys, normalise_codename
from crypto.errors import CandourError
from crypto.identity import (
    IDENTITY_CONTEXT,
    ORG_PREFIX,
    REVIEWER_PREFIX,
    OrgKeys,
    ReviewerKeys,
    b64url,
    parse_org_identity,
    parse_public_identity,
)
from crypto.kdf import hash256
from crypto.org import LIST_CONTEXT, ListedReviewer, sign_reviewer_list, verify_reviewer_list
from crypto.padding import pad, padded_size, unpad
from crypto.reply import parse_body
from crypto.strict_json import JsonReader
from crypto.submission import MAX_FIELD_CHARS, check_fields
from crypto.wordlist import bits_to_words

REPO = Path(__file__).resolve().parents[2]

TARGET = Path(__file__).resolve().parent / "fixtures.json"
SALT = bytes(range(16))
CODENAME = "abandon ability able about above absent absorb abstract"


def seed(label: str) -> bytes:
    return hash256(b"candour/v1 js fixture " + label.encode())


def outcome(call: Callable[[], Any]) -> dict[str, Any]:
    """{"ok": value} or {"error": class name}."""
    try:
        return {"ok": call()}
    except CandourError as error:
        return {"error": type(error).__name__}


def runs(data: bytes) -> list[list[Any]]:
    """Bytes as [[hex byte, count], ...] runs: 16 KiB of mostly zeros stays a few entries."""
    out: list[list[Any]] = []
    for byte in data:
        if out and out[-1][0] == f"{byte:02x}":
            out[-1][1] += 1
        else:
            out.append([f"{byte:02x}", 1])
    return out


def padding_cases() -> dict[str, Any]:
    sizes = [0, 1, 2, 3, 15, 100, 16382, 16383, 16384, 16385, 65535, 65536, 65537, 100_000, 1 << 20, 12_345_678]
    sizes += [500 * 2**20, 2**33 + 5, 2**34 - 1]
    content = b"candour"
    padded = pad(content)
    buffers = {
        "honest": padded,
        "honest-empty": pad(b""),
        "all-zero": bytes(16384),
        "no-marker": content + bytes(16384 - len(content)),
        "marker-then-data": content + b"\x80" + bytes(100) + b"\x01" + bytes(16384 - len(content) - 102),
        "wrong-length": padded + bytes(1),
        "too-short": content + b"\x80",
        "content-ends-like-padding": pad(b"abc\x80\x00\x00"),
    }
    return {
        "padded_size": [[n, padded_size(n)] for n in sizes],
        "unpad": [
            {"name": name, "padded": runs(data), **outcome(lambda data=data: b64url(unpad(data)))}
            for name, data in buffers.items()
        ],
    }


def whitespace() -> dict[str, Any]:
    return {
        "isspace": [c for c in range(0x110000) if chr(c).isspace()],
        "line_breaks": [c for c in range(0x110000) if len(f"a{chr(c)}b".splitlines()) == 2],
    }


def tabbed_field_cases() -> list[dict[str, Any]]:
    """check_fields on text holding TABs: a writer turns each into spaces up to the next
    8th column (§1.3), and the browser's checkFields must seal the very same characters.
    `lead` is a run of "a" put before the first multi-line field (the cap case)."""
    cases: list[tuple[str, str, dict[str, str], int]] = [
        (
            "table-from-an-email",
            "report",
            {"category": "bullying", "what": "Name\tRole\r\nAlex\tManager\r\nSam Smith-Jones\tHR\t4 May"},
            0,
        ),
        ("tab-one-before-and-at-a-stop", "report", {"what": "1234567\tx\n12345678\ty\n\t\t|"}, 0),
        ("astral-and-combining-count-as-one-column-each", "report", {"what": "\U0001f600\t|\ne\u0301\t|"}, 0),
        ("a-lone-cr-starts-a-new-line", "report", {"what": "abcdef\rab\tc"}, 0),
        (
            "every-multiline-field",
            "report",
            {"what": "a\tb", "when": "\tMay", "where": "x\t", "who": "\t", "outcome": "y\tz"},
            0,
        ),
        ("followup-message", "followup", {"message": "\tindented\n\t\tmore"}, 0),
        ("only-tabs-is-not-empty", "followup", {"message": "\t\t"}, 0),
        ("a-tab-in-the-category-is-refused", "report", {"category": "a\tb", "what": "x"}, 0),
        ("other-controls-still-refused", "report", {"what": "a\tb\u202ec"}, 0),
        ("tabs-that-reach-the-cap", "report", {"what": "\t\t"}, MAX_FIELD_CHARS - 10),
        ("tabs-past-the-cap-are-too-long", "report", {"what": "\t\t\t"}, MAX_FIELD_CHARS - 10),
    ]

    def with_lead(fields: dict[str, str], lead: int) -> dict[str, str]:
        name = "message" if "message" in fields else "what"
        return {**fields, name: "a" * lead + fields[name]}

    def checked(kind: str, fields: dict[str, str], lead: int) -> dict[str, Any]:
        result = check_fields(kind, with_lead(fields, lead))
        # The cap cases keep the fixture small: their length and tail stand for the text.
        return {name: value if len(value) < 1000 else [len(value), value[-12:]] for name, value in result.items()}

    return [
        {
            "name": name,
            "kind": kind,
            "fields": fields,
            "lead": lead,
            **outcome(lambda k=kind, f=fields, n=lead: checked(k, f, n)),
        }
        for name, kind, fields, lead in cases
    ]


def codename_cases() -> dict[str, Any]:
    inputs = [
        CODENAME,
        CODENAME.upper(),
        "  Abandon-ability,able.about;above:absent\tabsorb\nabstract  ",
        "ａｂａｎｄｏｎ ability able about above absent absorb abstract",  # full-width letters
        "abandon\u3000ability\u00a0able\u2003about\x1cabove\x85absent\u2028absorb\u202fabstract",
        "abandon\ufeff ability able about above absent absorb abstract",  # BOM is not white space
        "abandon ability able about above absent absorb",
        "abandon ability able about above absent absorb abstract abstract",
        "abandon ability able about above absent absorb abstrakt",
        "abandonn ability able about above absent absorb abstrakt",
        "",
        "\u0130 ability able about above absent absorb abstract",
        "ABANDON ABILITY ABLE ABOUT ABOVE ABSENT ABSORB ABSTRACT\u0301",
    ]
    keys = derive_reporter_keys(CODENAME, SALT, 1)  # version 1; tests/vectors/codename-derivation has both
    return {
        "normalise": [{"input": text, **outcome(lambda text=text: normalise_codename(text))} for text in inputs],
        "derive": {
            "codename": "  " + CODENAME.upper().replace(" ", "-"),
            "salt": SALT.hex(),
            "login_token": keys.login_token.hex(),
            "reply_public_key": keys.reply_public_key.hex(),
            "sign_public_key": keys.sign_public_key.hex(),
        },
    }


def identity_line(box_pk: bytes, sign_pk: bytes, name: bytes, signature: bytes) -> str:
    return REVIEWER_PREFIX + b64url(box_pk + sign_pk + bytes([len(name)]) + name + signature)


def identity_cases(reviewers: list[ReviewerKeys]) -> list[dict[str, Any]]:
    alice = reviewers[0]
    line = alice.public.to_line()
    blob = base64.urlsafe_b64decode(line[len(REVIEWER_PREFIX) :] + "==")
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    low_order = bytes(32)
    low_signed = IDENTITY_CONTEXT + low_order + alice.public.sign_public_key + b"\x03low"
    low_line = identity_line(
        low_order, alice.public.sign_public_key, b"low", alice.signing_key.sign(low_signed).signature
    )
    # The signature covers the stripped name, so a line carrying " alice " would verify:
    # both implementations refuse a name with white space at either end.
    padded_name = identity_line(
        alice.public.box_public_key, alice.public.sign_public_key, b" alice ", alice.public.signature
    )
    texts = {
        "honest": line,
        "with-comments": f"# Alice's key\n\n  {line}  \r\n# end\n",
        "two-lines": line + "\n" + reviewers[1].public.to_line(),
        "flipped-signature": REVIEWER_PREFIX + b64url(flipped),
        "wrong-prefix": "candour-reviewer-2:" + line[len(REVIEWER_PREFIX) :],
        "truncated": line[:-10],
        "bad-base64": line[:-1] + "!",
        "length-4k+1": line + "A" if len(line[len(REVIEWER_PREFIX) :]) % 4 == 0 else line[:-1],
        "low-order-box-key": low_line,
        "padded-name-refused": padded_name,
        "unicode-name": ReviewerKeys("Zoë Ωmega 名前", seed("unicode")).public.to_line(),
    }

    def parsed(text: str) -> dict[str, str]:
        identity = parse_public_identity(text)
        return {"key_id": identity.key_id.hex(), "fingerprint": identity.fingerprint, "name": identity.name}

    return [{"name": name, "text": text, **outcome(lambda text=text: parsed(text))} for name, text in texts.items()]


def org_identity_cases() -> list[dict[str, Any]]:
    org = OrgKeys("Acme Ltd", seed("org"))
    line = org.public.to_line()
    # An ideographic space (U+3000): white space to Python's str.strip and to pyStrip.
    name = "Acme Ltd\u3000".encode()
    padded = ORG_PREFIX + b64url(org.public.sign_public_key + bytes([len(name)]) + name + org.public.signature)
    texts = {"honest": line, "padded-name-refused": padded}

    def parsed(text: str) -> dict[str, str]:
        identity = parse_org_identity(text)
        return {"fingerprint": identity.fingerprint, "name": identity.name}

    return [{"name": name, "text": text, **outcome(lambda text=text: parsed(text))} for name, text in texts.items()]


def reviewer_list_cases(reviewers: list[ReviewerKeys]) -> dict[str, Any]:
    org = OrgKeys("Acme Ltd", seed("org"))
    entries = [
        ListedReviewer(k.public, k.name.title(), role, i == 0)
        for i, (k, role) in enumerate(zip(reviewers, ["compliance", "independent adviser", ""], strict=True))
    ]
    honest = sign_reviewer_list(org, entries, 3, "2026-11-25")
    document = json.loads(honest)

    def resigned(body: bytes) -> bytes:
        signature = org.signing_key.sign(LIST_CONTEXT + body).signature
        return json.dumps(dict(document, body=b64url(body), signature=b64url(signature))).encode()

    body = json.loads(base64.urlsafe_b64decode(document["body"] + "=="))
    twice = dict(body, reviewers=body["reviewers"] + body["reviewers"][:1])
    other_org = OrgKeys("Impostor", seed("impostor"))
    cases = {
        "honest": (honest, org.public.fingerprint),
        "honest-typed-loosely": (honest, "  " + org.public.fingerprint.upper().replace(" ", "-") + "\n"),
        "no-expected-fingerprint": (honest, None),
        "other-org": (sign_reviewer_list(other_org, entries, 1, "2026-01-01"), org.public.fingerprint),
        "fingerprint-not-words": (honest, "six words that are not valid"),
        "altered-body": (json.dumps(dict(document, body=b64url(b'{"x":1}'))).encode(), None),
        "duplicate-reviewer": (resigned(json.dumps(twice).encode()), None),
        "serial-zero": (resigned(json.dumps(dict(body, serial=0)).encode()), None),
        "serial-float": (resigned(json.dumps(dict(body, serial=2.0)).encode()), None),
        "bad-day": (resigned(json.dumps(dict(body, issued="2026-02-30")).encode()), None),
        "version-2": (json.dumps(dict(document, version=2)).encode(), None),
        "extra-field": (json.dumps(dict(document, extra=1)).encode(), None),
        "not-json": (b"{", None),
        # §5 read strictly, as §7–§10: these differed between a lenient reader and a strict one.
        "duplicate-key-in-file": (honest[:-2] + b',\n  "version": 1\n}\n', None),
        "duplicate-key-in-body": (resigned(json.dumps(body)[:-1].encode() + b', "serial": 9}'), None),
        "version-float": (json.dumps(dict(document, version=1.0)).encode(), None),
        "version-true": (json.dumps(dict(document, version=True)).encode(), None),
        "serial-exponent": (resigned(json.dumps(body).replace('"serial": 3', '"serial": 3e0').encode()), None),
        "serial-over-2^53": (resigned(json.dumps(dict(body, serial=2**53)).encode()), None),
        "serial-2^53-1": (resigned(json.dumps(dict(body, serial=2**53 - 1)).encode()), None),
        "body-padded-base64": (json.dumps(dict(document, body=document["body"] + "=")).encode(), None),
        "lone-surrogate-display-name": (
            resigned(json.dumps(body).replace('"Alice"', '"Al\\ud800ice"').encode()),
            None,
        ),
        "lone-surrogate-organisation": (
            resigned(json.dumps(dict(body, organisation="Acme \ud800")).encode()),
            None,
        ),
        "display-name-150-chars": (
            resigned(json.dumps(dict(body, reviewers=[dict(body["reviewers"][0], display_name="x" * 150)])).encode()),
            None,
        ),
        "missing-entry-key": (
            resigned(json.dumps(dict(body, reviewers=[{"identity": body["reviewers"][0]["identity"]}])).encode()),
            None,
        ),
    }

    def summary(data: bytes, expected: str | None) -> dict[str, Any]:
        signed = verify_reviewer_list(data, expected)
        return {
            "organisation": signed.organisation,
            "serial": signed.serial,
            "issued": signed.issued,
            "org_fingerprint": signed.org.fingerprint,
            "reviewers": [
                {"key_id": r.key_id.hex(), "display_name": r.display_name, "role": r.role, "required": r.required}
                for r in signed.reviewers
            ],
        }

    return {
        "org_line": org.public.to_line(),
        "org_fingerprint": org.public.fingerprint,
        "cases": [
            {
                "name": name,
                "data": b64url(data),
                "expected": expected,
                **outcome(lambda d=data, e=expected: summary(d, e)),
            }
            for name, (data, expected) in cases.items()
        ],
    }


def json_cases() -> dict[str, Any]:
    texts = [
        "{}",
        " {} ",
        '{"a":1,"a":2}',
        "NaN",
        "[Infinity]",
        "[1.0]",
        "[1e400]",
        "-0",
        "01",
        "[",
        '{"a":1} x',
        "\ufeff{}",
        '{"a":"\x01"}',
        '"\\ud800"',
        '"\\ud83d\\ude00"',
        "1" * 4301,
        "[" * 2000 + "]" * 2000,
        '{"a":[true,false,null,"x\\n\\u00e9"]}',
        '"\\x"',
        "[1,]",
        "'a'",
    ]
    reader = JsonReader("t")
    base = {"format": "candour-reply-body", "version": 1, "case": "ab" * 16, "seq": 1, "reviewer_key_id": "cd" * 8}
    bodies = {
        "honest": json.dumps(dict(base, text="hello")),
        "seq-float": json.dumps(dict(base, seq=1.0, text="x")),
        "seq-bool": json.dumps(dict(base, seq=True, text="x")),
        "seq-huge": json.dumps(dict(base, seq=10**30, text="x")),
        "seq-zero": json.dumps(dict(base, seq=0, text="x")),
        "version-float": json.dumps(dict(base, version=1.0, text="x")),
        "version-true": json.dumps(dict(base, version=True, text="x")),
        "upper-hex": json.dumps(dict(base, case="AB" * 16, text="x")),
        "extra-key": json.dumps(dict(base, text="x", extra=1)),
        "missing-key": json.dumps(base),
        "duplicate-key": json.dumps(dict(base, text="x"))[:-1] + ',"text":"y"}',
        "lone-surrogate": json.dumps(dict(base, text="\ud800")),
        "pair-escaped": json.dumps(dict(base, text="\U0001f600")),
        "bad-day-irrelevant-null": json.dumps(dict(base, text=None)),
    }
    return {
        "loads": [
            {"text": text, **outcome(lambda t=text: (reader.loads(t.encode("utf-8", "surrogatepass")), True)[1])}
            for text in texts
        ],
        "bodies": [
            {"name": name, "data": b64url(text.encode("utf-8")), **outcome(lambda t=text: parse_body(t.encode()).text)}
            for name, text in bodies.items()
        ],
    }


def build() -> dict[str, Any]:
    reviewers = [ReviewerKeys(name, seed(name)) for name in ("alice", "bob", "carol")]
    samples = [hash256(bytes([i])) for i in range(8)]
    return {
        "generator": "tests/js/make_fixtures.py",
        "padding": padding_cases(),
        "whitespace": whitespace(),
        "codename": codename_cases(),
        "reviewers": [
            {
                "name": k.name,
                "seed": k.seed.hex(),
                "line": k.public.to_line(),
                "key_id": k.key_id.hex(),
                "fingerprint": k.public.fingerprint,
                "box_public_key": k.box_public_key.hex(),
                "sign_public_key": k.public.sign_public_key.hex(),
            }
            for k in reviewers
        ],
        "bits_to_words": [[data.hex(), count, bits_to_words(data, count)] for data in samples for count in (1, 6, 23)],
        "identities": identity_cases(reviewers),
        "org_identities": org_identity_cases(),
        "reviewer_list": reviewer_list_cases(reviewers),
        "json": json_cases(),
        "tabbed_fields": tabbed_field_cases(),
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    arguments = parser.parse_args()
    expected = render()
    if arguments.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != expected:
            print(f"{TARGET} is stale: run tests/js/make_fixtures.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(expected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
