"""Every committed structure vector (docs/format.md §13.2) gives exactly its expected outcome
in the Python reference, through crypto/'s public API (tests/vectors/structure_runners.py).

The vectors are made by tests/vectors/generate_structures.py and committed. Where the
reference does not yet meet the normative text, the vector is xfail with the reason
from tests/vectors/known_disagreements.py. The browser code runs the families it has a
counterpart for in tests/js/structures.test.mjs (tests/vectors/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.vectors.generate_structures import FAMILY_NAMES
from tests.vectors.known_disagreements import KNOWN_DISAGREEMENTS
from tests.vectors.structure_common import SPEC_ERRORS
from tests.vectors.structure_runners import MissingApi, matches, run

HERE = Path(__file__).resolve().parent
# At least this many per family, so a lost folder or a generator that stopped early fails.
MINIMUM_PER_FAMILY = {
    "keyfile": 15,
    "identity": 40,
    "org": 5,
    "list": 20,
    "codename": 10,
    "stream": 7,
    "submission": 25,
    "reply": 20,
    "replyfile": 10,
    "bundle": 14,
}


def committed() -> list[dict[str, Any]]:
    documents = []
    for family in FAMILY_NAMES:
        for path in sorted((HERE / family).glob("*.json")):
            documents.append(json.loads(path.read_text(encoding="utf-8")))
    return documents


DOCUMENTS = committed()


def _param(document: dict[str, Any]) -> Any:
    reason = KNOWN_DISAGREEMENTS.get(document["name"])
    marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
    return pytest.param(document, id=document["name"], marks=marks)


@pytest.mark.parametrize("document", [_param(document) for document in DOCUMENTS])
def test_structure_vector(document: dict[str, Any]) -> None:
    try:
        result = run(document)
    except MissingApi as missing:
        pytest.fail(f"the rule has no public function in crypto/ yet: {missing}")
    assert matches(document, result), f"expected {document['expected']}, the reference gave {result}"


def test_every_family_is_present() -> None:
    counts = {family: sum(1 for d in DOCUMENTS if d["family"] == family) for family in FAMILY_NAMES}
    short = {family: count for family, count in counts.items() if count < MINIMUM_PER_FAMILY[family]}
    assert short == {}, f"families with fewer vectors than expected (regenerate?): {short}"


def test_each_file_is_named_for_its_case_and_well_formed() -> None:
    for family in FAMILY_NAMES:
        for path in (HERE / family).glob("*.json"):
            document = json.loads(path.read_text(encoding="utf-8"))
            assert document["name"] == f"{family}/{path.stem}", path
            assert set(document) == {"name", "family", "spec", "description", "input", "expected"}, path
            expected = document["expected"]
            assert expected["outcome"] in ("accepted", "refused"), path
            if expected["outcome"] == "refused":
                assert set(expected) == {"outcome", "error"} and expected["error"] in SPEC_ERRORS, path


def test_every_family_has_accepted_and_refused_vectors() -> None:
    for family in FAMILY_NAMES:
        outcomes = {d["expected"]["outcome"] for d in DOCUMENTS if d["family"] == family}
        assert outcomes == {"accepted", "refused"}, family


def test_every_known_disagreement_names_a_committed_vector() -> None:
    names = {document["name"] for document in DOCUMENTS}
    assert sorted(set(KNOWN_DISAGREEMENTS) - names) == []


def test_the_matcher_can_fail() -> None:
    document = {"expected": {"outcome": "refused", "error": "IdentityError"}}
    assert not matches(document, {"outcome": "refused", "error": "FormatError"})
    assert not matches(document, {"outcome": "accepted"})
    accepted = {"expected": {"outcome": "accepted", "name": "Alice"}}
    assert not matches(accepted, {"outcome": "accepted", "name": "Alicia"})
