"""An unlocked Desk: every case decrypted into memory only, and the replies being written.

A `Session` holds the reviewer's keys, their casebook (crypto/casebook.py: the same
file beside the key that `python3 -m crypto decrypt`, `reply` and `verify` read and
update, holding every pin and reply number), the decrypted cases and the Desk's own
state (drafts, outbox, what was seen) for as long as the Desk is unlocked; `lock()`
drops all of it and removes temporary copies. Nothing here writes plaintext: exports are stored as they came,
attachments are verified without being kept (`verify_only_sinks`) and decrypted again,
streamed, only when the reviewer opens or saves one (crypto/desk/tempcopies.py).
"""

import datetime
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..audit_notes import account_changes
from ..bundle import Bundle, open_bundle
from ..casebook import Casebook, casebook_path, create_casebook, open_casebook
from ..compose import compose_reply
from ..errors import CandourError
from ..identity import ReviewerKeys, load_private_key
from ..org import SignedReviewerList
from ..reply import SignedReply, StatusChange, open_reply_for_reviewer, parse_statement
from ..replyfile import parse_reply_file, reply_file_bytes, write_reply_file
from ..submission import AttachmentInfo, open_submission, verify_only_sinks
from ..trust import TrustChoice, choose_trust, recorded_trust
from ..workflow import Workflow
from . import trust
from .model import REPORT_FIELDS, Attachment, Deadline, DeskCase, ImportSummary, case_deadline
from .reading import ExportView, read_case, status_text
from .tempcopies import FileSink, TempCopies
from .vault import Vault, default_data_dir
from .workflow import DEFAULT_WORKFLOW, checked_change

__all__ = [
    "REPORT_FIELDS",
    "Attachment",
    "DeskCase",
    "NoCasebookError",
    "OrgConfirmationNeeded",
    "Session",
    "UnlockError",
    "open_key",
    "start_session",
    "unlock",
]


class UnlockError(CandourError):
    """The key could not be unlocked; the message says why."""


class NoCasebookError(UnlockError):
    """The key has no casebook beside it (a key made before casebooks existed, or one lost).

    The Desk never makes one silently: it offers to, in the words of `casebook init`,
    and starts the session with `make_casebook=True` only once the reviewer agreed.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(f"there is no casebook at {path}")
        self.path = path


class OrgConfirmationNeeded(CandourError):
    """The export's reviewer list is signed by an organisation key not yet confirmed on this Desk."""

    def __init__(self, signed: SignedReviewerList) -> None:
        super().__init__(
            f"confirm the fingerprint of {signed.organisation}'s key ({signed.org.fingerprint}) before importing"
        )
        self.signed = signed


def open_key(key_path: Path, passphrase: str) -> ReviewerKeys:
    if not key_path.is_file():
        raise UnlockError(f"there is no key file at {key_path}")
    keys = load_private_key(key_path, passphrase)
    if not isinstance(keys, ReviewerKeys):
        raise UnlockError(f"{key_path.name} is an organisation key; choose your reviewer key (.key)")
    return keys


def start_session(
    key_path: Path, keys: ReviewerKeys, data_dir: Path | None = None, *, make_casebook: bool = False
) -> "Session":
    """The session of an opened key, with its casebook (`NoCasebookError` if there is none and not `make_casebook`).

    A damaged casebook raises `CasebookError` with its recovery: never a silent reset.
    """
    if casebook_path(key_path, keys).exists():
        book = open_casebook(key_path, keys)
    elif make_casebook:
        book = create_casebook(key_path, keys)
    else:
        raise NoCasebookError(casebook_path(key_path, keys))
    session = Session(keys, Vault(data_dir or default_data_dir(key_path), keys), book)
    session.load_stored()
    return session


def unlock(key_path: Path, passphrase: str, data_dir: Path | None = None, *, make_casebook: bool = False) -> "Session":
    return start_session(key_path, open_key(key_path, passphrase), data_dir, make_casebook=make_casebook)


class Session:
    """Everything the unlocked Desk knows. State: keys, casebook, decrypted cases, the Desk's state."""

    def __init__(self, keys: ReviewerKeys, vault: Vault, book: Casebook, today: datetime.date | None = None) -> None:
        self.keys: ReviewerKeys | None = keys
        self.book: Casebook | None = book
        self.vault = vault
        self._today = today or datetime.datetime.now(datetime.UTC).date()
        self.state: dict[str, Any] = vault.load_state()
        self.cases: dict[str, DeskCase] = {}
        self.workflow: Workflow = DEFAULT_WORKFLOW
        self.list_mode = trust.UNSIGNED_LIST_MODE
        self.warnings: list[str] = []
        self.temp = TempCopies()
        self._deadlines: dict[str, Deadline] = {}  # per case, for today; cleared on every import
        self._order: list[DeskCase] | None = None  # the queue's order, computed once per import
        self.temp.remove_stale()
        self._bundles: dict[str, Bundle] = {}

    # --- keys and lock ---------------------------------------------------------------------

    @property
    def today(self) -> datetime.date:
        """The day deadlines are judged by (fixed at unlock; tests may set another)."""
        return self._today

    @today.setter
    def today(self, day: datetime.date) -> None:
        self._today = day
        self._deadlines.clear()
        self._order = None

    def _keys(self) -> ReviewerKeys:
        if self.keys is None:
            raise UnlockError("the Desk is locked")
        return self.keys

    def _book(self) -> Casebook:
        if self.book is None:
            raise UnlockError("the Desk is locked")
        return self.book

    def _reload_book(self) -> None:
        """Forget what a refused import put into the casebook in memory: read it again as last saved."""
        self.book = open_casebook(self._book().path, self._keys())

    def lock(self) -> None:
        """Forget every decrypted byte this session holds and remove temporary copies."""
        self.temp.remove_all()
        for bundle in self._bundles.values():
            bundle.close()
        self._bundles.clear()
        self.cases.clear()
        self._deadlines.clear()
        self._order = None
        self.warnings.clear()
        self.state = {}
        self.keys = None
        self.book = None
        gc.collect()

    # --- importing ---------------------------------------------------------------------------

    def _bundle(self, name: str) -> Bundle:
        if name not in self._bundles:
            self._bundles[name] = open_bundle(self.vault.export_path(name), self._keys())
        return self._bundles[name]

    def load_stored(self) -> ImportSummary:
        """Read the stored exports again (at unlock), checked against the casebook as it is now."""
        book = self._book()
        before = book.to_json()
        total = ImportSummary()
        for name in list(self.state["exports"]):
            try:
                choice = recorded_trust(self._bundle(name), book)
            except CandourError as exc:
                self.warnings.append(f"A stored export could not be read: {exc}.")
                continue
            summary = self._read_export(name, choice)
            total.added += summary.added
            total.updated += summary.updated
            total.unreadable += summary.unreadable
        adopted = self._adopt_old_numbers(book)
        if book.to_json() != before:  # a casebook made afresh pins the cases again
            book.save()
        if adopted:
            self.save()  # only once the casebook holds the numbers
        self.warnings = sorted(set(self.warnings))
        self.ordered()
        return total

    def inspect_export(self, path: Path) -> SignedReviewerList | None:
        """The export's signed reviewer list, after checking it is for this reviewer."""
        keys = self._keys()
        with open_bundle(path, keys) as check:
            if check.reviewer_key_id != keys.key_id:
                raise CandourError("this export was made for another reviewer's key")
            return check.reviewer_list

    def _adopt_old_numbers(self, book: Casebook) -> bool:
        """A Desk state from before the casebook kept its own pins and reply numbers: the numbers move over."""
        old_numbers = self.state.pop("seqs", None)
        if self.state.pop("pins", None) is None and old_numbers is None:
            return False
        for case_id, numbers in (old_numbers or {}).items():
            if case_id in book.cases:
                for number in numbers:
                    book.record_reply(case_id, int(number))
        return True

    def confirm_org(self, signed: SignedReviewerList) -> None:
        """The reviewer compared the organisation key's fingerprint on screen and it matched: pin it in the casebook."""
        book = self._book()
        book.pin_org(signed.org, signed.org.fingerprint)
        book.save()

    def import_file(self, path: Path) -> ImportSummary:
        """Add an export: stored as it came, its cases read into memory. Importing it again changes nothing.

        Checked against the casebook as `decrypt` checks it: raises `OrgConfirmationNeeded`
        until the organisation key is confirmed, `CasebookError` for another
        organisation's key, `RollbackError` for an older reviewer list or a rewritten
        audit trail, and `trust.TrustError` for an export that dropped the signed list.
        A refused export changes nothing, in the casebook or the Desk.
        """
        keys = self._keys()
        book = self._book()
        name, stored = self.vault.store_export(path)
        if name in self.state["exports"]:
            return ImportSummary(warnings=["This export was imported before; nothing changed."])
        summary = ImportSummary()
        try:  # the stored copy is opened once, checked, and removed again if refused
            bundle = self._bundle(name)
            if bundle.reviewer_key_id != keys.key_id:
                raise CandourError("this export was made for another reviewer's key")
            signed = bundle.reviewer_list
            if trust.org_pin_needed(book, signed) and signed is not None:
                raise OrgConfirmationNeeded(signed)
            choice = choose_trust(bundle, book, lambda: None)
            trust.refuse_unsigned_after_signed(choice)
            changes: list[str] = []
            if bundle.audit is not None:
                previous_head = book.audit_head
                book.check_audit(bundle.audit)  # a rewritten trail refuses the whole export, as in decrypt
                changes = account_changes(bundle.audit, previous_head)
            read = self._read_export(name, choice)
        except BaseException:
            if name in self._bundles:
                self._bundles.pop(name).close()
            stored.unlink(missing_ok=True)
            self._reload_book()
            raise
        summary.added, summary.updated, summary.unreadable = read.added, read.updated, read.unreadable
        summary.refused = read.refused
        summary.warnings.extend(read.warnings)
        summary.account_changes = changes
        book.save()
        self.state["exports"].append(name)
        self.save()
        self.warnings = sorted(set(self.warnings + summary.warnings))
        self.ordered()
        return summary

    def _read_export(self, name: str, choice: TrustChoice) -> ImportSummary:
        keys = self._keys()
        bundle = self._bundle(name)
        summary = ImportSummary()
        self.list_mode = trust.list_mode(choice)
        if bundle.workflow is not None:
            self.workflow = bundle.workflow
        # Names as decrypt's case folders show them: the server's, overridden by the signed list's.
        names = {r.key_id: f"{r.display_name} ({r.identity.name})" for r in bundle.reviewers} | choice.names
        source = ExportView(bundle, name, keys, choice.known, names, self.list_mode)
        for case in bundle:
            try:
                read, refusal = read_case(source, case, self.cases.get(case.case), self._book())
            except CandourError as exc:
                summary.unreadable += 1
                summary.warnings.append(f"Case {case.case[:8]} could not be read: {exc}")
                continue
            if read is None:
                summary.refused += 1
                self.warnings.append(refusal or f"Case {case.case[:8]} was refused")
                continue
            if read.warnings:
                summary.warnings.extend(read.warnings)
            if case.case in self.cases:
                summary.updated += 1
            else:
                summary.added += 1
            self.cases[case.case] = read
        self.warnings.extend(summary.warnings)
        self._deadlines.clear()
        self._order = None
        return summary

    # --- the queue ---------------------------------------------------------------------------

    def deadline(self, case: DeskCase) -> Deadline:
        known = self._deadlines.get(case.case_id)
        if known is None:
            known = self._deadlines[case.case_id] = case_deadline(case, self.today, self.workflow)
        return known

    def new_followups(self, case: DeskCase) -> int:
        return max(0, len(case.followups) - int(self.state["seen"].get(case.case_id, 0)))

    def mark_seen(self, case: DeskCase) -> None:
        if self.state["seen"].get(case.case_id) != len(case.followups):
            self.state["seen"][case.case_id] = len(case.followups)
            self.save()

    def ordered(self) -> list[DeskCase]:
        """Every case, overdue first (most overdue first), then by the next deadline; computed once per import."""
        if self._order is None:
            self._order = sorted(self.cases.values(), key=lambda c: (self.deadline(c).sort_key, c.created, c.case_id))
        return self._order

    def queue(self, search: str = "") -> list[DeskCase]:
        """The cases whose decrypted text holds `search` (or whose id starts with it), in queue order."""
        needle = search.casefold().strip()
        if not needle:
            return list(self.ordered())
        return [c for c in self.ordered() if needle in c.search_text or c.case_id.startswith(needle)]

    # --- replies -----------------------------------------------------------------------------

    def save(self) -> None:
        if self.keys is not None:
            self.vault.save_state(self.state)

    def save_draft(self, case: DeskCase, draft: dict[str, Any]) -> None:
        self.state["drafts"][case.case_id] = draft
        self.save()

    def draft(self, case: DeskCase) -> dict[str, Any]:
        return dict(self.state["drafts"].get(case.case_id, {}))

    def next_seq(self, case: DeskCase) -> int:
        """The number the next reply will carry (compose_reply decides it the same way when writing)."""
        used = [*case.my_seqs, *self._book().used_seqs(case.case_id)]
        return max(used, default=0) + 1

    def outbox(self) -> list[dict[str, Any]]:
        """Replies written on this Desk: pending (not yet in a reply file), sent, or accepted by the portal."""
        entries = []
        for entry in self.state["outbox"]:
            case = self.cases.get(entry["case"])
            accepted = case is not None and entry["seq"] in case.my_seqs
            entries.append({**entry, "state": "accepted" if accepted else entry["state"]})
        return entries

    def redo_draft(self, position: int) -> dict[str, Any]:
        """A sent reply the portal did not take, as a draft to edit and write again (under a higher number)."""
        entry = self.state["outbox"][position]
        if entry["state"] != "sent" or self.outbox()[position]["state"] == "accepted":
            raise CandourError("only a sent reply that the portal has not accepted can be written again")
        reply = parse_reply_file(entry["reply"].encode("ascii"))[0]
        statement = parse_statement(reply.statement)
        body = open_reply_for_reviewer(reply, self._keys())
        change = statement.status
        return {
            "text": body.text,
            "status": change.status if change else "",
            "outcome": (change.outcome or "") if change else "",
            "reason": change.reason if change else "",
            "feedback": statement.feedback,
            "replaces": position,
        }

    def write_reply(
        self,
        case: DeskCase,
        text: str,
        status: StatusChange | None,
        *,
        feedback: bool = False,
        replaces: int | None = None,
    ) -> SignedReply:
        """Check the reply against the workflow, sign it and put it in the outbox (raises with the valid choices).

        Written by crypto/compose.py's `compose_reply`, as `python3 -m crypto reply` writes
        it: sealed only to the reporter keys the casebook pins, numbered after every
        number this reviewer used on the case (in the casebook, from either tool).
        `replaces`: the outbox position of a sent reply the portal refused; it is marked replaced.
        """
        keys = self._keys()
        book = self._book()
        status = checked_change(self.workflow, case.status, status)  # the default workflow of an older export too
        composed = compose_reply(
            self._bundle(case.export_name), case.case_id, keys, book, text, status, feedback=feedback, day=self.today
        )
        reply, seq = composed.reply, composed.seq
        book.record_reply(case.case_id, seq)
        book.save()
        self.state["outbox"].append(
            {
                "case": case.case_id,
                "seq": seq,
                "day": self.today.isoformat(),
                "state": "pending",
                "status": status_text(composed.status),
                "feedback": feedback,
                "reply": reply_file_bytes([reply]).decode("ascii"),
            }
        )
        if replaces is not None and self.state["outbox"][replaces]["case"] == case.case_id:
            self.state["outbox"][replaces]["state"] = f"replaced by reply {seq}"
        self.state["drafts"].pop(case.case_id, None)
        self.save()
        return reply

    def save_reply_file(self, folder: Path) -> tuple[Path, int]:
        """Every pending reply into one new reply file in `folder`; they are then listed as sent."""
        pending = [e for e in self.state["outbox"] if e["state"] == "pending"]
        if not pending:
            raise CandourError("there is no pending reply to save")
        replies = [parse_reply_file(e["reply"].encode("ascii"))[0] for e in pending]
        stamp = self.today.isoformat()
        path = folder / f"candour-replies-{stamp}.json"
        number = 2
        while path.exists():
            path = folder / f"candour-replies-{stamp}-{number}.json"
            number += 1
        write_reply_file(path, replies)
        for entry in pending:
            entry["state"] = "sent"
            entry["file"] = path.name
        self.save()
        return path, len(replies)

    # --- attachments ---------------------------------------------------------------------------

    def _decrypt_attachment(self, case: DeskCase, attachment: Attachment, sink_for: Callable[[], FileSink]) -> Path:
        keys = self._keys()
        bundle = self._bundle(case.export_name)
        submission = case.submissions[attachment.submission_id]

        def sinks(info: AttachmentInfo) -> Any:
            return sink_for() if info.part == attachment.part else verify_only_sinks(info)

        expected = None
        if submission.kind != "report":
            expected = self._book().pinned_reporter(case.case_id)
            if expected is None:
                raise CandourError("the casebook holds no reporter keys for this case")
        opened = open_submission(
            bundle.part_sources(submission),
            keys,
            expected_case=case.case_id,
            expected_reporter=expected,
            attachment_sink_factory=sinks,
        )
        for item in opened.attachments:
            if item.info.part == attachment.part:
                return Path(item.location)
        raise CandourError("the attachment is not in this submission")

    def open_attachment(self, case: DeskCase, attachment: Attachment) -> Path:
        """A temporary copy in the RAM-backed folder (removed on lock), streamed, never held in memory."""
        return self._decrypt_attachment(case, attachment, lambda: self.temp.sink(attachment.name))

    def save_attachment_copy(self, case: DeskCase, attachment: Attachment, folder: Path) -> Path:
        """A copy where the reviewer chose: the one place the Desk writes plaintext to a disk."""
        return self._decrypt_attachment(case, attachment, lambda: FileSink.in_folder(folder, attachment.name))
