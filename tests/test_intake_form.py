"""The one form reader (portal/intake/form.py) both reporter paths share: its rules
hold whichever sealer is plugged in, and every refusal reason has its own wording."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import pytest
from flask import Flask
from flask_wtf.csrf import generate_csrf

from portal.intake.browser_sealed import REPORT_PUBLIC_FIELDS, sealed_rules
from portal.intake.form import FormRules, read_form
from portal.intake.multipart import FileChunk, FileEnd, FileStart, FormEvent, TextField
from portal.intake.refusals import Refusal, SubmissionRefused, cause_and_advice, refusal_json, refusal_page
from portal.intake.submit import FOLLOWUP_FORM, REPORT_FORM


class RecordingSealer:
    """A sealer that only records what the reader hands it."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.values: dict[str, list[str]] = {}

    def fields_read(self, values: Mapping[str, list[str]]) -> None:
        self.calls.append("fields")
        self.values = {name: list(items) for name, items in values.items()}

    def file_started(self, event: FileStart) -> None:
        self.calls.append(f"start {event.name}")

    def file_data(self, data: bytes) -> None:
        self.calls.append(f"data {len(data)}")

    def file_ended(self) -> None:
        self.calls.append("end")

    def finished(self) -> list[str]:
        self.calls.append("finished")
        return self.calls


def _rules() -> dict[str, tuple[FormRules, str, str]]:
    # (rules, a text field it accepts, the file field it accepts), for every form.
    return {
        "report": (REPORT_FORM.rules(10_000), "what", "attachments"),
        "followup": (FOLLOWUP_FORM.rules(10_000), "message", "attachments"),
        "sealed report": (sealed_rules(REPORT_PUBLIC_FIELDS, frozenset({"reviewer"}), 10_000), "sign_key", "part0"),
    }


def _read(events: list[FormEvent], rules: FormRules) -> list[str]:
    return read_form([TextField("csrf_token", generate_csrf()), *events], rules, RecordingSealer())


@pytest.mark.parametrize("form", ["report", "followup", "sealed report"])
def test_the_rules_hold_for_every_form(app: Flask, form: str) -> None:
    rules, text, file = _rules()[form]
    with app.test_request_context():
        # The sealer decides once, when the first file starts, then sees the file.
        calls = _read([TextField(text, "x"), FileStart(file, "a", ""), FileChunk(b"abc"), FileEnd(3)], rules)
        assert calls == ["fields", f"start {file}", "data 3", "end", "finished"]
        # Without a file it decides at the end of the form.
        assert _read([TextField(text, "x")], rules) == ["fields", "finished"]
        refusals = {
            "text after a file": [FileStart(file, "a", ""), FileEnd(0), TextField(text, "x")],
            "unknown text field": [TextField("password", "x")],
            "text field twice": [TextField(text, "x"), TextField(text, "y")],
            "unknown file field": [FileStart("upload", "a", "")],
            "over the size cap": [FileStart(file, "a", ""), FileChunk(bytes(10_001))],
        }
        expected = {
            "text after a file": Refusal.ORDER,
            "unknown text field": Refusal.UNKNOWN_FIELD,
            "text field twice": Refusal.UNKNOWN_FIELD,
            "unknown file field": Refusal.UNKNOWN_FIELD,
            "over the size cap": Refusal.TOO_LARGE,
        }
        for case, events in refusals.items():
            with pytest.raises(SubmissionRefused) as refused:
                _read(events, rules)
            assert refused.value.refusal is expected[case], case
        # The CSRF token must come first, and be valid.
        with pytest.raises(SubmissionRefused) as refused:
            read_form([TextField(text, "x"), TextField("csrf_token", generate_csrf())], rules, RecordingSealer())
        assert refused.value.refusal is Refusal.CSRF
        with pytest.raises(SubmissionRefused) as refused:
            read_form([TextField("csrf_token", "forged")], rules, RecordingSealer())
        assert refused.value.refusal is Refusal.CSRF


def test_every_refusal_has_its_own_wording_as_a_page_and_as_json(app: Flask) -> None:
    with app.test_request_context():
        sentences = {refusal: cause_and_advice(refusal, followup=False) for refusal in Refusal}
        # NOT_SEALED and PART_MISMATCH share one sentence on purpose (both: not what an honest page sends).
        assert sentences[Refusal.NOT_SEALED] == sentences[Refusal.PART_MISMATCH]
        distinct = {sentence for refusal, sentence in sentences.items() if refusal is not Refusal.PART_MISMATCH}
        assert len(distinct) == len(Refusal) - 1
        for refusal in Refusal:
            html, status = refusal_page(refusal, followup=True)
            assert status == refusal.status and "NOT sent" in html
            answer = refusal_json(refusal, followup=False)
            payload = json.loads(answer.get_data(as_text=True))
            assert answer.status_code == refusal.status and answer.headers["Cache-Control"] == "no-store"
            assert payload["ok"] is False and payload["reason"] == refusal.code
            assert re.match(r"Your report was NOT sent\. Nothing was kept\. ", payload["error"])
