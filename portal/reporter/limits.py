"""Flood control on the reporter routes, wired into Flask (the mechanisms: portal/flood.py).

Refusals say plainly that nothing was sent and keep nothing. No client address, user
agent or time is read, stored or logged here.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator

from flask import Response, current_app, g, request

from portal import flood
from portal.errors import render_error
from portal.i18n import gettext as _
from portal.intake.multipart import FormEvent, TextField
from portal.intake.refusals import Refusal, SubmissionRefused, refusal_json, refusal_page
from portal.reporter import bp
from portal.reporter.session import CONFIG_KEY

GATE_FLAG = "candour_reporter_post_gate"


def _key() -> bytes:
    return flood.pow_key(bytes(current_app.config[CONFIG_KEY]))


def current_difficulty() -> int:
    config = current_app.config
    return flood.difficulty_for(
        flood.RATE.per_minute(),
        base_bits=int(config["POW_BASE_BITS"]),
        step_bits=int(config["POW_STEP_BITS"]),
        threshold=int(config["POW_RATE_THRESHOLD"]),
        max_bits=int(config["POW_MAX_BITS"]),
    )


def new_challenge() -> tuple[str, int]:
    difficulty = current_difficulty()
    return flood.issue_challenge(_key(), difficulty, int(current_app.config["POW_TTL_SECONDS"])), difficulty


def check_stamp(challenge: str, counter: str) -> None:
    """Admit one stamp or raise SubmissionRefused(Refusal.STAMP)."""
    try:
        stamp = flood.verify_stamp(_key(), challenge, counter, int(current_app.config["POW_BASE_BITS"]))
    except flood.StampError:
        raise SubmissionRefused(Refusal.STAMP) from None
    if not flood.SPENT.spend(stamp):
        raise SubmissionRefused(Refusal.STAMP)
    flood.RATE.record()


def stamped_events(events: Iterable[FormEvent]) -> Iterator[FormEvent]:
    """The form's events with the stamp checked: the CSRF field passes first (the intake
    checks it), then the two stamp fields must come and are checked before any further
    event, so nothing of a part is written without a valid stamp."""
    iterator = iter(events)
    first = next(iterator, None)
    if first is None:
        return
    yield first
    fields: dict[str, str] = {}
    for name in (flood.CHALLENGE_FIELD, flood.COUNTER_FIELD):
        event = next(iterator, None)
        if not isinstance(event, TextField) or event.name != name:
            raise SubmissionRefused(Refusal.STAMP)
        fields[name] = event.value
    check_stamp(fields[flood.CHALLENGE_FIELD], fields[flood.COUNTER_FIELD])
    yield from iterator


# --- follow-ups per case per day ---------------------------------------------------------------


def followup_allowed(case_id: str, day: str) -> bool:
    limit = int(current_app.config["FOLLOWUPS_PER_CASE_PER_DAY"])
    return flood.FOLLOWUPS.count(_key(), case_id, day) < limit


def followup_sent(case_id: str, day: str) -> None:
    flood.FOLLOWUPS.add(_key(), case_id, day)


# --- reporter POSTs never take every thread ------------------------------------------------------


def refuse_without_reading() -> None:
    """Stop reading a refused request's body: gunicorn would otherwise spend a thread for
    up to 5 s draining a slow upload after the 503, which is what a flood wants."""
    sock = request.environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass  # already gone: nothing to stop


@bp.before_request
def _reporter_post_gate() -> Response | tuple[str, int] | None:
    if request.method != "POST":
        return None
    config = current_app.config
    # A short, bounded wait: a burst of honest reports whose bodies are still being read
    # is not told "busy"; one waiter per worker at most, so a flood of slow uploads
    # still leaves a thread for the reviewers' workspace.
    if not flood.REPORTER_POSTS.enter(
        int(config["REPORTER_POST_CONCURRENCY"]),
        wait_seconds=float(config.get("REPORTER_POST_WAIT_SECONDS", 1.0)),
        max_waiting=1,
    ):
        refuse_without_reading()
        return _busy()
    g.setdefault(GATE_FLAG, True)
    return None


@bp.teardown_request
def _reporter_post_gate_leave(_error: BaseException | None) -> None:
    release_post_gate()


def release_post_gate() -> None:
    """Leave the reporter-POST cap early, once the request's body has been read: the
    cap is there for uploads in progress (a flood of slow uploads); a report that has
    arrived whole and waits for its key derivation waits in that budget's own bounded
    queue (portal/argon2_budget.py) instead. Idempotent."""
    if g.pop(GATE_FLAG, False):
        flood.REPORTER_POSTS.leave()


SUBMISSION_PATHS = {"/report": False, "/report/sealed": False, "/case/followup": True, "/case/followup/sealed": True}


def _busy() -> Response | tuple[str, int]:
    followup = SUBMISSION_PATHS.get(request.path)
    if followup is None:
        # A codename login, a confirmation or Leave: nothing was being sent.
        return render_error(
            503,
            (
                _("The portal is busy"),
                _("The portal is busy: what you sent was NOT kept. Please try again in a minute."),
            ),
        )
    if request.path.endswith("/sealed"):
        # The browser path reads JSON with a fixed sentence, as for every refusal there.
        return refusal_json(Refusal.BUSY, followup=followup)
    return refusal_page(Refusal.BUSY, followup=followup)
