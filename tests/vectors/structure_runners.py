"""Run one structure vector against the Python reference (`crypto/`, public API only).

`run(document)` returns what the reference did, in the vector's own terms:
`{"outcome": "accepted", ...values}` or `{"outcome": "refused", "error": "<§12 name>"}`;
`matches(document, result)` says whether that is the vector's expected outcome.
Shared by tests/vectors/test_structures.py and tests/vectors/generate_structures.py
(which refuses to write a vector the reference does not meet, unless the disagreement
is listed in KNOWN_DISAGREEMENTS).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.vectors.structure_common import SPEC_ERRORS, b64u, unb64u

from crypto import org as org_module
from crypto import reply as reply_module
from crypto.bundle import open_bundle
from crypto.codename import derive_master_key, login_lookup_hash, normalise_codename, reporter_keys_from_master
from crypto.envelope import open_envelope
from crypto.errors import CandourError
from crypto.identity import (
    OrgKeys,
    ReviewerKeys,
    load_private_key,
    parse_org_identity,
    parse_public_identity,
)
from crypto.org import verify_reviewer_list
from crypto.reply import (
    SignedReply,
    check_reply_binding,
    check_sequence,
    open_reply_for_reporter,
    verify_reply_signature,
)
from crypto.replyfile import parse_reply_file
from crypto.submission import ReporterPublic, check_manifest_binding, open_submission, parse_part0


class MissingApi(Exception):
    """The rule is normative but crypto/ has no public function that applies it yet."""


def spec_error(error: BaseException) -> str:
    """The most specific §12 error `error` is an instance of."""
    for cls in type(error).__mro__:
        if cls.__name__ in SPEC_ERRORS:
            return cls.__name__
    raise AssertionError(f"{type(error).__name__} is not one of the §12 errors: {error}")


def run(document: dict[str, Any]) -> dict[str, Any]:
    runner = RUNNERS[document["family"]]
    try:
        values = runner(document["input"])
    except CandourError as error:
        return {"outcome": "refused", "error": spec_error(error)}
    return {"outcome": "accepted", **values}


def matches(document: dict[str, Any], result: dict[str, Any]) -> bool:
    expected = document["expected"]
    if expected["outcome"] != result["outcome"]:
        return False
    if expected["outcome"] == "refused":
        return bool(expected["error"] == result["error"])
    return all(result.get(key) == value for key, value in expected.items())


# --- §4 key files -------------------------------------------------------------------------


def run_keyfile(given: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "vector.key"
        path.write_text(given["file"], encoding="utf-8")
        keys = load_private_key(path, given["passphrase"])
    return {
        "kind": "org" if isinstance(keys, OrgKeys) else "reviewer",
        "name": keys.name,
        "public": keys.public.to_line(),
        "seed": keys.seed.hex(),
    }


# --- §4 identity lines ----------------------------------------------------------------------


def run_identity(given: dict[str, Any]) -> dict[str, Any]:
    if "seed" in given:
        keys = ReviewerKeys(name=given["name"], seed=bytes.fromhex(given["seed"]))
        return {
            "box_secret_key": keys.box_secret_key.hex(),
            "box_public_key": keys.box_public_key.hex(),
            "sign_seed": bytes(keys.signing_key).hex(),
            "sign_public_key": bytes(keys.signing_key.verify_key).hex(),
            "key_id": keys.key_id.hex(),
            "fingerprint": keys.public.fingerprint,
            "line": keys.public.to_line(),
        }
    identity = parse_public_identity(given["pub"])
    return {
        "name": identity.name,
        "box_public_key": identity.box_public_key.hex(),
        "sign_public_key": identity.sign_public_key.hex(),
        "key_id": identity.key_id.hex(),
        "fingerprint": identity.fingerprint,
    }


# --- §5 organisation lines and signed lists ---------------------------------------------------


def run_org(given: dict[str, Any]) -> dict[str, Any]:
    if "seed" in given:
        keys = OrgKeys(name=given["name"], seed=bytes.fromhex(given["seed"]))
        return {
            "sign_public_key": bytes(keys.signing_key.verify_key).hex(),
            "fingerprint": keys.public.fingerprint,
            "line": keys.public.to_line(),
        }
    org = parse_org_identity(given["org"])
    return {"name": org.name, "sign_public_key": org.sign_public_key.hex(), "fingerprint": org.fingerprint}


def run_list(given: dict[str, Any]) -> dict[str, Any]:
    signed = verify_reviewer_list(given["list"].encode("utf-8"), given.get("expected_org_fingerprint"))
    if "loaded_serial" in given:
        # The no-rollback rule of §5; the portal applies it inline today.
        check = getattr(org_module, "check_newer_list", None)
        if check is None:
            raise MissingApi("crypto.org has no check_newer_list(signed, loaded_serial)")
        check(signed, given["loaded_serial"])
    return {
        "organisation": signed.organisation,
        "serial": signed.serial,
        "issued": signed.issued,
        "reviewers": [
            {
                "key_id": entry.identity.key_id.hex(),
                "display_name": entry.display_name,
                "role": entry.role,
                "required": entry.required,
            }
            for entry in signed.reviewers
        ],
    }


# --- §6 codenames -----------------------------------------------------------------------------


def run_codename(given: dict[str, Any]) -> dict[str, Any]:
    normal = normalise_codename(given["typed"])
    if "instance_salt" not in given:
        return {"normal_form": normal}
    master = derive_master_key(
        given["typed"], bytes.fromhex(given["instance_salt"]), 1
    )  # the structure family is version 1
    keys = reporter_keys_from_master(master)
    values = {
        "normal_form": normal,
        "master_key": master.hex(),
        "login_token": keys.login_token.hex(),
        "reply_secret_key": keys.reply_secret_key.hex(),
        "reply_public_key": keys.reply_public_key.hex(),
        "sign_seed": keys.signing_seed.hex(),
        "sign_public_key": bytes(keys.signing_key.verify_key).hex(),
    }
    if "pepper" in given:
        values["login_lookup"] = login_lookup_hash(keys.login_token, bytes.fromhex(given["pepper"])).hex()
    return values


# --- §2 envelope streams (the existing envelope outcome words) ---------------------------------


def run_stream(given: dict[str, Any]) -> dict[str, Any]:
    keys = ReviewerKeys(given["reviewer"]["name"], bytes.fromhex(given["reviewer"]["seed"]))
    sink = io.BytesIO()
    open_envelope(io.BytesIO(unb64u(given["envelope"])), sink, keys)
    return {"plaintext": b64u(sink.getvalue())}


# --- §7 submissions ---------------------------------------------------------------------------


def _reporter_public(value: dict[str, str] | None) -> ReporterPublic | None:
    if value is None:
        return None
    return ReporterPublic(reply_key=unb64u(value["reply_key"]), sign_key=unb64u(value["sign_key"]))


def run_submission(given: dict[str, Any]) -> dict[str, Any]:
    if "parts" in given:
        keys = ReviewerKeys(given["reviewer"]["name"], bytes.fromhex(given["reviewer"]["seed"]))
        opened = open_submission({int(index): unb64u(data) for index, data in given["parts"].items()}, keys)
        return {
            "kind": opened.kind,
            "case": opened.case,
            "attachments": [
                {"part": item.info.part, "name": item.info.name, "data": b64u(bytes(item.location))}
                for item in opened.attachments
            ],
        }
    manifest = parse_part0(unb64u(given["part0"]))
    check_manifest_binding(
        manifest,
        bytes.fromhex(given["envelope_submission_id"]),
        given["expected_case"],
        _reporter_public(given["expected_reporter"]),
    )
    return {
        "kind": manifest.kind,
        "case": manifest.case,
        "submission": manifest.submission,
        "day": manifest.day,
        "fields": dict(manifest.fields),
        "reporter": manifest.reporter.to_json(),
    }


# --- §8 replies -------------------------------------------------------------------------------


def run_reply(given: dict[str, Any]) -> dict[str, Any]:
    """The server's acceptance (§8), then the reporter's, in the order §15 gives."""
    known = {identity.key_id: identity for identity in map(parse_public_identity, given["known_reviewers"])}
    copy = given["reply"]
    reply = SignedReply(
        statement=unb64u(copy["statement"]),
        signature=unb64u(copy["signature"]),
        for_reporter=unb64u(copy["for_reporter"]),
        for_reviewers=unb64u(copy["for_reviewers"]),
    )
    statement = verify_reply_signature(reply, known)
    if statement.reviewer_key_id.hex() not in given["case_recipients"]:
        check = getattr(reply_module, "check_recipient", None)
        if check is None:
            raise MissingApi("crypto.reply has no check_recipient(statement, case_recipient_key_ids)")
        check(statement, [bytes.fromhex(key_id) for key_id in given["case_recipients"]])
    reporter_key = unb64u(given["reporter_reply_key"])
    check_reply_binding(statement, given["case"], reporter_key)
    check_sequence(given["last_seq"], statement)
    body = open_reply_for_reporter(reply, bytes.fromhex(given["reporter_reply_secret_key"]), reporter_key)
    return {
        "seq": statement.seq,
        "reviewer_key_id": statement.reviewer_key_id.hex(),
        "status": None if statement.status is None else statement.status.to_json(),
        "text": body.text,
    }


# --- §9 reply files ---------------------------------------------------------------------------


def run_replyfile(given: dict[str, Any]) -> dict[str, Any]:
    replies = parse_reply_file(unb64u(given["file"]))
    return {"count": len(replies), "statements": [b64u(reply.statement) for reply in replies]}


# --- §10 export bundles -----------------------------------------------------------------------


def run_bundle(given: dict[str, Any]) -> dict[str, Any]:
    """Open the bundle, then each case's report; a report's own failure is reported per case."""
    keys = ReviewerKeys(given["reviewer"]["name"], bytes.fromhex(given["reviewer"]["seed"]))
    outcomes: dict[str, str] = {}
    with open_bundle(io.BytesIO(unb64u(given["bundle"])), keys) as bundle:
        for case in bundle:
            report = case.report
            if report is None:
                outcomes[case.case] = "no report"
                continue
            try:
                open_submission(bundle.part_sources(report), keys, expected_case=case.case)
            except CandourError as error:
                outcomes[case.case] = spec_error(error)
            else:
                outcomes[case.case] = "accepted"
    return {"cases": outcomes}


RUNNERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "keyfile": run_keyfile,
    "identity": run_identity,
    "org": run_org,
    "list": run_list,
    "codename": run_codename,
    "stream": run_stream,
    "submission": run_submission,
    "reply": run_reply,
    "replyfile": run_replyfile,
    "bundle": run_bundle,
}
