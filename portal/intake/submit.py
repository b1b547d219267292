"""The four ways a submission arrives, each one call for the pages: a report or a
follow-up, sealed by the server (no JavaScript) or sealed in the browser.

Each reads the request body with the one reader (portal/intake/form.py), plugs in its
sealer, and keeps the submission only once the whole body arrived (blobs, then rows,
portal/intake/commit.py). Every failure is a SubmissionRefused (refusals.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from flask import current_app

from crypto.codename import CODENAME_VERSION, ReporterKeys, generate_codename
from crypto.envelope import new_submission_id
from crypto.submission import FOLLOWUP_FIELDS, KIND_FOLLOWUP, KIND_REPORT, REPORT_FIELDS
from crypto.submission.recipients import sign_recipients
from portal.intake.browser_sealed import (
    REPORT_PUBLIC_FIELDS,
    BrowserSealed,
    SealedReceived,
    public_key_field,
    recipients_signed,
    sealed_rules,
)
from portal.intake.codenames import browser_codename_version, keys_for_new_report, login_hash
from portal.intake.commit import NewCase, PendingBlobs, commit_followup, commit_report
from portal.intake.form import receive, request_events
from portal.intake.multipart import FormEvent
from portal.intake.recipients import (
    REVIEWER_FIELD,
    followup_recipients,
    key_ids,
    report_recipients,
    reviewers_offered,
)
from portal.intake.refusals import Refusal, SubmissionRefused
from portal.intake.server_sealer import Received, ServerForm, ServerSealer, seal_part0
from portal.store import cases as case_store
from portal.store.db import get_db
from portal.store.reviewers import Reviewer

HONEYPOT_FIELD = "website"
FILE_FIELD = "attachments"

REPORT_FORM = ServerForm(
    kind=KIND_REPORT,
    text_fields=REPORT_FIELDS,
    required_field="what",
    extra_fields=frozenset({HONEYPOT_FIELD, REVIEWER_FIELD}),
    repeatable=frozenset({REVIEWER_FIELD}),
    file_field=FILE_FIELD,
)
FOLLOWUP_FORM = ServerForm(
    kind=KIND_FOLLOWUP,
    text_fields=FOLLOWUP_FIELDS,
    required_field="message",
    extra_fields=frozenset(),
    repeatable=frozenset(),
    file_field=FILE_FIELD,
)


@dataclass(frozen=True)
class FiledReport:
    case_id: str
    codename: str
    keys: ReporterKeys


def _max_attachments() -> int:
    return int(current_app.config["MAX_ATTACHMENTS"])


def _server_events() -> Iterator[FormEvent]:
    config = current_app.config
    # Framing (boundaries, part headers) on top of the content cap; the content cap
    # itself is counted by the reader as the body streams.
    return request_events(
        max_body_bytes=int(config["MAX_TOTAL_UPLOAD_BYTES"]) + 1024 * 1024,
        max_files=_max_attachments() + 1,  # +1: an empty file input still sends a part
    )


def _browser_events() -> Iterator[FormEvent]:
    return request_events(
        max_body_bytes=int(current_app.config["MAX_CONTENT_LENGTH"]), max_files=_max_attachments() + 1
    )


def _report_choice(values: Mapping[str, list[str]]) -> list[Reviewer]:
    if values.get(HONEYPOT_FIELD, [""])[0]:
        raise SubmissionRefused(Refusal.HONEYPOT)
    category = values.get("category", [""])[0]
    if category and category not in {key for key, _label in current_app.config["CATEGORIES"]}:
        raise SubmissionRefused(Refusal.UNKNOWN_CATEGORY, "category")
    # Read here, inside the intake: a database that cannot be read is a storage refusal.
    return report_recipients(reviewers_offered(get_db()), values.get(REVIEWER_FIELD, []))


def server_report(day: str, body_read: Callable[[], None]) -> FiledReport:
    """A report sent without JavaScript, sealed here, stored; its new codename.

    `body_read()` is called once the whole body has arrived (the pages release the
    reporter-upload slot then). The new codename's keys are derivation version 2, which
    needs no Argon2 slot, so a report that arrived whole is never refused as busy.
    """
    submission_id = new_submission_id()

    def keep(received: Received, blobs: PendingBlobs) -> FiledReport:
        body_read()
        codename = generate_codename()
        keys = keys_for_new_report(codename)
        seal_part0(received, blobs, keys=keys, kind=KIND_REPORT, case_id=None, day=day)
        case_id = received.submission_id.hex()
        # The statement a browser would have signed (§7.1): the keys are in memory now only.
        signed = sign_recipients(keys.signing_key, case_id, [chosen.reviewer.key_id for chosen in received.recipients])
        commit_report(
            blobs,
            NewCase(
                case_id=case_id,
                day=day,
                sealed_on="server",
                login_hash=login_hash(keys.login_token),
                reporter_reply_key=keys.reply_public_key,
                reporter_sign_key=keys.sign_public_key,
                reviewer_ids=[chosen.reviewer.id for chosen in received.recipients],
                codename_version=CODENAME_VERSION,
                recipients_signed=signed,
            ),
        )
        return FiledReport(case_id=case_id, codename=codename, keys=keys)

    return receive(
        _server_events(),
        REPORT_FORM.rules(int(current_app.config["MAX_TOTAL_UPLOAD_BYTES"])),
        lambda blobs: ServerSealer(
            REPORT_FORM,
            blobs,
            submission_id=submission_id,
            choose_recipients=_report_choice,
            max_attachments=_max_attachments(),
        ),
        keep,
    )


def server_followup(case: case_store.CaseView, keys: ReporterKeys, day: str) -> None:
    """A follow-up sent without JavaScript, signed with the session's keys, sealed here."""
    recipients = followup_recipients(case.reviewers)
    submission_id = new_submission_id()

    def keep(received: Received, blobs: PendingBlobs) -> None:
        seal_part0(received, blobs, keys=keys, kind=KIND_FOLLOWUP, case_id=case.id, day=day)
        commit_followup(blobs, case_id=case.id, submission_id=received.submission_id.hex(), day=day, sealed_on="server")

    receive(
        _server_events(),
        FOLLOWUP_FORM.rules(int(current_app.config["MAX_TOTAL_UPLOAD_BYTES"])),
        lambda blobs: ServerSealer(
            FOLLOWUP_FORM,
            blobs,
            submission_id=submission_id,
            choose_recipients=lambda _values: recipients,
            max_attachments=_max_attachments(),
        ),
        keep,
    )


Admit = Callable[[Iterable[FormEvent]], Iterator[FormEvent]]
"""Flood control on the browser path: the events with the proof-of-work stamp checked
right after the CSRF field (portal/reporter/limits.py `stamped_events`)."""


def _browser_sealed(
    blobs: PendingBlobs, expected: Callable[[Mapping[str, list[str]]], frozenset[bytes]]
) -> BrowserSealed:
    return BrowserSealed(
        blobs,
        expected_key_ids=expected,
        submission_taken=lambda submission_id: case_store.submission_exists(get_db(), submission_id.hex()),
        max_attachments=_max_attachments(),
        max_total_plaintext=int(current_app.config["MAX_TOTAL_UPLOAD_BYTES"]),
    )


def browser_report(day: str, admit: Admit) -> str:
    """A report the browser sealed, checked and stored; its case id."""
    chosen: list[Reviewer] = []

    def expected(values: Mapping[str, list[str]]) -> frozenset[bytes]:
        for name in ("login_token", "reply_key", "sign_key"):
            public_key_field(values, name)
        browser_codename_version(values)
        offered = reviewers_offered(get_db())
        chosen.extend(report_recipients(offered, values.get(REVIEWER_FIELD, [])))
        return key_ids(chosen)

    def keep(received: SealedReceived, blobs: PendingBlobs) -> str:
        case_id = received.submission_id.hex()
        sign_key = public_key_field(received.values, "sign_key")
        signed = recipients_signed(
            received.values, case_id=case_id, sign_key=sign_key, key_ids=frozenset(r.key_id for r in chosen)
        )
        commit_report(
            blobs,
            NewCase(
                case_id=case_id,
                day=day,
                sealed_on="browser",
                login_hash=login_hash(public_key_field(received.values, "login_token")),
                reporter_reply_key=public_key_field(received.values, "reply_key"),
                reporter_sign_key=sign_key,
                reviewer_ids=[reviewer.id for reviewer in chosen],
                codename_version=browser_codename_version(received.values),
                recipients_signed=signed,
            ),
        )
        return case_id

    rules = sealed_rules(
        REPORT_PUBLIC_FIELDS, frozenset({REVIEWER_FIELD}), int(current_app.config["MAX_CONTENT_LENGTH"])
    )
    return receive(admit(_browser_events()), rules, lambda blobs: _browser_sealed(blobs, expected), keep)


def browser_followup(case: case_store.CaseView, day: str, admit: Admit) -> None:
    """A follow-up the browser signed and sealed to the case's active reviewers."""
    expected_ids = key_ids(followup_recipients(case.reviewers))

    def keep(received: SealedReceived, blobs: PendingBlobs) -> None:
        commit_followup(
            blobs, case_id=case.id, submission_id=received.submission_id.hex(), day=day, sealed_on="browser"
        )

    rules = sealed_rules(frozenset(), frozenset(), int(current_app.config["MAX_CONTENT_LENGTH"]))
    receive(admit(_browser_events()), rules, lambda blobs: _browser_sealed(blobs, lambda _values: expected_ids), keep)
