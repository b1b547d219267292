"""Whom an export's signatures are checked against, decided with the casebook (issue 11 §3).

Only the organisation-signed reviewer list counts, and only once its organisation key
is pinned in the casebook (the reviewer confirms the six-word fingerprint once, typed
or with --org-fingerprint) and its serial is not older than the highest seen. An
instance without an organisation key is read in an explicit unsigned mode whose
warning is on every page; an export that drops the list after an organisation was
pinned verifies nothing.
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from ..bundle import Bundle
from ..casebook import Casebook
from ..identity import PublicIdentity
from ..org import SignedReviewerList
from .common import load_org_identity_file, say
from .org import optional_reviewer_list

UNSIGNED_WARNING = (
    "reviewer list not signed: signatures checked against the server's own list, "
    "which a server in the wrong hands can change"
)


@dataclass(frozen=True)
class TrustChoice:
    known: dict[bytes, PublicIdentity]
    names: dict[bytes, str]
    label: str
    warning: str | None
    signed: SignedReviewerList | None


def _confirmation(args: argparse.Namespace) -> str | None:
    if getattr(args, "org_fingerprint", None):
        return str(args.org_fingerprint)
    if getattr(args, "org", None):
        return str(load_org_identity_file(Path(args.org)).fingerprint)
    if sys.stdin.isatty():
        say("This export's reviewer list is signed by an organisation key this machine has not seen yet.")
        return input("Type its six-word fingerprint, as your organisation gave it to you: ")
    return None


def choose_trust(bundle: Bundle, book: Casebook, args: argparse.Namespace) -> TrustChoice:
    """The reviewer list to verify `bundle` with, checked against and recorded in `book` (not saved)."""
    signed = optional_reviewer_list(args) if getattr(args, "reviewers", None) else bundle.reviewer_list
    if signed is not None:
        book.check_list(signed, None if book.org is not None else _confirmation(args))
        return TrustChoice(
            known={r.key_id: r.identity for r in signed.reviewers},
            names={r.key_id: f"{r.display_name} ({r.identity.name})" for r in signed.reviewers},
            label=f"the organisation-signed reviewer list (serial {signed.serial})",
            warning=None,
            signed=signed,
        )
    if book.org is not None:
        return TrustChoice(
            known={},
            names={r.key_id: f"{r.display_name} ({r.identity.name})" for r in bundle.reviewers},
            label="no list",
            warning=(
                "this export carries no organisation-signed reviewer list, although this machine trusts the "
                f"organisation key '{book.org.fingerprint}': no reviewer's signature can be verified. "
                "Tell your organisation"
            ),
            signed=None,
        )
    return TrustChoice(
        known=bundle.known_reviewers(),
        names={},
        label="the server's own reviewer list (not signed)",
        warning=UNSIGNED_WARNING,
        signed=None,
    )
