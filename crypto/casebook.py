"""The casebook: what the offline machine remembers so that the server cannot say something else twice.

docs/format.md §14. One file next to the reviewer's key (`NAME.casebook` beside
`NAME.key`), encrypted and authenticated with XSalsa20-Poly1305 under a key derived
from the reviewer's private key (useless without the passphrase). It holds:

- the organisation key, pinned once after the reviewer confirmed its six-word
  fingerprint (`pin_org`);
- the highest serial of the organisation-signed reviewer list seen (`check_list`:
  an older one is refused as a rollback);
- per case: the reporter's reply and signing keys from the first verified signed
  report, and that report's hash (`check_case`: a different report or different keys
  under a known case id is refused);
- the reply numbers this reviewer used per case (`record_reply`, `used_seqs`);
- the last audit-trail head an export carried (`check_audit`).

Every command reads it before it acts and saves it after (`save`, atomic and durable).
A missing or damaged casebook is an error (`CasebookError`) with the recovery in its
message, never a silent reset: `create_casebook` makes a new one only when asked.

Used by `python -m crypto decrypt`, `reply` and `verify`, and by the Desk:

    book = open_casebook(key_path, keys)        # raises CasebookError if missing/damaged
    book.check_list(signed_list, confirm=...)   # pins the org at first use
    book.check_case(case_id, reporter, report_hash)
    book.save()
"""

import datetime
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from .audit_chain import AuditHead, AuditTrail, Continuity, check_continuity
from .errors import CandourError
from .files import write_atomically, write_new_file
from .identity import OrgIdentity, ReviewerKeys
from .kdf import derive_subkey
from .org import SignedReviewerList, normalise_fingerprint
from .submission import ReporterPublic

MAGIC = b"CANDOUR-CASEBOOK\x00"
VERSION = 1
SUFFIX = ".casebook"
KEY_LABEL = b"candour/v1 casebook"
MAX_CASEBOOK_BYTES = 256 * 1024 * 1024

RECOVERY = (
    "restore NAME.casebook from your backup of the key folder; if there is none, "
    "'python -m crypto casebook init --key KEYFILE --replace' starts an empty one: then every case, "
    "the organisation key and the audit trail are trusted afresh on first sight, so check the "
    "organisation's fingerprint again and compare the cases you knew"
)


class CasebookError(CandourError):
    """The casebook is missing, damaged, not this key's, or refuses what an export says."""


class CaseReplacedError(CasebookError):
    """An export carries a different report (or reporter keys) under a case id the casebook knows."""


class RollbackError(CasebookError):
    """An export carries an older signed reviewer list, or an audit trail that does not extend the pinned one."""


@dataclass
class PinnedCase:
    reply_key: bytes
    sign_key: bytes
    report_hash: bytes
    first_seen: str
    seqs: set[int] = field(default_factory=set)

    @property
    def reporter(self) -> ReporterPublic:
        return ReporterPublic(reply_key=self.reply_key, sign_key=self.sign_key)


@dataclass(frozen=True)
class PinnedOrg:
    sign_public_key: bytes
    fingerprint: str
    name: str


def casebook_path(key_path: str | os.PathLike[str]) -> Path:
    """`DIR/NAME.casebook` for the key file `DIR/NAME.key`."""
    key_path = Path(key_path)
    return key_path.with_name(key_path.stem + SUFFIX)


def _box(keys: ReviewerKeys) -> SecretBox:
    return SecretBox(derive_subkey(keys.seed, KEY_LABEL))


@dataclass
class Casebook:
    """The decrypted casebook of one reviewer key. State is needed: what `save` writes back."""

    path: Path
    keys: ReviewerKeys = field(repr=False)
    org: PinnedOrg | None = None
    list_serial: int = 0
    cases: dict[str, PinnedCase] = field(default_factory=dict)
    audit_head: AuditHead | None = None
    created: str = ""

    # --- the organisation and its signed list ----------------------------------------

    def pin_org(self, org: OrgIdentity, typed_fingerprint: str) -> None:
        """Pin `org` after the reviewer typed (or gave with --org-fingerprint) its six words."""
        if self.org is not None:
            if self.org.sign_public_key != org.sign_public_key:
                raise CasebookError(
                    f"this machine already trusts the organisation key with fingerprint '{self.org.fingerprint}'; "
                    f"the export's list is signed by '{org.fingerprint}': not used. Tell your organisation"
                )
            return
        if normalise_fingerprint(typed_fingerprint) != org.fingerprint:
            raise CasebookError(
                "the fingerprint you gave is not the fingerprint of the organisation key that signed this export's "
                "reviewer list: nothing was pinned. Compare the six words with the ones your organisation gave you "
                "(not with anything the server shows); if they differ, do not trust this export"
            )
        self.org = PinnedOrg(org.sign_public_key, org.fingerprint, org.name)

    def check_list(self, signed: SignedReviewerList, confirm_fingerprint: str | None = None) -> None:
        """Accept `signed` only from the pinned organisation and not older than the highest serial seen.

        At first use (no organisation pinned) `confirm_fingerprint` must be the six words;
        without them a `CasebookError` says how to give them.
        """
        if self.org is None:
            if confirm_fingerprint is None:
                raise CasebookError(
                    "this export's reviewer list is signed by an organisation key this machine has not seen yet. "
                    'Confirm it once: run the command again with --org-fingerprint "SIX WORDS", the six words '
                    "your organisation gave you (not words shown by the server)"
                )
            self.pin_org(signed.org, confirm_fingerprint)
        elif self.org.sign_public_key != signed.org.sign_public_key:
            raise CasebookError(
                f"the export's reviewer list is signed by another organisation key ('{signed.org.fingerprint}') than "
                f"the one this machine trusts ('{self.org.fingerprint}'): nothing was read. Tell your organisation"
            )
        if signed.serial < self.list_serial:
            raise RollbackError(
                f"the export carries reviewer list serial {signed.serial}, older than serial {self.list_serial} "
                "seen before on this machine: the server rolled the list back. Nothing was read; tell your organisation"
            )
        self.list_serial = signed.serial

    # --- cases ----------------------------------------------------------------------------

    def check_case(self, case_id: str, reporter: ReporterPublic, report_hash: bytes, day: str = "") -> bool:
        """Pin a case at its first verified report, or check it is the pinned one. True if newly pinned.

        Raises `CaseReplacedError` naming the case if the reporter's keys or the report differ.
        """
        pinned = self.cases.get(case_id)
        if pinned is None:
            self.cases[case_id] = PinnedCase(reporter.reply_key, reporter.sign_key, report_hash, day)
            return True
        if pinned.reply_key != reporter.reply_key or pinned.sign_key != reporter.sign_key:
            raise CaseReplacedError(
                f"the server sent a different report under case {case_id}, signed with other reporter keys than "
                "the one first seen here: not shown, nothing replaced; tell your organisation"
            )
        if pinned.report_hash != report_hash:
            raise CaseReplacedError(
                f"the server sent a different report under case {case_id} (same reporter keys, other content): "
                "not shown, nothing replaced; tell your organisation"
            )
        return False

    def pinned_reporter(self, case_id: str) -> ReporterPublic | None:
        pinned = self.cases.get(case_id)
        return None if pinned is None else pinned.reporter

    def used_seqs(self, case_id: str) -> set[int]:
        pinned = self.cases.get(case_id)
        return set() if pinned is None else set(pinned.seqs)

    def record_reply(self, case_id: str, seq: int) -> None:
        pinned = self.cases.get(case_id)
        if pinned is None:
            raise CasebookError(f"case {case_id} is not in the casebook: its report was never verified here")
        pinned.seqs.add(seq)

    # --- the audit trail -----------------------------------------------------------------

    def check_audit(self, trail: AuditTrail) -> Continuity:
        """Check that `trail` extends the pinned head; pin its head. Raises `RollbackError` if rewritten."""
        result = check_continuity(trail, self.audit_head)
        if not result.ok:
            raise RollbackError(f"{result.message}: nothing was read; tell your organisation")
        self.audit_head = trail.head
        return result

    # --- storage ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "candour-casebook",
            "version": VERSION,
            "reviewer_key_id": self.keys.key_id.hex(),
            "created": self.created,
            "org": None
            if self.org is None
            else {
                "sign_key": self.org.sign_public_key.hex(),
                "fingerprint": self.org.fingerprint,
                "name": self.org.name,
            },
            "list_serial": self.list_serial,
            "audit_head": None
            if self.audit_head is None
            else {"seq": self.audit_head.seq, "hash": self.audit_head.hash.hex()},
            "cases": {
                case_id: {
                    "reply_key": c.reply_key.hex(),
                    "sign_key": c.sign_key.hex(),
                    "report_hash": c.report_hash.hex(),
                    "first_seen": c.first_seen,
                    "seqs": sorted(c.seqs),
                }
                for case_id, c in sorted(self.cases.items())
            },
        }

    def _sealed(self) -> bytes:
        plaintext = json.dumps(self.to_json(), separators=(",", ":")).encode("utf-8")
        return MAGIC + bytes([VERSION]) + self.keys.key_id + bytes(_box(self.keys).encrypt(plaintext))

    def save(self) -> None:
        """Write the casebook back atomically and durably (temporary file, fsync, rename, fsync folder)."""
        write_atomically(self.path, self._sealed())


def create_casebook(key_path: str | os.PathLike[str], keys: ReviewerKeys, *, replace: bool = False) -> Casebook:
    """Make an empty casebook beside `key_path`. Refuses to overwrite one unless `replace`."""
    path = casebook_path(key_path)
    book = Casebook(path=path, keys=keys, created=datetime.datetime.now(datetime.UTC).date().isoformat())
    if replace:
        write_atomically(path, book._sealed())
    else:
        try:
            write_new_file(path, book._sealed())
        except FileExistsError:
            raise CasebookError(f"{path} already exists: a casebook is never replaced without --replace") from None
    return book


def _damaged(path: Path, why: str) -> CasebookError:
    return CasebookError(f"the casebook {path} is damaged ({why}): nothing was read or changed. To recover: {RECOVERY}")


def open_casebook(key_path: str | os.PathLike[str], keys: ReviewerKeys) -> Casebook:
    """Read and decrypt the casebook beside `key_path`; a missing or damaged one raises `CasebookError`."""
    path = casebook_path(key_path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CASEBOOK_BYTES + 1)
    except FileNotFoundError:
        raise CasebookError(
            f"there is no casebook at {path}. It is made with the key ('keygen'); a key made before casebooks "
            f"existed needs one made once: 'python -m crypto casebook init --key {Path(key_path)}'. If it was "
            f"lost or deleted: {RECOVERY}"
        ) from None
    if len(data) > MAX_CASEBOOK_BYTES:
        raise _damaged(path, "it is larger than any casebook")
    head = len(MAGIC) + 1 + 8
    if len(data) < head + SecretBox.NONCE_SIZE + SecretBox.MACBYTES or not data.startswith(MAGIC):
        raise _damaged(path, "it is not a casebook")
    if data[len(MAGIC)] != VERSION:
        raise CasebookError(f"the casebook {path} is version {data[len(MAGIC)]}; this tool reads version {VERSION}")
    if data[len(MAGIC) + 1 : head] != keys.key_id:
        raise CasebookError(f"the casebook {path} belongs to another key than {keys.key_id.hex()}")
    try:
        plaintext = _box(keys).decrypt(data[head:])
        document = json.loads(plaintext.decode("utf-8"))
        return _from_json(path, keys, document)
    except CryptoError:
        raise _damaged(path, "it does not authenticate: altered or truncated") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _damaged(path, f"its contents are malformed: {exc}") from exc


def _from_json(path: Path, keys: ReviewerKeys, document: dict[str, Any]) -> Casebook:
    if document["format"] != "candour-casebook" or document["reviewer_key_id"] != keys.key_id.hex():
        raise ValueError("not this key's casebook")
    org = document["org"]
    head = document["audit_head"]
    return Casebook(
        path=path,
        keys=keys,
        created=str(document["created"]),
        org=None
        if org is None
        else PinnedOrg(bytes.fromhex(org["sign_key"]), str(org["fingerprint"]), str(org["name"])),
        list_serial=int(document["list_serial"]),
        audit_head=None if head is None else AuditHead(int(head["seq"]), bytes.fromhex(head["hash"])),
        cases={
            str(case_id): PinnedCase(
                reply_key=bytes.fromhex(c["reply_key"]),
                sign_key=bytes.fromhex(c["sign_key"]),
                report_hash=bytes.fromhex(c["report_hash"]),
                first_seen=str(c["first_seen"]),
                seqs={int(s) for s in c["seqs"]},
            )
            for case_id, c in document["cases"].items()
        },
    )
