"""What the sealing code on the reporter's device needs from the server: the values
every reporter page carries for it, a proof-of-work challenge, and the reviewer list
to verify. Every answer is JSON that no cache may keep; nothing sent is ever echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, g, jsonify, url_for

from crypto.errors import CandourError
from crypto.identity import b64url, parse_org_identity
from portal.reporter import bp
from portal.reporter.limits import new_challenge
from portal.store.db import get_db
from portal.store.reviewers import list_reviewers
from portal.store.signed_list import load_signed_list, signed_list_serial


def json_answer(payload: Mapping[str, Any], status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    # Replies and case ids: no cache may keep them for the next person at this computer.
    response.headers["Cache-Control"] = "no-store"
    return response


def org_fingerprint() -> str:
    """The organisation key's six words the browser checks the signed list against:
    ORG_FINGERPRINT if set, else that of ORG_PUBLIC_KEY, else "" (nothing to check)."""
    config = current_app.config
    if config.get("ORG_FINGERPRINT"):
        return str(config["ORG_FINGERPRINT"])
    if config.get("ORG_PUBLIC_KEY"):
        try:
            return parse_org_identity(str(config["ORG_PUBLIC_KEY"])).fingerprint
        except CandourError:
            return ""
    return ""


STORAGE_KEY_FLAG = "candour_reporter_storage_key"


def hand_back_storage_key(storage_key: bytes) -> None:
    """This page carries the browser session's storage key (data-storage-key)."""
    g.setdefault(STORAGE_KEY_FLAG, b64url(storage_key))


@bp.app_context_processor
def _browser_page_values() -> dict[str, Any]:
    def organisation_key() -> dict[str, str]:
        """The organisation key's fingerprint as shown beside the reviewer list, and
        where the organisation publishes it for comparison ("" when unset)."""
        return {
            "fingerprint": org_fingerprint(),
            "published_at": str(current_app.config.get("ORG_FINGERPRINT_PUBLISHED_AT") or ""),
        }

    def browser_values() -> dict[str, str]:
        config = current_app.config
        serial = signed_list_serial(get_db())
        values = {
            "salt": str(config.get("INSTANCE_SALT") or ""),
            "org-fingerprint": org_fingerprint(),
            # The lowest signed-list serial the browser may accept: the loaded list's.
            "min-list-serial": str(serial or 0),
            "list-url": url_for("reporter.reviewer_list_json"),
            "report-url": url_for("reporter.report_sealed"),
            "followup-url": url_for("reporter.followup_sealed"),
            "token-url": url_for("reporter.followup_token"),
            "case-url": url_for("reporter.case_page"),
            "replies-url": url_for("reporter.case_replies_json"),
            "max-bytes": str(int(config["MAX_TOTAL_UPLOAD_BYTES"])),
            "max-files": str(int(config["MAX_ATTACHMENTS"])),
            "challenge-url": url_for("reporter.report_challenge"),
        }
        if g.get(STORAGE_KEY_FLAG):
            values["storage-key"] = str(g.get(STORAGE_KEY_FLAG))
        return values

    return {"browser_values": browser_values, "organisation_key": organisation_key}


@bp.get("/report/challenge")
def report_challenge() -> Response:
    """A fresh proof-of-work challenge for the next sealed report or follow-up."""
    challenge, difficulty = new_challenge()
    ttl = int(current_app.config["POW_TTL_SECONDS"])
    return json_answer({"challenge": challenge, "difficulty": difficulty, "ttl": ttl})


@bp.get("/reviewer-list.json")
def reviewer_list_json() -> Response:
    """The organisation-signed list, verbatim, for the browser to verify; or, when none
    was loaded, the server's own reviewer identities marked as unsigned."""
    signed = load_signed_list(get_db())
    if signed is not None:
        return json_answer({"signed": True, "list": signed})
    reviewers = [
        {
            "identity": reviewer.identity,
            "display_name": reviewer.display_name,
            "role": reviewer.role,
            "required": reviewer.required,
        }
        for reviewer in list_reviewers(get_db(), active_only=True)
    ]
    return json_answer({"signed": False, "reviewers": reviewers})
