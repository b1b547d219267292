"""`verify`: a reply file (each reply intact, signed, by whom) or a signed reviewer list."""

import argparse
import json
from collections.abc import Mapping
from pathlib import Path

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from ..errors import BindingError, CandourError, FormatError, SequenceError, SignatureError
from ..identity import PublicIdentity
from ..kdf import hash256
from ..org import is_reviewer_list
from ..reply import SIGNATURE_CONTEXT as REPLY_SIGNATURE_CONTEXT
from ..reply import ReplyStatement, SignedReply, parse_statement, verify_reply_signature
from ..replyfile import REPLY_FILE_FORMAT, parse_reply_file
from .common import CommandError, UsageError, printable, read_small_file, say
from .org import optional_reviewer_list, say_list, verify_list_bytes


def cmd_verify(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = read_small_file(path, "reply file or reviewer list")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormatError(f"{path} is neither a reply file nor a signed reviewer list (it is not JSON)") from None
    if is_reviewer_list(document):
        if args.reviewers:
            raise UsageError("--reviewers is for checking a reply file; this file is itself a reviewer list")
        signed = verify_list_bytes(data, args, str(path))
        say_list(signed, args)
        say(f"{path}: signature verified")
        return 0
    if isinstance(document, dict) and document.get("format") == REPLY_FILE_FORMAT:
        return verify_reply_file_command(path, data, args)
    raise FormatError(f"{path} is neither a reply file nor a signed reviewer list")


def _check_one_reply(reply: SignedReply, known: Mapping[bytes, PublicIdentity] | None) -> ReplyStatement:
    if known is not None:
        return verify_reply_signature(reply, known)
    # No list: check the reply is internally consistent, signed by the key it names.
    statement = parse_statement(reply.statement)
    try:
        VerifyKey(statement.reviewer).verify(REPLY_SIGNATURE_CONTEXT + statement.raw, reply.signature)
    except (BadSignatureError, CryptoError, ValueError) as exc:
        raise SignatureError("the signature does not verify with the key the statement names: altered") from exc
    if hash256(reply.for_reporter) != statement.for_reporter_hash:
        raise BindingError("the reporter's copy does not match the hash in the signed statement")
    if hash256(reply.for_reviewers) != statement.for_reviewers_hash:
        raise BindingError("the reviewers' copy does not match the hash in the signed statement")
    return statement


def verify_reply_file_command(path: Path, data: bytes, args: argparse.Namespace) -> int:
    signed_list = optional_reviewer_list(args)
    replies = parse_reply_file(data)
    known = None if signed_list is None else {r.key_id: r.identity for r in signed_list.reviewers}
    names = {} if signed_list is None else {r.key_id: r.display_name for r in signed_list.reviewers}
    if signed_list is None:
        say("no --reviewers list given: checking each reply is intact and signed by the key it names, not who that is")
    else:
        say(f"checking against the reviewer list of {printable(signed_list.organisation)}, serial {signed_list.serial}")
    failures = 0
    seen: set[tuple[str, bytes, int]] = set()
    for position, reply in enumerate(replies, start=1):
        try:
            statement = _check_one_reply(reply, known)
            identity = (statement.case, statement.reviewer_key_id, statement.seq)
            if identity in seen:
                raise SequenceError(f"a second reply {statement.seq} by the same reviewer on the same case")
            seen.add(identity)
        except CandourError as exc:
            failures += 1
            say(f"reply {position}: FAILED: {printable(' '.join(str(exc).split()))}")
            continue
        who = names.get(statement.reviewer_key_id, "")
        who = (
            f"{printable(who)} ({statement.reviewer_key_id_hex})" if who else f"key id {statement.reviewer_key_id_hex}"
        )
        change = f", status -> {printable(statement.status.status)}" if statement.status else ""
        say(f"reply {position}: OK  case {statement.case}  number {statement.seq}  by {who}  {statement.day}{change}")
    if failures:
        raise CommandError(f"{failures} of {len(replies)} replies in {path} failed verification")
    say(f"{path}: all {len(replies)} replies verified")
    return 0
