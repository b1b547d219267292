"""The reply file that carries replies from the air-gapped machine to the server (§9).

```json
{"format": "candour-reply-file", "version": 1,
 "replies": [{"statement": "<b64u>", "signature": "<b64u>",
              "for_reporter": "<b64u>", "for_reviewers": "<b64u>"}]}
```

This module checks only the file's structure and caps (`ReplyFileError`); each
reply's statement and signature are checked one by one by the server
(`crypto.reply.verify_reply_signature` and friends), so one bad reply does not cost
the others.
"""

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import CandourError, ReplyFileError, SequenceError
from .files import atomic_write
from .identity import b64url
from .reply import (
    MAX_FOR_REPORTER_BYTES,
    MAX_FOR_REVIEWERS_BYTES,
    MAX_STATEMENT_BYTES,
    SIGNATURE_BYTES,
    SignedReply,
    parse_statement,
)
from .strict_json import JsonReader, dumps_compact

REPLY_FILE_FORMAT = "candour-reply-file"
REPLY_FILE_VERSION = 1
MAX_REPLY_FILE_BYTES = 64 * 1024 * 1024
MAX_REPLIES = 1_000

_reader = JsonReader("the reply file", error=ReplyFileError, limit_error=ReplyFileError)


def reply_to_json(reply: SignedReply) -> dict[str, str]:
    """One reply as the reply file carries it. Raises `ReplyFileError` if a reader would refuse it."""
    if len(reply.signature) != SIGNATURE_BYTES:
        raise ReplyFileError(f"a reply's signature is {SIGNATURE_BYTES} bytes, not {len(reply.signature)}")
    if (
        len(reply.statement) > MAX_STATEMENT_BYTES
        or len(reply.for_reporter) > MAX_FOR_REPORTER_BYTES
        or len(reply.for_reviewers) > MAX_FOR_REVIEWERS_BYTES
    ):
        raise ReplyFileError("a reply is larger than the format allows")
    return {
        "statement": b64url(reply.statement),
        "signature": b64url(reply.signature),
        "for_reporter": b64url(reply.for_reporter),
        "for_reviewers": b64url(reply.for_reviewers),
    }


def reply_file_bytes(replies: Iterable[SignedReply]) -> bytes:
    """Serialise replies as a reply file. Raises `ReplyFileError` over 1,000 replies or 64 MiB."""
    replies = list(replies)
    if len(replies) > MAX_REPLIES:
        raise ReplyFileError(
            f"a reply file holds at most {MAX_REPLIES:,} replies; upload this one and start a new file"
        )
    data = dumps_compact(
        {
            "format": REPLY_FILE_FORMAT,
            "version": REPLY_FILE_VERSION,
            "replies": [reply_to_json(reply) for reply in replies],
        }
    )
    if len(data) > MAX_REPLY_FILE_BYTES:
        raise ReplyFileError("the reply file would exceed 64 MiB; upload this one and start a new file")
    return data


def _read_capped(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > MAX_REPLY_FILE_BYTES:
                raise ReplyFileError(f"{path} is larger than the 64 MiB a reply file may be")
            # Read one byte more than allowed, in case the file grew after fstat.
            data = handle.read(MAX_REPLY_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ReplyFileError(f"there is no reply file at {path}") from None
    except IsADirectoryError:
        raise ReplyFileError(f"{path} is a directory, not a reply file") from None
    if len(data) > MAX_REPLY_FILE_BYTES:
        raise ReplyFileError(f"{path} is larger than the 64 MiB a reply file may be")
    return data


def parse_reply_file(data: bytes) -> list[SignedReply]:
    """Check a reply file's structure and caps and return its replies, in file order.

    Raises `ReplyFileError` naming what is wrong (and which entry). Statements are not
    parsed or verified here.
    """
    if len(data) > MAX_REPLY_FILE_BYTES:
        raise ReplyFileError("the reply file is larger than the 64 MiB a reply file may be")
    document = _reader.obj(_reader.loads(data), "the file", ("format", "version", "replies"))
    _reader.header(document, "the file", REPLY_FILE_FORMAT, REPLY_FILE_VERSION)
    entries = _reader.list(document["replies"], "'replies'", MAX_REPLIES)
    replies = []
    for position, entry in enumerate(entries, start=1):
        where = f"reply {position}"
        entry = _reader.obj(entry, where, ("statement", "signature", "for_reporter", "for_reviewers"))
        replies.append(
            SignedReply(
                statement=_reader.raw(entry["statement"], f"{where}'s statement", max_bytes=MAX_STATEMENT_BYTES),
                signature=_reader.raw(entry["signature"], f"{where}'s signature", byte_count=SIGNATURE_BYTES),
                for_reporter=_reader.raw(
                    entry["for_reporter"], f"{where}'s copy for the reporter", max_bytes=MAX_FOR_REPORTER_BYTES
                ),
                for_reviewers=_reader.raw(
                    entry["for_reviewers"], f"{where}'s copy for the reviewers", max_bytes=MAX_FOR_REVIEWERS_BYTES
                ),
            )
        )
    return replies


def read_reply_file(path_or_bytes: str | os.PathLike[str] | bytes) -> list[SignedReply]:
    """Read a reply file from a path or from its bytes (an upload) and return its replies.

    The 64 MiB cap is checked before anything is parsed. Raises `ReplyFileError`.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return parse_reply_file(bytes(path_or_bytes))
    return parse_reply_file(_read_capped(Path(path_or_bytes)))


def write_reply_file(path: str | os.PathLike[str], replies: Iterable[SignedReply]) -> None:
    """Write (or replace) a reply file atomically: temporary file, fsync, rename."""
    data = reply_file_bytes(replies)
    with atomic_write(path, overwrite=True) as handle:
        handle.write(data)


def _identity_of(reply: SignedReply) -> tuple[str, bytes, int] | None:
    try:
        statement = parse_statement(reply.statement)
    except CandourError:
        return None
    return statement.case, statement.reviewer_key_id, statement.seq


def append_to_reply_file(path: str | os.PathLike[str], reply: SignedReply) -> int:
    """Add one reply to the reply file at `path`, creating the file if it is missing.

    The whole file is rewritten atomically (temporary file, fsync, rename), so an
    interruption leaves the old file intact. Refuses (`SequenceError`) a reply whose
    case, reviewer and number are already in the file, and (`ReplyFileError`) a file
    that would exceed 1,000 replies or 64 MiB. Returns the number of replies now in
    the file. Not safe against two processes appending at once.
    """
    path = Path(path)
    replies = read_reply_file(path) if path.exists() else []
    identity = _identity_of(reply)
    for existing in replies:
        if existing == reply:
            raise SequenceError("this reply is already in the reply file")
        if identity is not None and _identity_of(existing) == identity:
            case, key_id, seq = identity
            raise SequenceError(
                f"the reply file already holds reply {seq} by {key_id.hex()} on case {case}; "
                "the new reply needs the next number"
            )
    replies.append(reply)
    write_reply_file(path, replies)
    return len(replies)
