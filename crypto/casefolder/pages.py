"""The HTML pages of a case folder (case.html, index.html): no script, no external resource, every string escaped."""

import datetime
import importlib.resources
from collections.abc import Sequence

from ..bundle import Bundle
from ..text import clean_text, visible_name
from .model import (
    REPORT_FIELD_LABELS,
    CaseResult,
    ReadSubmission,
    UnreadableCase,
    UnreadSubmission,
)
from .names import (
    esc,
    href,
)

# The stylesheet is a file of its own (the pages carry no inline styles); it is copied
# next to index.html. Read through importlib.resources so an installed kit finds it.
STYLE_CSS = importlib.resources.files(__package__).joinpath("style.css").read_text(encoding="utf-8")

# No script, no external resource; a browser that honours this refuses anything else.
CSP = "default-src 'none'; style-src 'self'; img-src 'none'; form-action 'none'; base-uri 'none'"


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
    if result.trust_warning:
        parts.append(f'<div class="warning"><p><strong>{esc(result.trust_warning)}</strong></p></div>')
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
    trust_warning: str | None = None,
) -> str:
    refused = [item for item in unreadable if item.refused]
    unreadable = [item for item in unreadable if not item.refused]
    parts = [
        "<h1>Candour cases</h1>",
        *([f'<div class="warning"><p><strong>{esc(trust_warning)}</strong></p></div>'] if trust_warning else []),
        *(
            f'<div class="warning"><p><strong>REFUSED: {esc(visible_name(item.reason))}</strong></p></div>'
            for item in refused
        ),
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
