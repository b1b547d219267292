"""Whom an export's signatures are checked against, decided with the casebook (issue 11 §3).

Only the organisation-signed reviewer list counts, and only once its organisation key
is pinned in the casebook (the reviewer confirms the six-word fingerprint once, typed
or with --org-fingerprint) and its serial is not older than the highest seen. An
instance without an organisation key is read in an explicit unsigned mode whose
warning is on every page; an export that drops the list after an organisation was
pinned verifies nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .bundle import Bundle
from .casebook import Casebook, CasebookError
from .identity import PublicIdentity
from .org import SignedReviewerList

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


def choose_trust(
    bundle: Bundle,
    book: Casebook,
    confirm_fingerprint: Callable[[], str | None],
    signed_list: SignedReviewerList | None = None,
) -> TrustChoice:
    """The reviewer list to verify `bundle` with, checked against and recorded in `book` (not saved).

    `signed_list` (a list the reviewer gave explicitly) takes the place of the export's.
    `confirm_fingerprint` is called only at first use, when no organisation is pinned:
    it returns the six words the reviewer typed (or None: then a `CasebookError` says
    how to give them). Raises the casebook's errors for another organisation or an
    older list. Used by `python3 -m crypto decrypt` and the Desk's import.
    """
    signed = signed_list if signed_list is not None else bundle.reviewer_list
    if signed is not None:
        book.check_list(signed, None if book.org is not None else confirm_fingerprint())
        return _signed_choice(signed)
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


def recorded_trust(bundle: Bundle, book: Casebook) -> TrustChoice:
    """The reviewer list to verify an export with that `book` accepted before (the Desk re-reads its stored exports).

    The same choice as `choose_trust`, without the serial check (a later export may
    since have carried a newer list) and without pinning anything: a signed list must
    still be signed by the organisation key the casebook trusts, or `CasebookError`.
    """
    signed = bundle.reviewer_list
    if signed is None:
        return choose_trust(bundle, book, lambda: None)
    if book.org is None or book.org.sign_public_key != signed.org.sign_public_key:
        raise CasebookError(
            f"this stored export's reviewer list is signed by the organisation key '{signed.org.fingerprint}', "
            "which this machine's casebook does not trust: not read. Import it again to confirm the key"
        )
    return _signed_choice(signed)


def _signed_choice(signed: SignedReviewerList) -> TrustChoice:
    return TrustChoice(
        known={r.key_id: r.identity for r in signed.reviewers},
        names={r.key_id: f"{r.display_name} ({r.identity.name})" for r in signed.reviewers},
        label=f"the organisation-signed reviewer list (serial {signed.serial})",
        warning=None,
        signed=signed,
    )
