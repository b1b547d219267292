"""Build export bundles the way the portal does: real sealing, real signatures, BundleWriter.

Used by test_casefolder.py and test_reply_cli.py to exercise `decrypt` and `reply`
before the portal exists. Nothing here is mocked: every part is sealed with
crypto.envelope, every manifest signed with the reporter's codename key.
"""

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crypto.audit_chain import GENESIS, AuditEntry, canonical_json, entry_hash
from crypto.bundle import (
    BundleWriter,
    audit_section,
    bundle_manifest,
    case_entry,
    member_name_for_part,
    reply_entry,
    reviewer_entry,
    submission_entry,
    timeline_entry,
)
from crypto.codename import ReporterKeys
from crypto.envelope import EnvelopeSealer, new_submission_id
from crypto.identity import PublicIdentity, ReviewerKeys
from crypto.reply import SignedReply, StatusChange, make_reply
from crypto.submission import ReporterPublic, attachment_info_from_sealed, seal_submission_text_part


@dataclass
class CaseBuilder:
    """One case: a report, follow-ups and replies, sealed to `recipients`."""

    recipients: list[PublicIdentity]
    reporter: ReporterKeys
    fields: dict[str, str]
    created: str = "2026-11-20"
    status: str = "received"
    outcome: str | None = None
    acknowledge_by: str | None = "2026-11-27"
    feedback_by: str | None = "2027-02-18"
    sealed_on: str = "browser"
    case_id: bytes = field(default_factory=new_submission_id)
    blobs: dict[str, bytes] = field(default_factory=dict)
    submissions: list[dict] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    server_reporter: ReporterPublic | None = None  # what the server claims; None = the truth
    server_recipients: list[PublicIdentity] | None = None  # who the server says is on the case; None = the truth

    @property
    def case(self) -> str:
        return self.case_id.hex()

    def _seal_submission(self, submission_id, kind, day, fields, attachments, reporter, case):
        infos, indexes = [], [0]
        for index, (name, data) in enumerate(attachments, start=1):
            sink = io.BytesIO()
            sealer = EnvelopeSealer(sink, self.recipients, submission_id, index)
            sealer.write(data)
            infos.append(attachment_info_from_sealed(sealer.finish(), name, "application/octet-stream"))
            self.blobs[member_name_for_part(self.case_id, submission_id, index)] = sink.getvalue()
            indexes.append(index)
        part0 = io.BytesIO()
        seal_submission_text_part(part0, self.recipients, submission_id, kind, case, day, reporter, fields, infos)
        self.blobs[member_name_for_part(self.case_id, submission_id, 0)] = part0.getvalue()
        self.submissions.append(submission_entry(self.case_id, submission_id, kind, day, indexes))

    def with_report(self, attachments=()) -> "CaseBuilder":
        self._seal_submission(self.case_id, "report", self.created, self.fields, attachments, self.reporter, None)
        self.timeline.append(timeline_entry(day=self.created, status="received"))
        return self

    def with_followup(self, day, message, attachments=(), reporter=None) -> "CaseBuilder":
        self._seal_submission(
            new_submission_id(),
            "followup",
            day,
            {"message": message},
            attachments,
            reporter or self.reporter,
            self.case,
        )
        return self

    def reply(self, author: ReviewerKeys, seq, day, text, status: StatusChange | None = None) -> SignedReply:
        signed = make_reply(author, self.case, self.reporter.reply_public_key, self.recipients, seq, day, text, status)
        self.add_reply(signed)
        if status is not None:
            self.status = status.status
            self.timeline.append(
                timeline_entry(
                    day=day,
                    status=status.status,
                    outcome=status.outcome,
                    reason=status.reason,
                    by=author.key_id,
                    statement=signed.statement,
                    signature=signed.signature,
                )
            )
        return signed

    def add_reply(self, signed: SignedReply) -> None:
        entry = reply_entry(self.case_id, signed.statement, signed.signature)
        self.blobs[entry["member"]] = signed.for_reviewers
        self.replies.append(entry)

    def entry(self) -> dict:
        return case_entry(
            case=self.case_id,
            created=self.created,
            status=self.status,
            outcome=self.outcome,
            sealed_on=self.sealed_on,
            acknowledge_by=self.acknowledge_by,
            feedback_by=self.feedback_by,
            recipients=[identity.key_id for identity in (self.server_recipients or self.recipients)],
            reporter=self.server_reporter or ReporterPublic.from_keys(self.reporter),
            timeline=self.timeline,
            submissions=self.submissions,
            replies=self.replies,
        )


# The portal's default workflow (config/defaults.py), as an export carries it.
WORKFLOW: dict[str, Any] = {
    "statuses": [
        {"name": "new", "label": "New"},
        {"name": "acknowledged", "label": "Acknowledged"},
        {"name": "in_progress", "label": "In progress"},
        {"name": "awaiting_reporter", "label": "Waiting for more information from you"},
        {"name": "closed", "label": "Closed"},
    ],
    "final": "closed",
    "transitions": {
        "new": ["acknowledged", "in_progress", "closed"],
        "acknowledged": ["in_progress", "awaiting_reporter", "closed"],
        "in_progress": ["awaiting_reporter", "closed"],
        "awaiting_reporter": ["in_progress", "closed"],
        "closed": [],
    },
    "outcomes": [
        {"name": "upheld", "label": "Upheld"},
        {"name": "partly_upheld", "label": "Partly upheld"},
        {"name": "not_upheld", "label": "Not upheld"},
        {"name": "referred", "label": "Referred to another body"},
        {"name": "withdrawn", "label": "Withdrawn by the reporter"},
    ],
    "reason_required": True,
}


@dataclass
class AuditLog:
    """A hash-chained audit trail kept as the portal keeps it (portal/audit.py)."""

    entries: list[AuditEntry] = field(default_factory=list)

    def append(self, action: str, *, day: str = "2026-11-20", actor: str = "admin (admin)", case_id=None, **details):
        prev = self.entries[-1].entry_hash if self.entries else GENESIS
        seq = len(self.entries) + 1
        text = canonical_json(details).decode("utf-8")
        entry = AuditEntry(seq, day, actor, action, case_id, text, b"")
        entry = AuditEntry(seq, day, actor, action, case_id, text, entry_hash(prev, entry))
        self.entries.append(entry)
        return entry

    def section(self, after: int = 0) -> dict:
        """What an export carries: the head and the entries after seq `after`."""
        head = self.entries[-1] if self.entries else None
        return audit_section(
            head.seq if head else 0,
            head.entry_hash if head else GENESIS,
            [
                {
                    "seq": e.seq,
                    "day": e.day,
                    "actor": e.actor,
                    "action": e.action,
                    "case_id": e.case_id,
                    "details": e.details,
                    "entry_hash": e.entry_hash.hex(),
                }
                for e in self.entries
                if e.seq > after
            ],
        )


def signed_list_document(signed: bytes) -> dict:
    """A signed reviewer list file (crypto.org.sign_reviewer_list) as the JSON object an export carries."""
    return json.loads(signed)


def write_export(
    path: Path,
    exporting: PublicIdentity,
    reviewers: list[tuple[PublicIdentity, str, str, bool]],
    cases: list[CaseBuilder],
    day: str = "2026-11-28",
    *,
    signed_list: dict | None = None,
    workflow: dict | None = None,
    audit: dict | None = None,
) -> Path:
    """Write the bundle `exporting` would download: every case's members plus the sealed manifest.

    With `workflow` and `audit` the manifest is version 2 (`signed_list` None = no organisation key).
    """
    with path.open("wb") as sink:
        writer = BundleWriter(sink, exporting, day)
        for case in cases:
            for name, blob in case.blobs.items():
                writer.add_member(name, io.BytesIO(blob))
        writer.finish(
            bundle_manifest(
                reviewer_key_id=exporting.key_id,
                day=day,
                since=0,
                until=len(cases),
                reviewers=[reviewer_entry(*item) for item in reviewers],
                cases=[case.entry() for case in cases],
                signed_list=signed_list,
                workflow=workflow,
                audit=audit,
            )
        )
    return path
