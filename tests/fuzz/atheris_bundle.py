"""atheris harness: export bundles (`crypto.bundle.open_bundle`) read as the reviewer tool reads them.

    .venv/bin/python -m tests.fuzz.atheris_bundle -max_total_time=120

Each input is opened as a bundle; if it opens, every submission and reply in it is
opened too (`read_everything` in test_parser_fuzz.py, attachments verified but not
kept). Only `CandourError` subclasses may escape; an opened bundle's sealed manifest
must be the seed's.
"""

import io

import atheris

with atheris.instrument_imports(include=["crypto", "zipfile"]):
    import zipfile  # noqa: F401  (instrumented: its branches guide the fuzzer)

    from crypto.bundle import open_bundle
    from crypto.errors import CandourError
    from crypto.reply import open_reply_for_reviewer, verify_statement_signature
    from crypto.submission import open_submission, verify_only_sinks

from tests.fuzz.run_atheris import run
from tests.support.fuzz_support import valid_bundle, world

ALICE = world().alice
with open_bundle(io.BytesIO(valid_bundle()), ALICE) as _seed:
    SEED_CASES = _seed.cases


def _read_everything(bundle) -> None:  # type: ignore[no-untyped-def]
    for case in bundle.cases:
        reporter = None
        for submission in case.submissions:
            try:
                opened = open_submission(
                    bundle.part_sources(submission),
                    ALICE,
                    expected_case=case.case,
                    expected_reporter=reporter,
                    attachment_sink_factory=verify_only_sinks,
                )
                reporter = reporter or opened.reporter
            except CandourError:
                pass
        for reply in case.replies:
            try:
                statement = verify_statement_signature(reply.statement, reply.signature, bundle.known_reviewers())
                open_reply_for_reviewer(bundle.read_member(reply.member), ALICE, statement)
            except CandourError:
                pass


def test_one_input(data: bytes) -> None:
    try:
        bundle = open_bundle(io.BytesIO(data), ALICE)
    except CandourError:
        return
    with bundle:
        if bundle.cases != SEED_CASES:
            raise AssertionError("a bundle opened with a manifest that is not the sealed one")
        _read_everything(bundle)


if __name__ == "__main__":
    run(test_one_input, [valid_bundle()], "bundle")
