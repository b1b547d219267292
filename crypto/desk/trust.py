"""The Desk's side of the trust checks: the casebook (crypto/casebook.py) decides, this words it.

The Desk keeps no pins of its own. It reads and updates the same casebook beside the
reviewer's key (`NAME.casebook`, made by `keygen`) that `python3 -m crypto decrypt`,
`reply` and `verify` use, so a case or an organisation key confirmed in one is known
to the other:

- the organisation key is pinned in the casebook once the reviewer confirmed its
  fingerprint on screen; every import then goes through crypto/trust.py's
  `choose_trust` (`Casebook.check_list`: another organisation's key or an older list
  serial refuses the export as a whole);
- the audit trail is checked with `Casebook.check_audit`: a rewritten trail refuses
  the export as a whole, as `decrypt` does;
- a case's reporter keys and report are pinned with `Casebook.check_case`; a later
  export whose report under that case id differs is refused for that case, loudly,
  and the earlier genuine copy is kept (`case_refused` words it);
- replies are composed by crypto/compose.py's `compose_reply` (sealed only to the
  pinned reporter key and to the reviewers the report's MAC-authenticated header
  names, numbered after `Casebook.used_seqs`);
- a reviewer's reply or signed status counts as verified only if its signer was one
  of those recipients; without an organisation-signed list it is checked against the
  server's own list, and every screen that shows a verification says so.
"""

from collections.abc import Iterable

from ..casebook import Casebook, CaseReplacedError
from ..errors import CandourError
from ..identity import PublicIdentity
from ..org import SignedReviewerList
from ..submission import OpenedSubmission, ReporterPublic
from ..trust import TrustChoice

UNSIGNED_LIST_MODE = (
    "Reviewer list not signed: signatures are checked against the server's own list, "
    "which a server in the wrong hands can change."
)
SIGNED_LIST_MODE = "Reviewer list signed by {org} (key fingerprint: {fingerprint}), serial {serial}."


class TrustError(CandourError):
    """An export the Desk refuses as a whole; the message says why and what to do."""


def org_pin_needed(book: Casebook, signed: SignedReviewerList | None) -> bool:
    """The export is signed by an organisation and the casebook trusts none yet: ask the reviewer first."""
    return signed is not None and book.org is None


def list_mode(choice: TrustChoice) -> str:
    """The line every screen showing a verification carries: which list verified it."""
    signed = choice.signed
    if signed is None:
        return UNSIGNED_LIST_MODE
    return SIGNED_LIST_MODE.format(org=signed.organisation, fingerprint=signed.org.fingerprint, serial=signed.serial)


def refuse_unsigned_after_signed(choice: TrustChoice) -> None:
    """An export without the signed list once the casebook trusts an organisation is not imported at all.

    `decrypt` reads such an export and verifies no signature in it; the Desk refuses it,
    so that no queue ever mixes verified cases with cases nothing could verify.
    """
    if choice.signed is None and choice.warning is not None and not choice.known:
        raise TrustError(f"{choice.warning[0].upper()}{choice.warning[1:]}: not imported.")


def case_refused(case_id: str, error: CaseReplacedError) -> str:
    """The queue's warning for a case the casebook refused (its earlier copy is kept); the message names the case."""
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


def server_copy_warning(case_id: str, opened: OpenedSubmission, server_copy: ReporterPublic) -> str | None:
    if server_copy == opened.reporter:
        return None
    return (
        f"Case {case_id[:8]}: the server's copy of the reporter's keys differs from the reporter's own signed "
        "report. The Desk uses only the signed keys, and writes no reply to this case; tell your organisation."
    )


def extra_recipients_warning(case_id: str, listed: Iterable[bytes], sealed_to: Iterable[bytes]) -> str | None:
    extra = sorted(key_id.hex() for key_id in set(listed) - set(sealed_to))
    if not extra:
        return None
    return (
        f"Case {case_id[:8]}: the server lists reviewer {extra[0]} on this case, but the report was not sealed to "
        "that key. The Desk writes no reply to this case; tell your organisation."
    )


def signer_check(signer: bytes, sealed_to: Iterable[bytes]) -> str | None:
    """None when the signer may speak for this case; otherwise why not."""
    if signer not in set(sealed_to):
        return "the signer was not one of the reviewers this report was sealed to"
    return None


def reply_recipients(sealed_to: Iterable[bytes], known: dict[bytes, PublicIdentity]) -> list[PublicIdentity]:
    """The reviewers a reply's copy would go to (shown on the case screen; compose_reply decides when writing)."""
    recipients = []
    for key_id in sealed_to:
        identity = known.get(key_id)
        if identity is None:
            raise LookupError(f"reviewer {key_id.hex()} of this case is not in the export's reviewer list")
        recipients.append(identity)
    return recipients
