"""atheris harness: reply files, and the statements and bodies inside them.

    .venv/bin/python -m tests.fuzz.atheris_replyfile -max_total_time=120

Each input is read as a reply file (`crypto.replyfile.parse_reply_file`); every reply
it yields has its statement parsed and its sealed copies opened as the server and the
reporter's view would. Only `CandourError` subclasses may escape any of them.
"""

from collections.abc import Callable

import atheris

with atheris.instrument_imports(include=["crypto"]):
    from crypto.errors import CandourError
    from crypto.reply import classify_replies, open_reply_for_reviewer, parse_body, parse_statement
    from crypto.replyfile import parse_reply_file

from tests.fuzz.run_atheris import run
from tests.support.fuzz_support import CASE_ID, reply_body_bytes, valid_reply_file, world

W = world()
KNOWN = {W.alice.key_id: W.alice.public, W.bob.key_id: W.bob.public}


def test_one_input(data: bytes) -> None:
    try:
        parse_body(data)
    except CandourError:
        pass
    try:
        replies = parse_reply_file(data)
    except CandourError:
        return
    # classify_replies catches CandourError itself: anything escaping it is a crash.
    classify_replies(
        replies,
        case_id=CASE_ID.hex(),
        reporter_reply_secret_key=W.reporter.reply_secret_key,
        reporter_reply_public_key=W.reporter.reply_public_key,
        known_reviewers=KNOWN,
    )
    for reply in replies:
        _refuse_or_pass(parse_statement, reply.statement)
        _refuse_or_pass(open_reply_for_reviewer, reply, W.alice)


def _refuse_or_pass(call: Callable[..., object], *args: object) -> None:
    try:
        call(*args)
    except CandourError:
        pass


if __name__ == "__main__":
    run(test_one_input, [valid_reply_file(), reply_body_bytes()], "replyfile")
