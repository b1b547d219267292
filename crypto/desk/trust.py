"""The trust checks the Desk applies to what an export says, in one place.

Issue 11's casebook (pinned organisation key, pinned reporter keys per case, reply
numbers, audit head) is being built in crypto/ by another change; until the Desk is
pointed at it, this module keeps the Desk's own pins inside the Desk's encrypted state
(crypto/desk/vault.py) with the same rules:

- the organisation key is pinned at first use, once the reviewer confirmed its
  fingerprint; an export signed by another key, without a signed list after one had
  it, or with an older list serial (a rollback) is refused as a whole;
- the audit trail's head is pinned; an export whose trail does not extend it is
  flagged "rewritten";

- a case's reporter keys and report are pinned from the first verified signed report;
  a later export whose report under that case id differs is refused for that case,
  loudly, and the earlier genuine copy is kept (nothing is replaced);
- replies are sealed only to the pinned reporter key and to the reviewers the report's
  MAC-authenticated header names, never to extra recipients the server lists;
- a reviewer's reply or signed status counts as verified only if its signer was one of
  those recipients; without an organisation-signed list it is checked against the
  server's own list, and every screen that shows a verification says so.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..audit_chain import AuditHead, AuditTrail, check_continuity
from ..errors import CandourError
from ..identity import PublicIdentity
from ..org import SignedReviewerList
from ..submission import OpenedSubmission, ReporterPublic

UNSIGNED_LIST_MODE = (
    "Reviewer list not signed: signatures are checked against the server's own list, "
    "which a server in the wrong hands can change."
)


@dataclass(frozen=True)
class ReporterCheck:
    accepted: bool
    warning: str | None = None


def report_hash(opened: OpenedSubmission) -> str:
    return hashlib.sha256(opened.manifest_bytes + opened.signature).hexdigest()


def check_reporter(
    pins: dict[str, Any], case_id: str, opened: OpenedSubmission, server_copy: ReporterPublic
) -> ReporterCheck:
    """Pin on first sight; refuse a case whose signed report differs from the pinned one."""
    now = {"reply_key": opened.reply_key.hex(), "sign_key": opened.sign_key.hex(), "report": report_hash(opened)}
    pinned = pins.get(case_id)
    if pinned is None:
        pins[case_id] = now
    elif pinned != now:
        return ReporterCheck(
            False,
            f"The server sent a different report under case {case_id[:8]}: not shown, nothing replaced. "
            "Tell your organisation.",
        )
    if server_copy != opened.reporter:
        return ReporterCheck(
            True,
            f"Case {case_id[:8]}: the server's copy of the reporter's keys differs from the reporter's own signed "
            "report. The Desk uses only the signed keys; tell your organisation.",
        )
    return ReporterCheck(True)


def extra_recipients_warning(case_id: str, listed: Iterable[bytes], sealed_to: Iterable[bytes]) -> str | None:
    extra = sorted(key_id.hex() for key_id in set(listed) - set(sealed_to))
    if not extra:
        return None
    return (
        f"Case {case_id[:8]}: the server lists reviewer {extra[0]} on this case, but the report was not sealed to "
        "that key. Replies go only to the reviewers the report names; tell your organisation."
    )


def signer_check(signer: bytes, sealed_to: Iterable[bytes]) -> str | None:
    """None when the signer may speak for this case; otherwise why not."""
    if signer not in set(sealed_to):
        return "the signer was not one of the reviewers this report was sealed to"
    return None


def reply_recipients(sealed_to: Iterable[bytes], known: Mapping[bytes, PublicIdentity]) -> list[PublicIdentity]:
    """The reviewers' copy goes to the report's own recipients only (the key id is a digest of the keys)."""
    recipients = []
    for key_id in sealed_to:
        identity = known.get(key_id)
        if identity is None:
            raise LookupError(f"reviewer {key_id.hex()} of this case is not in the export's reviewer list")
        recipients.append(identity)
    return recipients


# --- the organisation key, the signed list and the audit trail -----------------------------

SIGNED_LIST_MODE = "Reviewer list signed by {org} (key fingerprint: {fingerprint}), serial {serial}."


class TrustError(CandourError):
    """An export the Desk refuses as a whole; the message says why and what to do."""


def org_pin_needed(pins: Mapping[str, Any], signed: SignedReviewerList | None) -> bool:
    return signed is not None and "org" not in pins


def check_export_list(state: dict[str, Any], signed: SignedReviewerList | None) -> str | None:
    """Refuse a list from another organisation key or older than one seen; None, or a notice."""
    org = state.get("org")
    if signed is None:
        if org is not None:
            raise TrustError(
                "this export carries no organisation-signed reviewer list, although your earlier exports did: "
                "not imported; tell your organisation"
            )
        return None
    if org is None:
        raise TrustError("confirm the organisation key's fingerprint before importing")
    if org["key"] != signed.org.sign_public_key.hex():
        raise TrustError(
            f"this export's reviewer list is signed by another organisation key ({signed.org.fingerprint}), not "
            f"the one you confirmed ({org['fingerprint']}): not imported; tell your organisation"
        )
    highest = int(state.get("list_serial", 0))
    if signed.serial < highest:
        raise TrustError(
            f"this export carries reviewer list serial {signed.serial}, older than serial {highest} you already "
            "have: a rollback. Not imported; tell your organisation"
        )
    state["list_serial"] = signed.serial
    return None


def pin_org(state: dict[str, Any], signed: SignedReviewerList) -> None:
    state["org"] = {
        "key": signed.org.sign_public_key.hex(),
        "name": signed.organisation,
        "fingerprint": signed.org.fingerprint,
    }


def check_audit(state: dict[str, Any], trail: AuditTrail | None) -> str | None:
    """Check the audit head extends the pinned one; pin the new head. Returns a warning or None."""
    if trail is None:
        return None
    pinned = state.get("audit_head")
    head = None if pinned is None else AuditHead(int(pinned["seq"]), bytes.fromhex(pinned["hash"]))
    continuity = check_continuity(trail, head)
    if not continuity.ok:
        return f"The organisation's audit trail was rewritten since your last export: {continuity.message}."
    if head is None or trail.head.seq >= head.seq:
        state["audit_head"] = {"seq": trail.head.seq, "hash": trail.head.hash.hex()}
    return None
