"""Every reason a report or follow-up is refused, in one catalogue, rendered as an HTML
page (the no-JavaScript path) or as JSON (the browser path).

A refusal never echoes anything that was sent: each reason has fixed wording, with
only the portal's own limits filled in. Every sentence starts from what both paths
share ("Your report was NOT sent. Nothing was kept."), then says why and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from flask import Response, current_app, jsonify

from portal.errors import CSRF_PAGE, render_error
from portal.i18n import gettext as _


class Refusal(Enum):
    """A refusal reason: its value is (code, HTTP status). The code is stable (tests and
    the browser code may compare it); the wording is in `cause_and_advice`."""

    CSRF = ("csrf", 400)
    STAMP = ("stamp", 403)
    SESSION_ENDED = ("session_ended", 403)
    KEYS_IN_BROWSER = ("keys_in_browser", 403)
    TOO_LARGE = ("too_large", 413)
    TOO_MANY_FILES = ("too_many_files", 413)
    TEXT_TOO_LONG = ("text_too_long", 413)
    FIELD_TOO_LONG = ("field_too_long", 413)
    REQUIRED_EMPTY = ("required_empty", 400)
    NO_REVIEWERS = ("no_reviewers", 400)
    TOO_MANY_REVIEWERS = ("too_many_reviewers", 400)
    UNKNOWN_REVIEWER = ("unknown_reviewer", 400)
    UNKNOWN_CATEGORY = ("unknown_category", 400)
    HONEYPOT = ("honeypot", 400)
    ORDER = ("order", 400)
    UNKNOWN_FIELD = ("unknown_field", 400)
    MALFORMED = ("malformed", 400)
    INVALID_TEXT = ("invalid_text", 400)
    NOT_SEALED = ("not_sealed", 400)
    PART_MISMATCH = ("part_mismatch", 400)
    RECIPIENTS_MISMATCH = ("recipients_mismatch", 400)
    SUBMISSION_USED = ("submission_used", 409)
    NO_RECIPIENTS_LEFT = ("no_recipients_left", 409)
    FOLLOWUP_LIMIT = ("followup_limit", 429)
    BUSY = ("busy", 503)
    STORAGE = ("storage", 503)

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def status(self) -> int:
        return self.value[1]


class SubmissionRefused(Exception):
    """The submission is refused before anything is kept. `field` names the form field
    at fault (for an error summary that links to it), never its content. `typed`
    holds the text fields as sent when the page may show them back to the same
    reporter (a report refused as busy after it was read: nothing typed is lost)."""

    def __init__(
        self, refusal: Refusal, field: str | None = None, *, typed: Mapping[str, list[str]] | None = None
    ) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal
        self.field = field
        self.typed = typed

    @property
    def status(self) -> int:
        return self.refusal.status


def cause_and_advice(refusal: Refusal, *, followup: bool) -> str:
    """Why it was refused and what to do, in one or two fixed sentences."""
    return str(_cause_and_advice(refusal, followup=followup))


def _cause_and_advice(refusal: Refusal, *, followup: bool) -> object:
    config = current_app.config
    if refusal is Refusal.CSRF:
        return _(
            "The page had expired (it was opened too long ago or in a browser session that has ended). "
            "Reload the page and send again. If you wrote a lot, copy it before reloading."
        )
    if refusal is Refusal.STAMP:
        return _(
            "The page's check against floods of automated messages did not arrive complete or is out of date. "
            "Send again; if it keeps failing, reload the page first."
        )
    if refusal is Refusal.SESSION_ENDED:
        return _(
            "Your session has ended (it ends after a while without activity, an hour after you entered your "
            "codename, when you leave, or when the portal restarts). Enter your codename again, then send "
            "your message."
        )
    if refusal is Refusal.KEYS_IN_BROWSER:
        return _(
            "You opened your case with the sealing code running in your browser, so only that browser tab "
            "can sign and seal a follow-up. Enter your codename again on the follow-up page, then send your "
            "message."
        )
    if refusal is Refusal.TOO_LARGE:
        return _(
            "The files attached come to more than this portal accepts (%(mb)s MB in total). Remove or shrink "
            "some files and send again.",
            mb=int(config["MAX_TOTAL_UPLOAD_BYTES"]) // (1024 * 1024),
        )
    if refusal is Refusal.TOO_MANY_FILES:
        return _(
            "You can attach at most %(count)s files. Attach fewer files (or put several into one archive) "
            "and send again.",
            count=config["MAX_ATTACHMENTS"],
        )
    if refusal is Refusal.TEXT_TOO_LONG:
        return _(
            "The text is longer than this portal accepts in one go. Shorten it or put the longest part into "
            "an attached file, and send again."
        )
    if refusal is Refusal.FIELD_TOO_LONG:
        return _(
            "One of the text boxes holds more than 100,000 characters. Shorten it or put the longest part into "
            "an attached file, and send again."
        )
    if refusal is Refusal.REQUIRED_EMPTY:
        if followup:
            return _("The message was empty. Write your message and send again.")
        return _("You need to describe what happened. Fill it in and send again.")
    if refusal is Refusal.NO_REVIEWERS:
        return _("At least one reviewer must receive your report. Tick at least one reviewer.")
    if refusal is Refusal.TOO_MANY_REVIEWERS:
        return _("More reviewers were chosen than one report can be sealed to (16).")
    if refusal is Refusal.UNKNOWN_REVIEWER:
        return _("One of the chosen reviewers is not, or no longer, a reviewer here. Reload the page and choose again.")
    if refusal is Refusal.UNKNOWN_CATEGORY:
        return _("The category chosen is not one this portal offers. Choose again.")
    if refusal is Refusal.HONEYPOT:
        return _("This form could not be accepted. Reload the form and try again.")
    if refusal is Refusal.ORDER:
        return _(
            "The form arrived in an unexpected order, so it could not be sealed safely. Reload the form and try again."
        )
    if refusal is Refusal.UNKNOWN_FIELD:
        return _("The form carried something it should not. Reload the form and try again.")
    if refusal is Refusal.INVALID_TEXT:
        return _("Some of the text could not be read. Check it and send again.")
    if refusal is Refusal.RECIPIENTS_MISMATCH:
        return _("What arrived was not sealed to exactly the reviewers chosen. Reload the page and send again.")
    if refusal is Refusal.SUBMISSION_USED:
        return _("This submission was already received once. Reload the page and send again.")
    if refusal is Refusal.NO_RECIPIENTS_LEFT:
        return _(
            "None of the reviewers on your case can receive messages any more. Please contact the organisation "
            "another way."
        )
    if refusal is Refusal.FOLLOWUP_LIMIT:
        return _(
            "This case has received as many follow-ups today as the portal accepts in one day. "
            "Please send your message tomorrow."
        )
    if refusal is Refusal.BUSY:
        return _("The portal is busy. Please try again in a minute.")
    if refusal is Refusal.STORAGE:
        return _(
            "The portal cannot store anything at the moment (its storage is full or unavailable). "
            "Please try again later."
        )
    # MALFORMED, NOT_SEALED, PART_MISMATCH: what arrived is not what an honest page sends.
    if refusal is Refusal.MALFORMED:
        return _("The form did not arrive complete (the connection may have dropped). Send it again.")
    return _("What arrived was not a complete, sealed submission (the connection may have dropped). Send it again.")


def not_sent(*, followup: bool) -> str:
    return str(_("Your follow-up was NOT sent.") if followup else _("Your report was NOT sent."))


def refusal_sentence(refusal: Refusal, *, followup: bool) -> str:
    """The whole message: not sent, nothing kept, why, what to do."""
    return f"{not_sent(followup=followup)} {_('Nothing was kept.')} {cause_and_advice(refusal, followup=followup)}"


def refusal_title(refusal: Refusal, *, followup: bool) -> str:
    if refusal is Refusal.CSRF:
        return str(CSRF_PAGE[0])
    if refusal is Refusal.BUSY:
        return str(_("The portal is busy"))
    if refusal is Refusal.STORAGE:
        return str(_("Your follow-up could not be saved") if followup else _("Your report could not be saved"))
    return str(_("Your follow-up was not sent") if followup else _("Your report was not sent"))


def refusal_page(refusal: Refusal, *, followup: bool) -> tuple[str, int]:
    """The refusal as the no-JavaScript path's HTML page, with its status."""
    return render_error(
        refusal.status, (refusal_title(refusal, followup=followup), refusal_sentence(refusal, followup=followup))
    )


def refusal_json(refusal: Refusal, *, followup: bool) -> Response:
    """The refusal as the browser path's JSON answer, with its status."""
    response = jsonify({"ok": False, "reason": refusal.code, "error": refusal_sentence(refusal, followup=followup)})
    response.status_code = refusal.status
    # Replies and case ids: no cache may keep them for the next person at this computer.
    response.headers["Cache-Control"] = "no-store"
    return response
