"""Build export bundles the way the portal does: real sealing, real signatures, BundleWriter.

Used by test_casefolder.py and test_reply_cli.py to exercise `decrypt` and `reply`
before the portal exists. Nothing here is mocked: every part is sealed with
crypto.envelope, every manifest signed with the reporter's codename key.
"""

import io
from dataclasses import dataclass, field
from pathlib import Path

from crypto.bundle import (
    BundleWriter,
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


def write_export(
    path: Path,
    exporting: PublicIdentity,
    reviewers: list[tuple[PublicIdentity, str, str, bool]],
    cases: list[CaseBuilder],
    day: str = "2026-11-28",
) -> Path:
    """Write the bundle `exporting` would download: every case's members plus the sealed manifest."""
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
            )
        )
    return path
