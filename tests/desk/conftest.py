"""Fixtures for the Desk's tests: real key files, real exports (tests/support/export_builder.py).

- desk_world: a home folder holding the reviewer's key folder, the reviewer's and a
  colleague's keys, and a builder for exports sealed to both (real sealing and signing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.export_builder import WORKFLOW, AuditLog, CaseBuilder, signed_list_document, write_export

from crypto.casebook import create_casebook
from crypto.codename import ReporterKeys
from crypto.identity import OrgKeys, ReviewerKeys, save_private_key
from crypto.org import ListedReviewer, sign_reviewer_list
from crypto.reply import StatusChange

PASSPHRASE = "correct horse battery staple"
MARKER = "Larkspur-7731"  # text that must never be found on disk in readable form


@dataclass
class DeskWorld:
    home: Path
    key_path: Path
    me: ReviewerKeys
    colleague: ReviewerKeys
    reporter: ReporterKeys
    exports: Path
    made: int = 0  # cases built so far: their ids are fixed, so the screenshots stay the same between runs

    def reviewers(self) -> list:
        return [
            (self.me.public, "Ana Reviewer", "HR", True),
            (self.colleague.public, "Ben Colleague", "Ethics", False),
        ]

    def case(self, **fields: str) -> CaseBuilder:
        values = {
            "category": "bullying",
            "what": f"My manager shouts at me in meetings. {MARKER}",
            "when": "Since October",
            "where": "Building 2",
        }
        values.update(fields)
        self.made += 1
        return CaseBuilder(
            recipients=[self.me.public, self.colleague.public],
            reporter=self.reporter,
            fields=values,
            case_id=fixed_bytes(f"case {self.made}", 16),
        )

    def export(self, name: str, cases: list[CaseBuilder], day: str = "2026-11-28") -> Path:
        return write_export(self.exports / name, self.me.public, self.reviewers(), cases, day)

    def signed_list(self, org: OrgKeys, serial: int = 1) -> dict:
        entries = [
            ListedReviewer(identity, name, role, required) for identity, name, role, required in self.reviewers()
        ]
        return signed_list_document(sign_reviewer_list(org, entries, serial, "2026-11-01", "Acme Ltd"))

    def export_v2(
        self, name: str, cases: list[CaseBuilder], *, org: OrgKeys | None, serial: int = 1, audit: AuditLog
    ) -> Path:
        """A version 2 export: the signed list (None: no organisation key), the workflow, the audit trail."""
        signed = self.signed_list(org, serial) if org is not None else None
        return write_export(
            self.exports / name, self.me.public, self.reviewers(), cases,
            signed_list=signed, workflow=WORKFLOW, audit=audit.section(),
        )  # fmt: skip

    def standard_case(self) -> CaseBuilder:
        case = self.case().with_report(
            attachments=[("photo of the note.png", b"\x89PNG fake image " + MARKER.encode())]
        )
        case.with_followup("2026-11-22", f"He did it again today. {MARKER}-FOLLOWUP")
        case.reply(self.colleague, 1, "2026-11-23", "Thank you, we are looking into it.",
                   StatusChange("acknowledged", None, "We have your report."))  # fmt: skip
        return case


def fixed_bytes(label: str, size: int = 32) -> bytes:
    """Test keys and ids from a label: the same every run (the screenshots show fingerprints and ids)."""
    return hashlib.blake2b(label.encode(), digest_size=size).digest()


@pytest.fixture()
def org() -> OrgKeys:
    return OrgKeys("Acme Ltd", fixed_bytes("organisation acme"))


@pytest.fixture()
def desk_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeskWorld:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))  # the Desk shows paths under it as ~/…
    keys_dir = home / "keys"
    exports = tmp_path / "usb"
    keys_dir.mkdir(parents=True)
    exports.mkdir()
    me = ReviewerKeys("ana", fixed_bytes("reviewer ana"))
    key_path = keys_dir / "ana.key"
    save_private_key(me, key_path, PASSPHRASE, profile="interactive")
    create_casebook(key_path, me)  # as keygen does: the casebook the Desk shares with `python3 -m crypto`
    return DeskWorld(
        home=home,
        key_path=key_path,
        me=me,
        colleague=ReviewerKeys("ben", fixed_bytes("reviewer ben")),
        reporter=ReporterKeys(
            fixed_bytes("reporter login"), fixed_bytes("reporter reply"), fixed_bytes("reporter sign")
        ),
        exports=exports,
    )


ScanFn = Callable[[list[Path], str], list[Path]]


def files_containing(roots: list[Path], marker: str) -> list[Path]:
    """Every file under `roots` whose bytes hold `marker` (UTF-8 or UTF-16)."""
    needles = [marker.encode("utf-8"), marker.encode("utf-16-le")]
    found = []
    for root in roots:
        if not root.exists():
            continue
        for path in root.rglob("*"):
            try:
                if path.is_file() and not path.is_symlink():
                    data = path.read_bytes()
                    if any(needle in data for needle in needles):
                        found.append(path)
            except OSError:
                continue
    return found
