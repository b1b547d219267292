"""The export bundle's names, caps and what a reader gets (docs/format.md §10)."""

import re
from dataclasses import dataclass
from typing import Any

from ..audit_chain import AuditTrail
from ..errors import BundleError
from ..identity import PublicIdentity
from ..org import SignedReviewerList
from ..strict_json import JsonReader
from ..submission import KIND_FOLLOWUP, KIND_REPORT, ReporterPublic
from ..workflow import Workflow

BUNDLE_FORMAT = "candour-bundle"
MANIFEST_FORMAT = "candour-bundle-manifest"
BUNDLE_VERSION = 1  # bundle.json
# Manifest v2 adds "signed_list", "workflow" and "audit"; v1 (without them) is still read.
MANIFEST_VERSION = 2
MANIFEST_VERSIONS = (1, 2)
BUNDLE_JSON = "bundle.json"
MANIFEST_MEMBER = "manifest.cnd"
MAX_CASES = 100_000
MAX_SUBMISSIONS_PER_CASE = 10_000
MAX_REPLIES_PER_CASE = 10_000
MAX_TIMELINE_PER_CASE = 10_000
MAX_REVIEWERS = 1_000
MAX_DISPLAY_CHARS = 200  # display names and roles
MAX_COUNTER = (1 << 63) - 1
MAX_BUNDLE_JSON_BYTES = 4096
MAX_MANIFEST_BYTES = 512 * 1024 * 1024
SEALED_ON = ("browser", "server")
COPY_BLOCK = 1024 * 1024

MEMBER_NAME = re.compile(
    r"cases/(?P<case>[0-9a-f]{32})/"
    r"(?:(?P<submission>[0-9a-f]{32})/(?P<index>[0-9]|[1-5][0-9]|6[0-3])"
    r"|replies/(?P<key_id>[0-9a-f]{16})-(?P<seq>[1-9][0-9]{0,8}))\.cnd"
)

bundle_json_reader = JsonReader("bundle.json", error=BundleError, limit_error=BundleError)
manifest_json_reader = JsonReader("the bundle's manifest", error=BundleError, limit_error=BundleError)


# --- what a reader gets ------------------------------------------------------------------


@dataclass(frozen=True)
class BundleReviewer:
    """A reviewer the server lists (its identity's self-signature checked, nothing more)."""

    key_id: bytes
    identity: PublicIdentity
    display_name: str
    role: str
    required: bool


@dataclass(frozen=True)
class TimelineEntry:
    """A status change as the server reports it; `statement`/`signature` if a reply carried it."""

    day: str
    status: str
    outcome: str | None
    reason: str
    by: bytes | None
    statement: bytes | None
    signature: bytes | None


@dataclass(frozen=True)
class BundlePart:
    """One part of a submission and the member holding it."""

    index: int
    member: str


@dataclass(frozen=True)
class BundleSubmission:
    """A submission as the manifest lists it; open it with `open_submission(bundle.part_sources(s), …)`."""

    id: str
    kind: str
    day: str
    parts: tuple[BundlePart, ...]

    @property
    def members_by_index(self) -> dict[int, str]:
        """`{part index: member name}`."""
        return {part.index: part.member for part in self.parts}


@dataclass(frozen=True)
class BundleReply:
    """A reply's signed statement and where its reviewers' copy is. Verify before trusting."""

    statement: bytes
    signature: bytes
    member: str


@dataclass(frozen=True)
class BundleCase:
    """One case as the server exported it (cleartext facts: not signed)."""

    case: str
    created: str
    status: str
    outcome: str | None
    sealed_on: str
    acknowledge_by: str | None
    feedback_by: str | None
    recipients: tuple[bytes, ...]
    reporter: ReporterPublic
    timeline: tuple[TimelineEntry, ...]
    submissions: tuple[BundleSubmission, ...]
    replies: tuple[BundleReply, ...]

    @property
    def report(self) -> BundleSubmission | None:
        """The case's report, if this (possibly incremental) export holds it."""
        for submission in self.submissions:
            if submission.kind == KIND_REPORT:
                return submission
        return None

    @property
    def followups(self) -> tuple[BundleSubmission, ...]:
        """The follow-ups this export holds, in manifest order."""
        return tuple(s for s in self.submissions if s.kind == KIND_FOLLOWUP)


@dataclass(frozen=True)
class BundleManifest:
    """The checked manifest; `members` is every member it lists."""

    reviewer_key_id: bytes
    day: str
    since: int
    until: int
    reviewers: tuple[BundleReviewer, ...]
    cases: tuple[BundleCase, ...]
    members: frozenset[str]
    version: int = 1
    # v2 only (None for v1): the signed list as the server loaded it (its signature checked,
    # `reviewer_list` holds it parsed; whether its organisation is the reviewer's is the
    # casebook's question), the workflow, and the audit trail's head and new entries.
    signed_list: dict[str, Any] | None = None
    reviewer_list: SignedReviewerList | None = None
    workflow: Workflow | None = None
    audit: AuditTrail | None = None
