"""The plain-text files of a case folder: report.txt, message.txt, replies.txt, timeline.txt."""

from ..text import clean_text, visible_name
from .model import REPORT_FIELD_LABELS, CaseResult, ReadSubmission

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
    if result.trust_warning:
        lines += [f"WARNING: {result.trust_warning}", ""]
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
    if result.trust_warning:
        lines += [f"WARNING: {result.trust_warning}", ""]
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
