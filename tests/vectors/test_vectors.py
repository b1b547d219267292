"""Every committed envelope vector (docs/format.md §13) gives exactly its expected outcome.

The vectors are made once by tests/vectors/generate.py and committed; the browser
implementation is checked against the same files. `outcome_of` is the one place where
the reader's exceptions become the outcome words of §13.
"""

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest

from crypto.envelope import open_envelope
from crypto.errors import (
    CandourError,
    FormatError,
    HeaderMacError,
    LimitError,
    NotARecipientError,
    PaddingError,
    PayloadError,
    TrailingDataError,
    TruncatedError,
    TruncatedPayloadError,
    UnsupportedVersionError,
)
from crypto.identity import ReviewerKeys

VECTOR_DIR = Path(__file__).resolve().parent
OUTCOMES = ("success", "header failure", "no match", "mac failure", "payload failure", "padding failure")

# Every case the vector set must cover; a lost or renamed file fails test_every_case_is_present.
REQUIRED_VECTORS = frozenset(
    """
    success-1-reviewer success-16-reviewers success-16-reviewers-middle success-empty-part
    success-64k-minus-1 success-64k success-64k-plus-1 success-content-ends-like-padding success-part-63
    success-hand-built
    header-bad-magic header-bad-version header-version-0 header-bad-suite header-part-index-64
    header-0-stanzas header-17-stanzas header-255-stanzas header-duplicate-key-id
    truncated-empty truncated-inside-magic truncated-inside-prefix truncated-after-prefix truncated-inside-stanza
    truncated-inside-stream-header truncated-inside-mac truncated-no-payload truncated-inside-chunk-tag
    truncated-inside-chunk truncated-last-byte truncated-missing-final-chunk
    no-match-not-a-recipient no-match-zero-ephemeral no-match-order-8-ephemeral
    flip-magic flip-version flip-suite flip-submission-id flip-part-index flip-part-index-high flip-stanza-count
    flip-stanza-count-zero flip-opener-key-id flip-opener-ephemeral-key flip-opener-ephemeral-high-bit
    flip-opener-sealed-key flip-other-key-id flip-other-sealed-key flip-stream-header flip-mac
    mac-reordered-stanzas mac-grafted-stanza mac-grafted-stanza-other-opener
    split-key-opener-1 split-key-opener-0 split-key-mac-under-third-key
    chunk-swapped chunk-duplicated chunk-dropped-middle chunk-dropped-final chunk-final-moved-first
    chunk-flipped-byte-first chunk-flipped-byte-final chunk-flipped-tag-byte chunk-from-other-envelope
    trailing-after-short-final trailing-after-full-final trailing-envelope-after-full-final
    chunk-final-tag-early chunk-no-final-tag chunk-unknown-tag chunk-short-message
    padding-no-marker padding-all-zero padding-wrong-length padding-too-short padding-marker-then-data
    """.split()
)


def outcome_of(error: CandourError | None) -> str:
    """Map the reader's exception to a §13 outcome word. Order matters: subclasses first.

    - payload failure: the header verified but the chunks did not — PayloadError (a chunk
      failed authentication or has an unknown tag), TruncatedPayloadError (input ended
      after the header, inside a chunk or before TAG_FINAL), TrailingDataError (bytes after
      a full-length TAG_FINAL chunk).
    - header failure: the header is not a well-formed v1 header, checked before any key —
      FormatError and its other subclasses: UnsupportedVersionError, LimitError,
      TruncatedError raised inside the header. (The 16 GiB payload cap also raises
      LimitError; no vector can reach it.)
    - no match: NotARecipientError. mac failure: HeaderMacError. padding failure: PaddingError.
    """
    if error is None:
        return "success"
    if isinstance(error, PayloadError | TruncatedPayloadError | TrailingDataError):
        return "payload failure"
    if isinstance(error, FormatError):
        return "header failure"
    if isinstance(error, NotARecipientError):
        return "no match"
    if isinstance(error, HeaderMacError):
        return "mac failure"
    if isinstance(error, PaddingError):
        return "padding failure"
    raise AssertionError(f"the envelope reader raised {type(error).__name__}, which no outcome covers: {error}")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def open_vector(document: dict[str, Any]) -> tuple[str, bytes]:
    """Open the vector's envelope with its opener through the real reader."""
    reviewers = [ReviewerKeys(entry["name"], bytes.fromhex(entry["seed"])) for entry in document["reviewers"]]
    sink = io.BytesIO()
    try:
        open_envelope(io.BytesIO(unb64u(document["envelope"])), sink, reviewers[document["opener"]])
    except CandourError as error:
        return outcome_of(error), b""
    return "success", sink.getvalue()


def outcome_of_vector(document: dict[str, Any]) -> str:
    outcome, plaintext = open_vector(document)
    if outcome == "success" and plaintext != unb64u(document["plaintext"]):
        return "success with the wrong plaintext"
    return outcome


def load_vectors() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(VECTOR_DIR.glob("*.json"))]


VECTORS = load_vectors()


def test_every_case_is_present() -> None:
    names = {document["name"] for document in VECTORS}
    missing = REQUIRED_VECTORS - names
    assert not missing, f"vector files missing from {VECTOR_DIR}: {sorted(missing)}"
    assert len(VECTORS) >= len(REQUIRED_VECTORS)


def test_every_outcome_is_exercised() -> None:
    assert {document["expected"] for document in VECTORS} == set(OUTCOMES)


@pytest.mark.parametrize("document", VECTORS, ids=[document["name"] for document in VECTORS])
def test_vector_gives_its_expected_outcome(document: dict[str, Any]) -> None:
    path = VECTOR_DIR / f"{document['name']}.json"
    assert path.exists(), "a vector's file is named after its 'name' field"
    assert path.stat().st_size < 300 * 1024
    assert document["kind"] == "envelope"
    assert document["expected"] in OUTCOMES
    assert ("plaintext" in document) == (document["expected"] == "success")
    outcome, plaintext = open_vector(document)
    assert outcome == document["expected"], document["description"]
    if outcome == "success":
        assert plaintext == unb64u(document["plaintext"])


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (FormatError("x"), "header failure"),
        (UnsupportedVersionError("x"), "header failure"),
        (LimitError("x"), "header failure"),
        (TruncatedError("x"), "header failure"),
        (TruncatedPayloadError("x"), "payload failure"),
        (TrailingDataError("x"), "payload failure"),
        (PayloadError("x"), "payload failure"),
        (NotARecipientError("x"), "no match"),
        (HeaderMacError("x"), "mac failure"),
        (PaddingError("x"), "padding failure"),
        (None, "success"),
    ],
)
def test_outcome_mapping(error: CandourError | None, outcome: str) -> None:
    assert outcome_of(error) == outcome


def test_an_unmapped_error_is_not_silently_accepted() -> None:
    with pytest.raises(AssertionError):
        outcome_of(CandourError("some error the envelope reader never raises"))
