"""The decrypted case folder: what `python -m crypto decrypt` leaves for a reviewer to read.

docs/format.md §11. For each case this reviewer can read:

    DIR/<case>/case.html         everything about the case, one page
    DIR/<case>/report.txt        the report's fields
    DIR/<case>/attachments/      the report's files (names made safe)
    DIR/<case>/followups/<n>-<day>/message.txt and attachments/
    DIR/<case>/replies.txt       the replies, who wrote them, whether they verified
    DIR/<case>/timeline.txt      status changes, signed or as the server recorded them
    DIR/index.html, DIR/style.css

Every reporter-supplied string is untrusted: it is escaped in HTML, stripped of
control characters in text files, and never used as a path without being made safe.
A case is written to a temporary folder and renamed into place only once all of it
verified and was written; attachments are verified before they get their names.
Only signed facts are presented as facts: the reporter's manifest, reviewers'
statements. What only the server says (status, deadlines, recipients) is labelled so.

Modules: names (safe file names, escaping), model (what a case turned into, its
deadlines), read (verifying one case into a staging folder), textfiles and pages (the
.txt and .html files; style.css is the stylesheet), write (durable, batched publishing).
"""

from ..text import clean_text, visible_name
from .model import (
    CLOSED_STATUS,
    DIR_MODE,
    REPORT_FIELD_LABELS,
    CaseResult,
    Deadline,
    DecryptSummary,
    ReadSubmission,
    ReplyView,
    TimelineView,
    UnreadableCase,
    UnreadSubmission,
    case_deadline,
    deadline_events,
)
from .names import (
    MAX_EXTENSION_CHARS,
    MAX_FILE_NAME_BYTES,
    MAX_FILE_NAME_CHARS,
    UNSAFE_NAME_CHARACTERS,
    WINDOWS_RESERVED,
    esc,
    href,
    numbered_name,
    safe_file_name,
)
from .pages import CSP, STYLE_CSS, case_html, index_html
from .read import AttachmentFolder, TempFileSink, read_case
from .textfiles import followup_text, replies_text, report_text, timeline_text
from .write import CASES_PER_BATCH, write_case_folders

__all__ = [
    "AttachmentFolder",
    "CASES_PER_BATCH",
    "CLOSED_STATUS",
    "CSP",
    "CaseResult",
    "DIR_MODE",
    "Deadline",
    "DecryptSummary",
    "MAX_EXTENSION_CHARS",
    "MAX_FILE_NAME_BYTES",
    "MAX_FILE_NAME_CHARS",
    "REPORT_FIELD_LABELS",
    "ReadSubmission",
    "ReplyView",
    "STYLE_CSS",
    "TempFileSink",
    "TimelineView",
    "UNSAFE_NAME_CHARACTERS",
    "UnreadSubmission",
    "UnreadableCase",
    "WINDOWS_RESERVED",
    "case_deadline",
    "case_html",
    "clean_text",
    "deadline_events",
    "esc",
    "followup_text",
    "href",
    "index_html",
    "numbered_name",
    "read_case",
    "replies_text",
    "report_text",
    "safe_file_name",
    "timeline_text",
    "visible_name",
    "write_case_folders",
]
