"""The export bundle that carries cases from the server to the air-gapped machine (§10).

A ZIP archive, every member stored (no compression: ciphertext does not compress,
and refusing compressed members rules out decompression bombs):

    bundle.json                                   cleartext: format, reviewer key id, day
    manifest.cnd                                  the manifest, sealed to the exporting reviewer
    cases/<case>/<submission>/<part>.cnd          the parts, as stored
    cases/<case>/replies/<key id>-<seq>.cnd       the reviewers' copies of replies

The server writes with `BundleWriter` and builds the manifest with the helpers below
(`bundle_manifest`, `case_entry`, `timeline_entry`, `submission_entry`,
`reply_entry`, `reviewer_entry`) so it never hand-crafts JSON. The reviewer tool reads
with `open_bundle`, which checks everything structural before handing out members.

The manifest's cleartext facts are what the server says; only signed objects (the
report's own manifest, reviewers' reply statements) are trusted by the case-folder
writer.
"""

from .entries import (
    audit_section,
    bundle_manifest,
    case_entry,
    member_name_for_part,
    member_name_for_reply,
    reply_entry,
    reviewer_entry,
    submission_entry,
    timeline_entry,
)
from .read import Bundle, open_bundle
from .schema import (
    BUNDLE_FORMAT,
    BUNDLE_JSON,
    BUNDLE_VERSION,
    COPY_BLOCK,
    MANIFEST_FORMAT,
    MANIFEST_MEMBER,
    MANIFEST_VERSION,
    MANIFEST_VERSIONS,
    MAX_BUNDLE_JSON_BYTES,
    MAX_CASES,
    MAX_COUNTER,
    MAX_DISPLAY_CHARS,
    MAX_MANIFEST_BYTES,
    MAX_REPLIES_PER_CASE,
    MAX_REVIEWERS,
    MAX_SUBMISSIONS_PER_CASE,
    MAX_TIMELINE_PER_CASE,
    MEMBER_NAME,
    SEALED_ON,
    BundleCase,
    BundleManifest,
    BundlePart,
    BundleReply,
    BundleReviewer,
    BundleSubmission,
    TimelineEntry,
)
from .write import BundleWriter

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_JSON",
    "BUNDLE_VERSION",
    "Bundle",
    "BundleCase",
    "BundleManifest",
    "BundlePart",
    "BundleReply",
    "BundleReviewer",
    "BundleSubmission",
    "BundleWriter",
    "COPY_BLOCK",
    "MANIFEST_FORMAT",
    "MANIFEST_MEMBER",
    "MANIFEST_VERSION",
    "MANIFEST_VERSIONS",
    "MAX_BUNDLE_JSON_BYTES",
    "MAX_CASES",
    "MAX_COUNTER",
    "MAX_DISPLAY_CHARS",
    "MAX_MANIFEST_BYTES",
    "MAX_REPLIES_PER_CASE",
    "MAX_REVIEWERS",
    "MAX_SUBMISSIONS_PER_CASE",
    "MAX_TIMELINE_PER_CASE",
    "MEMBER_NAME",
    "SEALED_ON",
    "TimelineEntry",
    "audit_section",
    "bundle_manifest",
    "case_entry",
    "member_name_for_part",
    "member_name_for_reply",
    "open_bundle",
    "reply_entry",
    "reviewer_entry",
    "submission_entry",
    "timeline_entry",
]
