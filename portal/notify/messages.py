"""The words of every message: counts and days only, nothing a mail provider may not know.

No case id, category, report text or reporter detail is ever passed in here: a digest
is built from counts and due days, and an escalation adds the names of the reviewers
on the case (what the administrators need to chase it). Rendered from
templates/notify/*.txt in an application context, in the portal's default language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context, has_request_context, render_template
from flask_babel import force_locale

from portal.i18n import gettext, ngettext

ACKNOWLEDGE = "acknowledge"
FEEDBACK = "feedback"


def text(message: str, **values: Any) -> str:
    """gettext in the reader's language on a page; in the default one elsewhere (the
    locale selector needs a request, and commands have none)."""
    if has_request_context() or not has_app_context():
        return str(gettext(message, **values))
    with force_locale(_mail_locale()):
        return str(gettext(message, **values))


@dataclass(frozen=True)
class Escalation:
    deadline: str  # ACKNOWLEDGE | FEEDBACK
    due_day: str
    reviewer_names: tuple[str, ...]


@dataclass
class DigestItems:
    """What one account's digest says. Every field is a count or a day."""

    new_cases: int = 0
    new_followups: int = 0
    # (deadline, due day) -> number of cases reminded about it
    due: Counter[tuple[str, str]] = field(default_factory=Counter)
    escalations: Counter[Escalation] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return self.new_cases + self.new_followups + sum(self.due.values()) + sum(self.escalations.values())


def _names(names: tuple[str, ...]) -> str:
    if not names:
        return text("no reviewers")
    if len(names) == 1:
        return names[0]
    return text("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def summary(items: DigestItems, today: str) -> str:
    """'Candour: 2 new cases, 1 new follow-up, 1 case due for acknowledgement by 2026-12-08.'"""
    parts: list[str] = []
    if items.new_cases:
        parts.append(ngettext("%(num)d new case", "%(num)d new cases", items.new_cases))
    if items.new_followups:
        parts.append(ngettext("%(num)d new follow-up", "%(num)d new follow-ups", items.new_followups))
    for (deadline, day), n in sorted(items.due.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if day >= today:
            if deadline == ACKNOWLEDGE:
                line = ngettext(
                    "%(num)d case due for acknowledgement by %(day)s",
                    "%(num)d cases due for acknowledgement by %(day)s",
                    n,
                    day=day,
                )
            else:
                line = ngettext(
                    "%(num)d case due for feedback by %(day)s", "%(num)d cases due for feedback by %(day)s", n, day=day
                )
        elif deadline == ACKNOWLEDGE:
            line = ngettext(
                "%(num)d case overdue for acknowledgement (due %(day)s)",
                "%(num)d cases overdue for acknowledgement (due %(day)s)",
                n,
                day=day,
            )
        else:
            line = ngettext(
                "%(num)d case overdue for feedback (due %(day)s)",
                "%(num)d cases overdue for feedback (due %(day)s)",
                n,
                day=day,
            )
        parts.append(line)
    ordered = sorted(items.escalations.items(), key=lambda kv: (kv[0].due_day, kv[0].deadline, kv[0].reviewer_names))
    for escalation, n in ordered:
        names = _names(escalation.reviewer_names)
        if escalation.deadline == ACKNOWLEDGE:
            line = ngettext(
                "%(num)d case overdue, not yet acknowledged (due %(day)s), with %(names)s",
                "%(num)d cases overdue, not yet acknowledged (due %(day)s), with %(names)s",
                n,
                day=escalation.due_day,
                names=names,
            )
        else:
            line = ngettext(
                "%(num)d case overdue, not yet fed back (due %(day)s), with %(names)s",
                "%(num)d cases overdue, not yet fed back (due %(day)s), with %(names)s",
                n,
                day=escalation.due_day,
                names=names,
            )
        parts.append(line)
    return text("Candour: %(items)s.", items=", ".join(str(part) for part in parts))


def _mail_locale() -> str:
    # A message has no reader's browser to ask: it is written in the portal's default
    # language, from the command line and from a page alike.
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def digest(items: DigestItems, *, today: str, workspace_url: str) -> tuple[str, str]:
    """(subject, body) of one digest. The subject is the same for every digest."""
    with force_locale(_mail_locale()):
        subject = text("Candour: work is waiting in the workspace")
        body = render_template("notify/digest.txt", summary=summary(items, today), url=workspace_url)
    return subject, body


def confirmation(*, username: str, link: str, hours: int) -> tuple[str, str]:
    with force_locale(_mail_locale()):
        subject = text("Candour: confirm this e-mail address")
        body = render_template("notify/confirm.txt", username=username, link=link, hours=hours)
    return subject, body
