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
"""

import datetime
import html
import os
import re
import shutil
import sys
import unicodedata
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .bundle import Bundle, BundleCase, BundleReply, BundleSubmission, TimelineEntry
from .errors import CandourError, NotARecipientError
from .files import TEMP_PREFIX, TEMP_SUFFIX, atomic_write, fsync_directory, fsync_tree, publish_file, temp_path_in
from .identity import PublicIdentity, ReviewerKeys
from .reply import ReplyStatement, check_reply_binding, open_reply_for_reviewer, verify_statement_signature
from .submission import AttachmentInfo, OpenedSubmission, ReporterPublic, open_submission
from .text import clean_text, is_forbidden_char, visible_name

MAX_FILE_NAME_CHARS = 100
MAX_FILE_NAME_BYTES = 200  # well under the 255-byte limit of common file systems
MAX_EXTENSION_CHARS = 16
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{prefix}{digit}" for prefix in ("COM", "LPT") for digit in "0123456789¹²³"]
)
# Characters Windows refuses in names, and path separators everywhere.
UNSAFE_NAME_CHARACTERS = re.compile(r'[<>:"/\\|?*]')
UNACKNOWLEDGED_STATUSES = frozenset({"new", "received"})
CLOSED_STATUS = "closed"
REPORT_FIELD_LABELS = (
    ("category", "Category"),
    ("what", "What happened"),
    ("when", "When"),
    ("where", "Where"),
    ("who", "Who was involved"),
    ("outcome", "What the reporter hopes will happen"),
)
DIR_MODE = 0o700

STYLE_CSS = """\
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1a1a1a; background: #fff; }
h1, h2, h3 { line-height: 1.2; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: .5rem; border-radius: .2rem; }
.overdue { color: #8b0000; font-weight: bold; }
.warning { border: 2px solid #8b0000; padding: .5rem 1rem; background: #fff0f0; }
.ok { color: #0b5e0b; }
.failed { color: #8b0000; }
.server { color: #555; font-style: italic; }
code { overflow-wrap: anywhere; }
"""

# No script, no external resource; a browser that honours this refuses anything else.
CSP = "default-src 'none'; style-src 'self'; img-src 'none'; form-action 'none'; base-uri 'none'"


# --- safe names and text -------------------------------------------------------------------


def safe_file_name(name: str, fallback: str) -> str:
    """Make a reporter-supplied file name safe to create inside one folder.

    Path separators and characters Windows refuses become '_', control and invisible
    formatting characters are removed, '..' collapses, leading dots and spaces and
    trailing dots and spaces go, reserved device names (CON, NUL, COM1…) get a '_'
    prefix, and the result is at most 100 characters and 200 bytes, keeping a short
    extension. An empty result becomes `fallback`. The result is never '.', '..' or
    anything with a separator.
    """
    text = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    text = "".join(c for c in text if not is_forbidden_char(c))
    text = UNSAFE_NAME_CHARACTERS.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = text.strip().lstrip(". _").rstrip(". ")
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS or " " in extension:
        stem, extension = text, ""
    if stem.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        stem = "_" + stem
    suffix = f".{extension}" if extension else ""
    stem = _truncate(stem, MAX_FILE_NAME_CHARS - len(suffix), MAX_FILE_NAME_BYTES - len(suffix.encode("utf-8")))
    result = (stem.rstrip(". ") + suffix) if stem.rstrip(". ") else ""
    if not result or result in (".", "..") or "/" in result or "\\" in result:
        return fallback
    return result


def _truncate(text: str, max_chars: int, max_bytes: int) -> str:
    text = text[: max(max_chars, 0)]
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    return text


def numbered_name(name: str, taken: set[str]) -> str:
    """`name`, or `name (2).ext`, `name (3).ext`… — unique ignoring case (Windows, macOS)."""
    if name.casefold() not in taken:
        taken.add(name.casefold())
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    number = 2
    while True:
        marker = f" ({number})"
        candidate = _truncate(stem, MAX_FILE_NAME_CHARS - len(marker) - len(suffix), MAX_FILE_NAME_BYTES - 16)
        candidate = f"{candidate}{marker}{suffix}"
        if candidate.casefold() not in taken:
            taken.add(candidate.casefold())
            return candidate
        number += 1


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def href(*segments: str) -> str:
    return "/".join(urllib.parse.quote(segment, safe="") for segment in segments)


# --- attachments: temporary file until verified ------------------------------------------------


class TempFileSink:
    """An attachment sink (`crypto.submission.AttachmentSink`) writing to a temporary file.

    The file is renamed to its final, safe name only on `commit` — after the whole
    submission verified — and deleted on `discard`. State: the open temporary file.
    """

    def __init__(self, final_path: Path) -> None:
        self.final_path = final_path
        self._temp_path = temp_path_in(final_path.parent)
        descriptor = os.open(self._temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._handle: BinaryIO | None = os.fdopen(descriptor, "wb")

    def _open_handle(self) -> BinaryIO:
        if self._handle is None:
            raise ValueError("this attachment sink is already committed or discarded")
        return self._handle

    def write(self, data: bytes) -> int:
        return self._open_handle().write(data)

    def commit(self) -> Path:
        handle = self._open_handle()
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        self._handle = None
        publish_file(self._temp_path, self.final_path, overwrite=False)
        return self.final_path

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._temp_path.unlink(missing_ok=True)


@dataclass
class AttachmentFolder:
    """Hands out a sink per attachment, with a unique safe name inside one folder."""

    directory: Path
    taken: set[str] = field(default_factory=set)
    names: dict[int, str] = field(default_factory=dict)

    def __call__(self, info: AttachmentInfo) -> TempFileSink:
        self.directory.mkdir(mode=DIR_MODE, exist_ok=True)
        name = numbered_name(safe_file_name(info.name, f"attachment-{info.part}"), self.taken)
        self.names[info.part] = name
        return TempFileSink(self.directory / name)


# --- what a case turned into ---------------------------------------------------------------


@dataclass(frozen=True)
class ReadSubmission:
    """A submission that verified, with the safe names its attachments were saved under."""

    opened: OpenedSubmission
    attachment_names: Mapping[int, str]
    folder: str  # relative to the case folder: "" for the report, "followups/<n>-<day>"


@dataclass(frozen=True)
class UnreadSubmission:
    submission: BundleSubmission
    reason: str


@dataclass(frozen=True)
class ReplyView:
    seq: int | None
    day: str | None
    author: str
    key_id: str
    verified: bool
    result: str
    text: str | None
    status: str | None


@dataclass(frozen=True)
class TimelineView:
    entry: TimelineEntry
    by: str
    verification: str


@dataclass(frozen=True)
class Deadline:
    overdue: bool
    description: str
    sort_key: str


@dataclass(frozen=True)
class CaseResult:
    case: BundleCase
    report: ReadSubmission
    followups: tuple[ReadSubmission | UnreadSubmission, ...]
    replies: tuple[ReplyView, ...]
    timeline: tuple[TimelineView, ...]
    warnings: tuple[str, ...]
    deadline: Deadline


@dataclass(frozen=True)
class UnreadableCase:
    case: BundleCase
    reason: str


@dataclass(frozen=True)
class DecryptSummary:
    written: tuple[CaseResult, ...]
    unreadable: tuple[UnreadableCase, ...]
    index_path: Path


# --- deadlines -------------------------------------------------------------------------------


def case_deadline(case: BundleCase, today: datetime.date) -> Deadline:
    """Overdue if not acknowledged by `acknowledge_by`, or not closed by `feedback_by` (server's dates)."""
    day = today.isoformat()
    if case.status == CLOSED_STATUS:
        return Deadline(False, "closed", "3")
    missed = []
    if case.status in UNACKNOWLEDGED_STATUSES and case.acknowledge_by and day > case.acknowledge_by:
        missed.append((case.acknowledge_by, f"not acknowledged by {case.acknowledge_by}"))
    if case.feedback_by and day > case.feedback_by:
        missed.append((case.feedback_by, f"not closed by {case.feedback_by}"))
    if missed:
        return Deadline(True, "OVERDUE: " + "; ".join(text for _, text in missed), "0" + min(d for d, _ in missed))
    upcoming = []
    if case.status in UNACKNOWLEDGED_STATUSES and case.acknowledge_by:
        upcoming.append((case.acknowledge_by, f"acknowledge by {case.acknowledge_by}"))
    if case.feedback_by:
        upcoming.append((case.feedback_by, f"close by {case.feedback_by}"))
    if upcoming:
        first = min(upcoming)
        return Deadline(False, first[1], "1" + first[0])
    return Deadline(False, "no deadline given", "2")


# --- reading one case -----------------------------------------------------------------------


def _reporter_warning(case: BundleCase, signed: ReporterPublic) -> str | None:
    if case.reporter == signed:
        return None
    return (
        "The server's copy of the reporter's keys differs from the keys in the reporter's own signed report. "
        "The server may have swapped the reply key to read replies. 'python -m crypto reply' refuses this "
        "case; tell your organisation."
    )


def _open_report(
    bundle: Bundle, case: BundleCase, report: BundleSubmission, keys: ReviewerKeys, case_dir: Path
) -> ReadSubmission:
    attachments = AttachmentFolder(case_dir / "attachments")
    try:
        opened = open_submission(
            bundle.part_sources(report), keys, expected_case=case.case, attachment_sink_factory=attachments
        )
    except CandourError as exc:
        raise type(exc)(f"the report could not be read: {exc}") from exc
    return ReadSubmission(opened=opened, attachment_names=dict(attachments.names), folder="")


def _reviewer_name(key_id: bytes | None, names: Mapping[bytes, str]) -> str:
    if key_id is None:
        return "the server"
    return names.get(key_id, f"unknown reviewer {key_id.hex()}")


def _read_replies(
    bundle: Bundle,
    case: BundleCase,
    keys: ReviewerKeys,
    reply_key: bytes,
    known: Mapping[bytes, PublicIdentity],
    names: Mapping[bytes, str],
    list_label: str,
) -> tuple[ReplyView, ...]:
    views: list[ReplyView] = []
    last_seq: dict[bytes, int] = {}
    checked: list[tuple[ReplyStatement | None, BundleReply, str | None]] = []
    for reply in case.replies:
        try:
            signed = verify_statement_signature(reply.statement, reply.signature, known)
            check_reply_binding(signed, case.case, reply_key)
            checked.append((signed, reply, None))
        except CandourError as exc:
            checked.append((None, reply, str(exc)))
    # Signed day, then each reviewer's own numbering; unverifiable replies last.
    ordered = sorted(
        checked,
        key=lambda item: (item[0].day, item[0].reviewer_key_id, item[0].seq) if item[0] else ("9999", b"", 0),
    )
    for statement, reply, failure in ordered:
        if statement is None:
            views.append(ReplyView(None, None, "unknown", "", False, f"NOT VERIFIED: {failure}", None, None))
            continue
        key_id = statement.reviewer_key_id
        author = _reviewer_name(key_id, names)
        gap = ""
        previous = last_seq.get(key_id, 0)
        if statement.seq > previous + 1:
            gap = f" (replies {previous + 1}–{statement.seq - 1} by this reviewer appear to be missing)"
        elif statement.seq <= previous:
            views.append(
                ReplyView(
                    statement.seq, statement.day, author, key_id.hex(), False, "NOT VERIFIED: a replay", None, None
                )
            )
            continue
        last_seq[key_id] = statement.seq
        status = None
        if statement.status is not None:
            status = statement.status.status + (f" ({statement.status.outcome})" if statement.status.outcome else "")
            if statement.status.reason:
                status += f" — {statement.status.reason}"
        try:
            body = open_reply_for_reviewer(bundle.read_member(reply.member), keys, statement)
            text: str | None = body.text
            result = f"signature verified against {list_label}{gap}"
            verified = True
        except NotARecipientError:
            text = None
            result = f"signature verified against {list_label}, but its text was not sealed to you{gap}"
            verified = True
        except CandourError as exc:
            text = None
            result = f"NOT VERIFIED: {exc}"
            verified = False
        views.append(ReplyView(statement.seq, statement.day, author, key_id.hex(), verified, result, text, status))
    return tuple(views)


def _read_timeline(
    case: BundleCase, known: Mapping[bytes, PublicIdentity], names: Mapping[bytes, str], list_label: str
) -> tuple[TimelineView, ...]:
    views = []
    for entry in case.timeline:
        by = _reviewer_name(entry.by, names)
        if entry.statement is None or entry.signature is None:
            views.append(TimelineView(entry, by, "recorded by the server (unsigned)"))
            continue
        try:
            statement = verify_statement_signature(entry.statement, entry.signature, known)
            if (
                statement.case != case.case
                or statement.status is None
                or statement.status.status != entry.status
                or statement.status.outcome != entry.outcome
                or statement.reviewer_key_id != entry.by
            ):
                raise CandourError("the signed statement says something else than this entry")
            views.append(TimelineView(entry, by, f"signed by {by}, verified against {list_label}"))
        except CandourError as exc:
            views.append(TimelineView(entry, by, f"NOT VERIFIED: {exc}"))
    return tuple(views)


def read_case(
    bundle: Bundle,
    case: BundleCase,
    keys: ReviewerKeys,
    case_dir: Path,
    known: Mapping[bytes, PublicIdentity],
    names: Mapping[bytes, str],
    list_label: str,
    today: datetime.date,
) -> CaseResult:
    """Open and verify one case into `case_dir` (a fresh staging folder). Raises if the report fails."""
    report_entry = case.report
    if report_entry is None:
        raise CandourError(
            "this export does not hold the case's report, so nothing in it can be checked against the reporter's "
            "signature: export the whole case"
        )
    report = _open_report(bundle, case, report_entry, keys, case_dir)
    warnings = []
    warning = _reporter_warning(case, report.opened.reporter)
    if warning:
        warnings.append(warning)
    followups: list[ReadSubmission | UnreadSubmission] = []
    for number, submission in enumerate(case.followups, start=1):
        folder = f"followups/{number}-{submission.day}"
        (case_dir / "followups").mkdir(mode=DIR_MODE, exist_ok=True)
        (case_dir / folder).mkdir(mode=DIR_MODE)
        try:
            opened = open_submission(
                bundle.part_sources(submission),
                keys,
                expected_case=case.case,
                expected_reporter=report.opened.reporter,
                attachment_sink_factory=(attachments := AttachmentFolder(case_dir / folder / "attachments")),
            )
            followups.append(ReadSubmission(opened, dict(attachments.names), folder))
        except CandourError as exc:
            shutil.rmtree(case_dir / folder, ignore_errors=True)
            followups.append(UnreadSubmission(submission, str(exc)))
    replies = _read_replies(bundle, case, keys, report.opened.reply_key, known, names, list_label)
    timeline = _read_timeline(case, known, names, list_label)
    return CaseResult(
        case=case,
        report=report,
        followups=tuple(followups),
        replies=replies,
        timeline=timeline,
        warnings=tuple(warnings),
        deadline=case_deadline(case, today),
    )


# --- text files --------------------------------------------------------------------------------


def _attachment_lines(submission: ReadSubmission, indent: str = "  ") -> list[str]:
    lines = []
    for attachment in submission.opened.attachments:
        info = attachment.info
        saved = submission.attachment_names[info.part]
        lines.append(
            f"{indent}{saved}  ({info.size:,} bytes, type {visible_name(info.type) or 'not given'}; "
            f"the reporter called it '{visible_name(info.name)}')"
        )
    return lines


def report_text(result: CaseResult) -> str:
    opened = result.report.opened
    lines = [
        f"Case {result.case.case}",
        f"Report of {opened.day}, signed with the reporter's codename key (verified)",
        "",
    ]
    for key, label in REPORT_FIELD_LABELS:
        value = opened.fields.get(key, "")
        lines += [f"{label}:", clean_text(value) if value else "(not given)", ""]
    lines.append("Attachments (in attachments/):" if opened.attachments else "No attachments.")
    lines += _attachment_lines(result.report)
    return "\n".join(lines).rstrip("\n") + "\n"


def followup_text(result: CaseResult, submission: ReadSubmission) -> str:
    opened = submission.opened
    lines = [
        f"Case {result.case.case}, follow-up of {opened.day}",
        "Signed with the same codename key as the report (verified)",
        "",
        clean_text(opened.fields.get("message", "")),
        "",
        "Attachments (in attachments/):" if opened.attachments else "No attachments.",
    ]
    lines += _attachment_lines(submission)
    return "\n".join(lines).rstrip("\n") + "\n"


def replies_text(result: CaseResult) -> str:
    if not result.replies:
        return f"Case {result.case.case}: no replies yet.\n"
    lines = [f"Case {result.case.case}: replies", ""]
    for reply in result.replies:
        heading = f"Reply {reply.seq if reply.seq is not None else '?'}"
        heading += f" by {visible_name(reply.author)}" + (f" ({reply.key_id})" if reply.key_id else "")
        heading += f", {reply.day}" if reply.day else ""
        lines += [heading, f"Verification: {reply.result}"]
        if reply.status:
            lines.append(f"Status change: {visible_name(reply.status)}")
        if reply.text is not None:
            lines += ["", clean_text(reply.text)]
        lines += ["", "-" * 60, ""]
    return "\n".join(lines).rstrip("\n-") + "\n"


def timeline_text(result: CaseResult) -> str:
    case = result.case
    lines = [
        f"Case {case.case}: timeline",
        f"Created {case.created}; sealed in the {case.sealed_on}; now '{visible_name(case.status)}'"
        + (f" ({visible_name(case.outcome)})" if case.outcome else ""),
        f"Deadlines (from the server): acknowledge by {case.acknowledge_by or '-'}, close by {case.feedback_by or '-'}"
        f" -- {result.deadline.description}",
        "",
    ]
    for view in result.timeline:
        entry = view.entry
        line = f"{entry.day}  {visible_name(entry.status)}"
        if entry.outcome:
            line += f" ({visible_name(entry.outcome)})"
        line += f"  by {visible_name(view.by)}  [{view.verification}]"
        lines.append(line)
        if entry.reason:
            lines.append(f"    reason: {visible_name(entry.reason)}")
    if not result.timeline:
        lines.append("No status changes recorded.")
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------------------


def _page(title: str, body: str, css_href: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{css_href}">\n'
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _text_block(text: str) -> str:
    return f'<div class="text">{esc(clean_text(text))}</div>' if text else "<p><em>(not given)</em></p>"


def _attachments_html(submission: ReadSubmission) -> str:
    if not submission.opened.attachments:
        return "<p>No attachments.</p>"
    folder = [*submission.folder.split("/"), "attachments"] if submission.folder else ["attachments"]
    items = []
    for attachment in submission.opened.attachments:
        info = attachment.info
        saved = submission.attachment_names[info.part]
        items.append(
            f'<li><a href="{esc(href(*folder, saved))}">{esc(saved)}</a> '
            f"({info.size:,} bytes, type <code>{esc(visible_name(info.type) or 'not given')}</code>; "
            f"the reporter called it <code>{esc(visible_name(info.name))}</code>)</li>"
        )
    return (
        "<p>Attachments are the reporter's files: open them with care (an HTML or office file can contain "
        "scripts or macros).</p>\n<ul>\n" + "\n".join(items) + "\n</ul>"
    )


def case_html(result: CaseResult) -> str:
    case = result.case
    report = result.report.opened
    parts = [f"<h1>Case <code>{esc(case.case)}</code></h1>", '<p><a href="../index.html">All cases</a></p>']
    parts += [f'<div class="warning"><p>{esc(w)}</p></div>' for w in result.warnings]
    deadline_class = "overdue" if result.deadline.overdue else ""
    parts.append(
        "<table>"
        f"<tr><th>Created</th><td>{esc(case.created)}</td></tr>"
        f"<tr><th>Status</th><td>{esc(case.status)}"
        + (f" ({esc(case.outcome)})" if case.outcome else "")
        + ' <span class="server">(as the server reports it)</span></td></tr>'
        f"<tr><th>Deadlines</th><td>acknowledge by {esc(case.acknowledge_by or '-')}, "
        f"close by {esc(case.feedback_by or '-')}: "
        f'<span class="{deadline_class}">{esc(result.deadline.description)}</span></td></tr>'
        f"<tr><th>Sealed</th><td>in the {esc(case.sealed_on)}</td></tr>"
        "</table>"
    )
    parts.append(f"<h2>Report of {esc(report.day)}</h2>")
    parts.append('<p class="ok">Signed with the reporter\'s codename key: verified.</p>')
    parts.append("<dl>")
    for key, label in REPORT_FIELD_LABELS:
        parts.append(f"<dt>{esc(label)}</dt><dd>{_text_block(report.fields.get(key, ''))}</dd>")
    parts.append("</dl>")
    parts.append(_attachments_html(result.report))

    parts.append("<h2>Follow-ups</h2>")
    if not result.followups:
        parts.append("<p>None.</p>")
    for number, followup in enumerate(result.followups, start=1):
        if isinstance(followup, UnreadSubmission):
            parts.append(
                f"<h3>Follow-up {number} of {esc(followup.submission.day)}</h3>"
                f'<p class="failed">NOT VERIFIED, not shown: {esc(followup.reason)}</p>'
            )
            continue
        parts.append(f"<h3>Follow-up {number} of {esc(followup.opened.day)}</h3>")
        parts.append('<p class="ok">Signed with the same codename key as the report: verified.</p>')
        parts.append(_text_block(followup.opened.fields.get("message", "")))
        parts.append(_attachments_html(followup))

    parts.append("<h2>Replies</h2>")
    if not result.replies:
        parts.append("<p>None yet.</p>")
    for reply in result.replies:
        css = "ok" if reply.verified else "failed"
        heading = f"Reply {reply.seq if reply.seq is not None else '?'} by {reply.author}"
        heading += f", {reply.day}" if reply.day else ""
        parts.append(f"<h3>{esc(visible_name(heading))}</h3>")
        parts.append(f'<p class="{css}">{esc(reply.result)}</p>')
        if reply.status:
            parts.append(f"<p>Status change: {esc(visible_name(reply.status))}</p>")
        if reply.text is not None:
            parts.append(_text_block(reply.text))

    parts.append("<h2>Timeline</h2>")
    if not result.timeline:
        parts.append("<p>No status changes recorded.</p>")
    else:
        rows = []
        for view in result.timeline:
            entry = view.entry
            css = (
                "failed" if view.verification.startswith("NOT") else "server" if "server" in view.verification else "ok"
            )
            rows.append(
                f"<tr><td>{esc(entry.day)}</td><td>{esc(entry.status)}"
                + (f" ({esc(entry.outcome)})" if entry.outcome else "")
                + f"</td><td>{esc(visible_name(view.by))}</td><td>{esc(visible_name(entry.reason))}</td>"
                f'<td class="{css}">{esc(view.verification)}</td></tr>'
            )
        parts.append(
            "<table><tr><th>Day</th><th>Status</th><th>By</th><th>Reason</th><th>Verification</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    return _page(f"Case {case.case}", "\n".join(parts), "../style.css")


def index_html(
    bundle: Bundle,
    written: Sequence[CaseResult],
    unreadable: Sequence[UnreadableCase],
    earlier: Sequence[str],
    today: datetime.date,
    list_label: str,
) -> str:
    parts = [
        "<h1>Candour cases</h1>",
        f"<p>Export of {esc(bundle.day)} for reviewer <code>{esc(bundle.reviewer_key_id.hex())}</code>, "
        f"decrypted on {esc(today.isoformat())}. Replies were checked against {esc(list_label)}. "
        "Statuses and deadlines are as the server reports them.</p>",
        f"<p>{len(written)} case(s) decrypted, {len(unreadable)} could not be read.</p>",
    ]
    if written:
        rows = []
        for result in sorted(written, key=lambda r: (r.deadline.sort_key, r.case.created, r.case.case)):
            case = result.case
            css = ' class="overdue"' if result.deadline.overdue else ""
            counts = f"{len(result.followups)} follow-up(s), {len(result.replies)} reply(-ies)"
            rows.append(
                f'<tr><td><a href="{esc(href(case.case, "case.html"))}"><code>{esc(case.case)}</code></a></td>'
                f"<td>{esc(case.created)}</td><td>{esc(case.status)}</td>"
                f"<td{css}>{esc(result.deadline.description)}</td><td>{esc(counts)}</td></tr>"
            )
        parts.append(
            "<h2>Cases</h2><table><tr><th>Case</th><th>Created</th><th>Status</th><th>Deadline</th>"
            "<th>Contents</th></tr>" + "".join(rows) + "</table>"
        )
    if unreadable:
        items = "".join(
            f"<li><code>{esc(item.case.case)}</code> (created {esc(item.case.created)}): "
            f"{esc(visible_name(item.reason))}</li>"
            for item in unreadable
        )
        parts.append(f"<h2>Cases that could not be read</h2><ul>{items}</ul>")
    if earlier:
        items = "".join(
            f'<li><a href="{esc(href(name, "case.html"))}"><code>{esc(name)}</code></a></li>' for name in earlier
        )
        parts.append(f"<h2>Decrypted from earlier exports (not in this one)</h2><ul>{items}</ul>")
    return _page("Candour cases", "\n".join(parts), "style.css")


# --- writing the folder ------------------------------------------------------------------------

# Cases are staged, made durable and renamed into place this many at a time: one
# file-system flush per batch instead of an fsync per file and folder (which capped
# `decrypt` at ~100 cases/s). A crash at any point still leaves only complete case
# folders under their real names; staging folders keep TEMP_PREFIX names.
CASES_PER_BATCH = 256


def _write_text(path: Path, text: str) -> None:
    with atomic_write(path, overwrite=True) as handle:
        handle.write(text.encode("utf-8"))


def _write_staged(path: Path, text: str) -> None:
    """Write a file inside a staging folder; `_make_durable` flushes it before the folder is published."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(text.encode("utf-8"))


def _write_case_files(case_dir: Path, result: CaseResult) -> None:
    _write_staged(case_dir / "report.txt", report_text(result))
    for followup in result.followups:
        if isinstance(followup, ReadSubmission):
            _write_staged(case_dir / followup.folder / "message.txt", followup_text(result, followup))
    _write_staged(case_dir / "replies.txt", replies_text(result))
    _write_staged(case_dir / "timeline.txt", timeline_text(result))
    _write_staged(case_dir / "case.html", case_html(result))


def _make_durable(folders: Sequence[Path]) -> None:
    """Everything in `folders` on disk before any of them is renamed into place.

    Linux's sync() waits until the data is written, so one call covers the batch;
    elsewhere sync() may return early, so every file and folder is fsynced.
    """
    if not folders:
        return
    if sys.platform.startswith("linux"):
        os.sync()
        return
    for folder in folders:
        fsync_tree(folder)


def _replace_directory(staging: Path, final: Path) -> None:
    """Put `staging` at `final`; an earlier folder of the same case is replaced whole.

    The caller fsyncs `final.parent` afterwards (once per batch).
    """
    old = None
    if final.exists():
        old = final.parent / f"{TEMP_PREFIX}old-{final.name}-{os.urandom(4).hex()}{TEMP_SUFFIX}"
        os.rename(final, old)
    try:
        os.rename(staging, final)
    except BaseException:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _reviewer_names(bundle: Bundle, reviewer_list: Mapping[bytes, str] | None) -> dict[bytes, str]:
    names = {reviewer.key_id: f"{reviewer.display_name} ({reviewer.identity.name})" for reviewer in bundle.reviewers}
    if reviewer_list:
        names.update(reviewer_list)
    return names


def write_case_folders(
    bundle: Bundle,
    keys: ReviewerKeys,
    out_dir: Path,
    today: datetime.date,
    *,
    known_reviewers: Mapping[bytes, PublicIdentity] | None = None,
    reviewer_names: Mapping[bytes, str] | None = None,
    list_label: str = "the server's reviewer list in the export",
) -> DecryptSummary:
    """Decrypt every case of an opened bundle into `out_dir`; see the module docstring.

    `known_reviewers`/`reviewer_names` (from an organisation-signed list) replace the
    bundle's own reviewer list for checking reply signatures. A case that cannot be
    read is listed with the reason and does not stop the others.
    """
    out_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    known = dict(known_reviewers) if known_reviewers is not None else bundle.known_reviewers()
    names = _reviewer_names(bundle, reviewer_names)
    written: list[CaseResult] = []
    unreadable: list[UnreadableCase] = []
    cases = list(bundle)
    for first in range(0, len(cases), CASES_PER_BATCH):
        staged: list[tuple[Path, CaseResult]] = []
        try:
            for case in cases[first : first + CASES_PER_BATCH]:
                staging = out_dir / f"{TEMP_PREFIX}case-{case.case}-{os.urandom(4).hex()}{TEMP_SUFFIX}"
                staging.mkdir(mode=DIR_MODE)
                try:
                    result = read_case(bundle, case, keys, staging, known, names, list_label, today)
                    _write_case_files(staging, result)
                except CandourError as exc:
                    shutil.rmtree(staging, ignore_errors=True)
                    unreadable.append(UnreadableCase(case, str(exc)))
                    continue
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                staged.append((staging, result))
            _make_durable([staging for staging, _result in staged])
            for staging, result in staged:
                _replace_directory(staging, out_dir / result.case.case)
                written.append(result)
            fsync_directory(out_dir)
        finally:
            # Staging folders not renamed into place (an error mid-batch) hold plaintext: remove them.
            for staging, _result in staged:
                shutil.rmtree(staging, ignore_errors=True)
    in_bundle = {case.case for case in bundle}
    earlier = sorted(
        p.name
        for p in out_dir.iterdir()
        if p.is_dir() and re.fullmatch(r"[0-9a-f]{32}", p.name) and p.name not in in_bundle
    )
    _write_text(out_dir / "style.css", STYLE_CSS)
    index = out_dir / "index.html"
    _write_text(index, index_html(bundle, written, unreadable, earlier, today, list_label))
    return DecryptSummary(written=tuple(written), unreadable=tuple(unreadable), index_path=index)
