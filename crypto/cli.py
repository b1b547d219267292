"""`python -m crypto`: the reviewer's offline tool.

Every command either succeeds or prints exactly one line, `error: <message>`, on
stderr and exits non-zero (1 for a cryptographic, format or file failure, 2 for a
mistake in the command line), leaving no partial output file behind.
"""

import argparse
import datetime
import getpass
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey

from .bundle import open_bundle
from .casefolder import write_case_folders
from .envelope import MAGIC, new_submission_id
from .errors import (
    BindingError,
    BundleError,
    CandourError,
    FormatError,
    IdentityError,
    SequenceError,
    SignatureError,
)
from .files import atomic_write, open_to_file, publish_file, seal_to_file, temp_path_in
from .identity import (
    KDF_PROFILES,
    OrgKeys,
    PublicIdentity,
    ReviewerKeys,
    generate_org_keys,
    generate_reviewer_keys,
    load_org_keys,
    load_reviewer_keys,
    parse_org_identity,
    parse_public_identity,
    save_private_key,
)
from .kdf import hash256
from .org import ListedReviewer, SignedReviewerList, is_reviewer_list, sign_reviewer_list, verify_reviewer_list
from .reply import SIGNATURE_CONTEXT as REPLY_SIGNATURE_CONTEXT
from .reply import (
    ReplyStatement,
    SignedReply,
    StatusChange,
    make_reply,
    parse_statement,
    verify_reply_signature,
    verify_statement_signature,
)
from .replyfile import REPLY_FILE_FORMAT, append_to_reply_file, parse_reply_file, read_reply_file
from .submission import open_submission, verify_only_sinks

PASSPHRASE_FILE_ENV = "CANDOUR_PASSPHRASE_FILE"  # noqa: S105 - a variable name, not a secret
# The passphrase itself in the environment: for scripts such as `make demo-reviewer`.
PASSPHRASE_ENV = "CANDOUR_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
DEBUG_ENV = "CANDOUR_DEBUG"
MAX_SMALL_FILE_BYTES = 80 * 1024 * 1024  # reply files are capped at 64 MiB, lists at 1 MiB
ZIP_MAGIC = b"PK\x03\x04"


class UsageError(Exception):
    """The command line is wrong: exit status 2."""


class CommandError(Exception):
    """A failure outside the crypto package (a file, a prompt): exit status 1."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, like every other failure."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def printable(text: str) -> str:
    """Escape control characters so a name from a file cannot drive the terminal."""
    return "".join(
        c if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") else f"\\x{ord(c):02x}" if ord(c) < 256 else "?"
        for c in text
    )


def say(line: str = "") -> None:
    print(line, flush=True)


# --- inputs ---------------------------------------------------------------------


def read_passphrase(prompt: str, *, confirm: bool = False) -> str:
    """From the file named by CANDOUR_PASSPHRASE_FILE, else CANDOUR_PASSPHRASE, else a prompt."""
    file_name = os.environ.get(PASSPHRASE_FILE_ENV)
    if file_name:
        try:
            text = Path(file_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the passphrase file named by {PASSPHRASE_FILE_ENV} ({file_name})") from exc
        if text.endswith("\n"):
            text = text[:-1]
            if text.endswith("\r"):
                text = text[:-1]
        if not text:
            raise CommandError(f"the passphrase file named by {PASSPHRASE_FILE_ENV} is empty")
        return text
    from_environment = os.environ.get(PASSPHRASE_ENV)
    if from_environment:
        return from_environment
    try:
        passphrase = getpass.getpass(prompt)
        if not passphrase:
            raise CommandError("no passphrase entered")
        if confirm and getpass.getpass("Type the passphrase again: ") != passphrase:
            raise CommandError("the two passphrases differ; nothing was written")
    except EOFError:
        raise CommandError(f"no passphrase given (type it at the prompt or set {PASSPHRASE_FILE_ENV})") from None
    return passphrase


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise CommandError(f"no {what} at {path}")
    if not path.is_file():
        raise CommandError(f"{path} is not a file (expected the {what})")


def load_reviewer_key_file(path: Path) -> ReviewerKeys:
    _require_file(path, "key file")
    return load_reviewer_keys(path, read_passphrase(f"Passphrase for {path}: "))


def load_org_key_file(path: Path) -> OrgKeys:
    _require_file(path, "organisation key file")
    return load_org_keys(path, read_passphrase(f"Passphrase for the organisation key {path}: "))


def read_small_file(path: Path, what: str) -> bytes:
    _require_file(path, what)
    if path.stat().st_size > MAX_SMALL_FILE_BYTES:
        raise CommandError(f"{path} is too large to be a {what}")
    return path.read_bytes()


def _read_text(path: Path, what: str) -> str:
    try:
        return read_small_file(path, what).decode("utf-8")
    except UnicodeDecodeError:
        raise IdentityError(f"{path} is not a {what} (it is not text)") from None


def load_public_identity_file(path: Path) -> PublicIdentity:
    text = _read_text(path, "public key file (.pub)")
    try:
        return parse_public_identity(text)
    except IdentityError as exc:
        raise IdentityError(f"{path}: {exc}") from exc


def load_org_identity_file(path: Path) -> Any:
    text = _read_text(path, "organisation public key file (org.pub)")
    try:
        return parse_org_identity(text)
    except IdentityError as exc:
        raise IdentityError(f"{path}: {exc}") from exc


def _check_output_free(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise CommandError(f"{path} already exists; choose another name, remove it, or add --force to replace it")
    if not path.parent.is_dir():
        raise CommandError(f"the folder {path.parent} does not exist")


def today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


# --- keygen -----------------------------------------------------------------------


def _file_stem(name: str) -> str:
    """The key's name is also its file name, so it must be one harmless path component."""
    stripped = name.strip()
    if (
        not stripped
        or stripped in (".", "..")
        or stripped.startswith(".")
        or any(c in stripped for c in "/\\")
        or any(unicodedata.category(c) == "Cc" for c in stripped)
    ):
        raise UsageError("--name is also the file name: no '/', '\\' or control characters, and no leading '.'")
    return stripped


def _write_key_pair(
    keys: ReviewerKeys | OrgKeys, key_path: Path, pub_path: Path, pub_text: str, passphrase: str, profile: str
) -> None:
    """Write NAME.key and NAME.pub, both or neither, never replacing an existing file."""
    temp_key = temp_path_in(key_path.parent)
    try:
        save_private_key(keys, temp_key, passphrase, profile)
        with atomic_write(pub_path, overwrite=False, mode=0o644) as handle:
            handle.write(pub_text.encode("utf-8"))
        try:
            publish_file(temp_key, key_path, overwrite=False)
        except BaseException:
            pub_path.unlink(missing_ok=True)
            raise
    finally:
        temp_key.unlink(missing_ok=True)


def _prepare_key_dir(directory: Path, *names: str) -> list[Path]:
    if directory.exists() and not directory.is_dir():
        raise CommandError(f"{directory} is not a folder")
    paths = [directory / n for n in names]
    for path in paths:
        if path.exists():
            raise CommandError(f"{path} already exists: keygen never replaces a key; choose another --name or --dir")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return paths


def cmd_keygen(args: argparse.Namespace) -> int:
    stem = _file_stem(args.name)
    keys = generate_reviewer_keys(args.name)
    key_path, pub_path = _prepare_key_dir(Path(args.dir), f"{stem}.key", f"{stem}.pub")
    passphrase = read_passphrase(f"Choose a passphrase for {key_path}: ", confirm=True)
    identity = keys.public
    pub_text = (
        f"# Candour reviewer public key: {identity.name}\n"
        f"# fingerprint: {identity.fingerprint}\n"
        f"# key id: {identity.key_id.hex()}\n"
        f"{identity.to_line()}\n"
    )
    _write_key_pair(keys, key_path, pub_path, pub_text, passphrase, args.kdf)
    say(f"private key: {key_path} (keep it on this machine; it is useless without the passphrase)")
    say(f"public key:  {pub_path} (give this file to the portal administrator)")
    say(f"fingerprint: {identity.fingerprint}")
    say(f"key id:      {identity.key_id.hex()}")
    return 0


def cmd_org_keygen(args: argparse.Namespace) -> int:
    keys = generate_org_keys(args.name)
    key_path, pub_path = _prepare_key_dir(Path(args.dir), "org.key", "org.pub")
    passphrase = read_passphrase(f"Choose a passphrase for {key_path}: ", confirm=True)
    identity = keys.public
    pub_text = (
        f"# Candour organisation key: {identity.name}\n# fingerprint: {identity.fingerprint}\n{identity.to_line()}\n"
    )
    _write_key_pair(keys, key_path, pub_path, pub_text, passphrase, args.kdf)
    say(f"organisation private key: {key_path} (keep it offline)")
    say(f"organisation public key:  {pub_path}")
    say(f"fingerprint: {identity.fingerprint}")
    return 0


# --- seal / open -------------------------------------------------------------------


def cmd_seal(args: argparse.Namespace) -> int:
    recipients = [load_public_identity_file(Path(p)) for p in args.to]
    source, output = Path(args.input), Path(args.output)
    _require_file(source, "input file")
    _check_output_free(output, args.force)
    sealed = seal_to_file(source, output, recipients, new_submission_id(), 0, overwrite=args.force)
    say(f"sealed {printable(str(source))} ({sealed.plaintext_size} bytes) into {printable(str(output))} for:")
    for identity in recipients:
        say(f"  {printable(identity.name)}  key id {identity.key_id.hex()}  fingerprint: {identity.fingerprint}")
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    source, output = Path(args.input), Path(args.output)
    _require_file(source, "envelope")
    with source.open("rb") as handle:
        start = handle.read(len(MAGIC))
    if start.startswith(ZIP_MAGIC):
        raise FormatError(f"{source} is an export bundle, not one envelope: use 'python -m crypto decrypt'")
    if start != MAGIC:
        raise FormatError(f"{source} is not a Candour envelope (the first bytes are not 'CANDOUR')")
    _check_output_free(output, args.force)
    keys = load_reviewer_key_file(Path(args.key))
    opened = open_to_file(source, output, keys, overwrite=args.force)
    say(
        f"opened {printable(str(source))}: {opened.plaintext_size} bytes written to {printable(str(output))} "
        f"(part {opened.part_index} of submission {opened.submission_id.hex()})"
    )
    return 0


# --- organisation: sign the reviewer list ---------------------------------------------

ENTRY_FIELDS = {"pub", "display_name", "role", "required"}


def _parse_required(text: str, where: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("required", "yes", "true"):
        return True
    if lowered in ("", "optional", "no", "false"):
        return False
    raise UsageError(f"{where}: the last field is 'required' or 'optional', not {text!r}")


def parse_reviewer_spec(spec: str) -> ListedReviewer:
    """PUBFILE[:DISPLAY NAME[:ROLE[:required|optional]]]."""
    fields = spec.split(":", 3)
    identity = load_public_identity_file(Path(fields[0]))
    display_name = fields[1].strip() if len(fields) > 1 and fields[1].strip() else identity.name
    role = fields[2].strip() if len(fields) > 2 else ""
    required = _parse_required(fields[3], f"--reviewer {spec}") if len(fields) > 3 else False
    return ListedReviewer(identity=identity, display_name=display_name, role=role, required=required)


def load_entries_file(path: Path) -> list[ListedReviewer]:
    """A JSON list of {"pub", "display_name", "role", "required"}; paths relative to the file."""
    try:
        document = json.loads(read_small_file(path, "reviewer entries file").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path} is not valid JSON") from exc
    if isinstance(document, dict) and set(document) == {"reviewers"}:
        document = document["reviewers"]
    if not isinstance(document, list):
        raise FormatError(f"{path} must hold a JSON list of reviewers")
    entries = []
    for position, raw in enumerate(document, start=1):
        where = f"{path}, reviewer {position}"
        if not isinstance(raw, dict) or "pub" not in raw or not set(raw) <= ENTRY_FIELDS:
            raise FormatError(f"{where}: give 'pub', optionally 'display_name', 'role', 'required', and nothing else")
        if not isinstance(raw["pub"], str):
            raise FormatError(f"{where}: 'pub' is the path of the reviewer's .pub file")
        identity = load_public_identity_file(path.parent / raw["pub"])
        display_name = raw.get("display_name", identity.name)
        role = raw.get("role", "")
        required = raw.get("required", False)
        if not isinstance(display_name, str) or not isinstance(role, str) or not isinstance(required, bool):
            raise FormatError(f"{where}: 'display_name' and 'role' are text, 'required' is true or false")
        entries.append(ListedReviewer(identity, display_name, role, required))
    return entries


def _parse_day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a YYYY-MM-DD date") from None


def _describe_listed(reviewer: ListedReviewer) -> str:
    role = f", {printable(reviewer.role)}" if reviewer.role else ""
    need = "required" if reviewer.required else "optional"
    return (
        f"{printable(reviewer.display_name)}{role} ({need}) key id {reviewer.key_id.hex()} "
        f"fingerprint: {reviewer.identity.fingerprint}"
    )


def cmd_org_sign(args: argparse.Namespace) -> int:
    if not args.reviewer and not args.entries:
        raise UsageError("name the reviewers with --reviewer PUBFILE[:NAME:ROLE:required] or --entries FILE.json")
    if args.serial < 1:
        raise UsageError("--serial must be 1 or more (one more than the list it replaces)")
    entries: list[ListedReviewer] = []
    if args.entries:
        entries += load_entries_file(Path(args.entries))
    entries += [parse_reviewer_spec(spec) for spec in args.reviewer]
    output = Path(args.output)
    _check_output_free(output, args.force)
    issued = _parse_day(args.issued) if args.issued else today()
    keys = load_org_key_file(Path(args.key))
    document = sign_reviewer_list(keys, entries, args.serial, issued, args.organisation)
    with atomic_write(output, overwrite=args.force, mode=0o644) as handle:
        handle.write(document)
    signed = verify_reviewer_list(document)
    say(f"signed reviewer list {printable(str(output))}: serial {signed.serial}, issued {signed.issued}")
    say(f"organisation: {printable(signed.organisation)}  fingerprint: {signed.org.fingerprint}")
    for reviewer in signed.reviewers:
        say(f"  {_describe_listed(reviewer)}")
    return 0


# --- verify -------------------------------------------------------------------------


def _org_fingerprint_from_args(args: argparse.Namespace) -> tuple[bytes | None, str | None]:
    if args.org:
        org = load_org_identity_file(Path(args.org))
        return org.sign_public_key, None
    return None, args.org_fingerprint


def verify_list_bytes(data: bytes, args: argparse.Namespace, what: str) -> SignedReviewerList:
    """Verify a reviewer list, checking its signer against --org / --org-fingerprint."""
    expected_key, expected_fingerprint = _org_fingerprint_from_args(args)
    try:
        signed = verify_reviewer_list(data, expected_fingerprint)
    except CandourError as exc:
        raise type(exc)(f"{what}: {exc}") from exc
    if expected_key is not None and signed.org.sign_public_key != expected_key:
        raise SignatureError(
            f"{what} is signed by another organisation key ({signed.org.fingerprint}) than the one in {args.org}: "
            "do not use it"
        )
    return signed


def _say_list(signed: SignedReviewerList, args: argparse.Namespace) -> None:
    say(
        f"reviewer list of {printable(signed.organisation)}: serial {signed.serial}, issued {signed.issued}, "
        f"{len(signed.reviewers)} reviewer(s)"
    )
    if args.org or args.org_fingerprint:
        say(f"organisation key OK: fingerprint {signed.org.fingerprint}")
    else:
        say(
            f"organisation key fingerprint: {signed.org.fingerprint} -- no --org or --org-fingerprint given: "
            "compare these six words with the ones your organisation gave you"
        )
    for reviewer in signed.reviewers:
        say(f"OK  {_describe_listed(reviewer)}")


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
        _say_list(signed, args)
        say(f"{path}: signature verified")
        return 0
    if isinstance(document, dict) and document.get("format") == REPLY_FILE_FORMAT:
        return verify_reply_file_command(path, data, args)
    raise FormatError(f"{path} is neither a reply file nor a signed reviewer list")


# --- decrypt ------------------------------------------------------------------------------


def _optional_reviewer_list(args: argparse.Namespace) -> SignedReviewerList | None:
    if not args.reviewers:
        if args.org or args.org_fingerprint:
            raise UsageError("--org and --org-fingerprint check the list given with --reviewers LISTFILE")
        return None
    path = Path(args.reviewers)
    return verify_list_bytes(read_small_file(path, "signed reviewer list"), args, str(path))


def cmd_decrypt(args: argparse.Namespace) -> int:
    bundle_path, out_dir = Path(args.bundle), Path(args.out)
    _require_file(bundle_path, "export bundle")
    if out_dir.exists() and not out_dir.is_dir():
        raise CommandError(f"{out_dir} exists and is not a folder")
    day = _parse_day(args.today) if args.today else today()
    signed_list = _optional_reviewer_list(args)
    keys = load_reviewer_key_file(Path(args.key))
    options: dict[str, Any] = {}
    if signed_list is not None:
        options = {
            "known_reviewers": {r.key_id: r.identity for r in signed_list.reviewers},
            "reviewer_names": {r.key_id: f"{r.display_name} ({r.identity.name})" for r in signed_list.reviewers},
            "list_label": f"the organisation-signed reviewer list (serial {signed_list.serial})",
        }
    with open_bundle(bundle_path, keys) as bundle:
        summary = write_case_folders(bundle, keys, out_dir, day, **options)
    for result in summary.written:
        flag = f"  [{result.deadline.description}]" if result.deadline.overdue else ""
        say(f"decrypted case {result.case.case} into {printable(str(out_dir / result.case.case))}{flag}")
    for unread in summary.unreadable:
        say(f"could not read case {unread.case.case}: {printable(' '.join(unread.reason.split()))}")
    say(f"{len(summary.written)} cases decrypted, {len(summary.unreadable)} could not be read")
    say(f"open {printable(str(summary.index_path))} in a browser")
    return 0


# --- reply -------------------------------------------------------------------------------


def _read_utf8(path: Path, what: str) -> str:
    data = read_small_file(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text; save the {what} as UTF-8") from None


def _my_seqs(statements: Iterable[tuple[bytes, bytes]], case_id: str, keys: ReviewerKeys) -> list[int]:
    """Numbers of this reviewer's replies on this case among (statement, signature) pairs.

    Only statements that verify with the reviewer's own key count, so a server cannot
    push the numbering up with a forged entry.
    """
    mine = {keys.key_id: keys.public}
    numbers = []
    for statement_bytes, signature in statements:
        try:
            statement = verify_statement_signature(statement_bytes, signature, mine)
        except CandourError:
            continue
        if statement.case == case_id:
            numbers.append(statement.seq)
    return numbers


def _status_from_args(args: argparse.Namespace) -> StatusChange | None:
    reason = args.reason if args.reason is not None else ""
    if args.reason_file:
        reason = _read_utf8(Path(args.reason_file), "reason").rstrip("\n")
    if not args.status:
        if args.outcome or reason:
            raise UsageError("--outcome and --reason go with --status (the status the case moves to)")
        return None
    return StatusChange(status=args.status, outcome=args.outcome or None, reason=reason)


def _reply_copy_recipients(
    listed: Sequence[bytes], sealed_to: Sequence[bytes], known: Mapping[bytes, PublicIdentity]
) -> list[PublicIdentity]:
    """The reviewers who get the reviewers' copy of a reply.

    Only reviewers the report itself was sealed to (its header's key ids, which the
    MAC authenticates): a server that listed an extra key of its own on the case would
    otherwise receive a readable copy of every reply.
    """
    sealed = set(sealed_to)
    extra = [key_id.hex() for key_id in listed if key_id not in sealed]
    if extra:
        raise BindingError(
            f"the server lists reviewer {extra[0]} on this case, but the report was not sealed to that key: "
            "no reply was written; tell your organisation"
        )
    missing = [key_id.hex() for key_id in sealed_to if key_id not in known]
    if missing:
        raise BundleError(f"the case's reviewer {missing[0]} is not in the export's reviewer list")
    return [known[key_id] for key_id in sealed_to]


def cmd_reply(args: argparse.Namespace) -> int:
    case_id = args.case.strip().lower()
    if len(case_id) != 32 or any(c not in "0123456789abcdef" for c in case_id):
        raise UsageError("--case takes the case id, 32 hexadecimal characters (as in the case folder's name)")
    bundle_path, output = Path(args.bundle), Path(args.output)
    _require_file(bundle_path, "export bundle")
    text = _read_utf8(Path(args.message_file), "message").rstrip("\n")
    status = _status_from_args(args)
    existing = read_reply_file(output) if output.exists() else []
    if not output.parent.is_dir():
        raise CommandError(f"the folder {output.parent} does not exist")
    keys = load_reviewer_key_file(Path(args.key))
    with open_bundle(bundle_path, keys) as bundle:
        case = next((c for c in bundle if c.case == case_id), None)
        if case is None:
            raise BundleError(f"case {case_id} is not in this export; export it again from the portal")
        report = case.report
        if report is None:
            raise BundleError(
                f"this export does not hold case {case_id}'s report, so the reporter's reply key cannot be taken "
                "from their signed report: export the whole case"
            )
        # Verifies the reporter's signature and every part; nothing is kept.
        opened = open_submission(
            bundle.part_sources(report), keys, expected_case=case_id, attachment_sink_factory=verify_only_sinks
        )
        if case.reporter != opened.reporter:
            raise BindingError(
                "the server's copy of the reporter's reply key differs from the one in the reporter's signed "
                "report: the server may have swapped it to read replies. No reply was written; tell your organisation"
            )
        known = bundle.known_reviewers()
        recipients = _reply_copy_recipients(case.recipients, opened.recipient_key_ids, known)
        history = [(r.statement, r.signature) for r in case.replies]
        history += [(t.statement, t.signature) for t in case.timeline if t.statement and t.signature]
    history += [(r.statement, r.signature) for r in existing]
    seq = max(_my_seqs(history, case_id, keys), default=0) + 1
    reply = make_reply(keys, case_id, opened.reply_key, recipients, seq, today().isoformat(), text, status)
    count = append_to_reply_file(output, reply)
    say(f"reply {seq} on case {case_id} added to {printable(str(output))} ({count} in the file)")
    say("sealed to the reporter's reply key from their signed report, and for the case's reviewers:")
    for identity in recipients:
        say(f"  {printable(identity.name)}  key id {identity.key_id.hex()}  fingerprint: {identity.fingerprint}")
    if status is not None:
        say(
            f"status change: {printable(status.status)}" + (f" ({printable(status.outcome)})" if status.outcome else "")
        )
    return 0


# --- verify a reply file --------------------------------------------------------------------


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
    signed_list = _optional_reviewer_list(args)
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


# --- the parser ------------------------------------------------------------------------

ORG_SIGN_HELP = """\
Reviewers are named in one of two ways (both may be combined):

  --reviewer PUBFILE[:DISPLAY NAME[:ROLE[:required|optional]]]   (repeat it)
      e.g. --reviewer ana.pub:"Ana Silva:Compliance officer:required"
      The display name defaults to the name in the key; the role to empty;
      the flag to optional. Names and roles cannot contain ':' this way.

  --entries FILE.json
      [{"pub": "ana.pub", "display_name": "Ana Silva",
        "role": "Compliance officer", "required": true}, ...]
      'pub' paths are relative to FILE.json; other fields optional as above.
"""


def _add_kdf(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kdf",
        choices=sorted(KDF_PROFILES),
        default="moderate",
        help="passphrase hashing cost: moderate (default, 256 MiB) or interactive (64 MiB, for tests)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m crypto",
        description="Candour's offline reviewer tool. Passphrases are prompted for, or read from the file "
        f"named by {PASSPHRASE_FILE_ENV} (one trailing newline is ignored).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    keygen = commands.add_parser("keygen", help="make a reviewer key pair: DIR/NAME.key and DIR/NAME.pub")
    keygen.add_argument("--name", required=True, help="your name; also the file name")
    keygen.add_argument("--dir", required=True, help="folder for the key files (created if missing)")
    _add_kdf(keygen)
    keygen.set_defaults(handler=cmd_keygen)

    seal = commands.add_parser("seal", help="seal a file to one or more reviewers")
    seal.add_argument("--to", action="append", required=True, metavar="PUBFILE", help="a reviewer's .pub file")
    seal.add_argument("input", metavar="INPUT")
    seal.add_argument("-o", "--output", required=True, metavar="OUTPUT")
    seal.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    seal.set_defaults(handler=cmd_seal)

    open_ = commands.add_parser("open", help="open one envelope with your key")
    open_.add_argument("--key", required=True, metavar="KEYFILE")
    open_.add_argument("input", metavar="INPUT")
    open_.add_argument("-o", "--output", required=True, metavar="OUTPUT")
    open_.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    open_.set_defaults(handler=cmd_open)

    decrypt = commands.add_parser("decrypt", help="decrypt an export bundle into a folder of readable cases")
    decrypt.add_argument("--key", required=True, metavar="KEYFILE")
    decrypt.add_argument("bundle", metavar="BUNDLE")
    decrypt.add_argument("--out", required=True, metavar="DIR")
    decrypt.add_argument("--today", metavar="YYYY-MM-DD", help="the day to judge deadlines by (default: today, UTC)")
    decrypt.add_argument(
        "--reviewers", metavar="LISTFILE", help="check reply signatures against this organisation-signed list"
    )
    decrypt_org = decrypt.add_mutually_exclusive_group()
    decrypt_org.add_argument("--org", metavar="ORGPUB", help="the organisation's org.pub (checks --reviewers)")
    decrypt_org.add_argument("--org-fingerprint", metavar='"SIX WORDS"', help="the organisation key's fingerprint")
    decrypt.set_defaults(handler=cmd_decrypt)

    reply = commands.add_parser("reply", help="write a signed, sealed reply into a reply file")
    reply.add_argument("--key", required=True, metavar="KEYFILE")
    reply.add_argument("--bundle", required=True, metavar="BUNDLE", help="the export bundle holding the case")
    reply.add_argument("--case", required=True, metavar="CASE", help="the case id (32 hex digits)")
    reply.add_argument("--message-file", required=True, metavar="FILE", help="the reply's text (UTF-8)")
    reply.add_argument("-o", "--output", required=True, metavar="REPLYFILE", help="created, or appended to")
    reply.add_argument("--status", metavar="S", help="also change the case's status")
    reply.add_argument("--outcome", metavar="O", help="the case's outcome (with --status)")
    reason = reply.add_mutually_exclusive_group()
    reason.add_argument("--reason", metavar="TEXT", help="why the status changes")
    reason.add_argument("--reason-file", metavar="F", help="the reason, from a file")
    reply.set_defaults(handler=cmd_reply)

    verify = commands.add_parser("verify", help="check a reply file or a signed reviewer list")
    verify.add_argument("file", metavar="FILE")
    who = verify.add_mutually_exclusive_group()
    who.add_argument("--org", metavar="ORGPUB", help="the organisation's org.pub")
    who.add_argument("--org-fingerprint", metavar='"SIX WORDS"', help="the organisation key's fingerprint")
    verify.add_argument("--reviewers", metavar="LISTFILE", help="the signed reviewer list to check replies against")
    verify.set_defaults(handler=cmd_verify)

    org = commands.add_parser("org", help="the organisation's root key and its signed reviewer list")
    org_commands = org.add_subparsers(dest="org_command", metavar="COMMAND", required=True)
    org_keygen = org_commands.add_parser("keygen", help="make the organisation key: DIR/org.key and DIR/org.pub")
    org_keygen.add_argument("--name", required=True, help="the organisation's name")
    org_keygen.add_argument("--dir", required=True)
    _add_kdf(org_keygen)
    org_keygen.set_defaults(handler=cmd_org_keygen)
    org_sign = org_commands.add_parser(
        "sign",
        help="sign the list of reviewers",
        epilog=ORG_SIGN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    org_sign.add_argument("--key", required=True, metavar="ORGKEY")
    org_sign.add_argument("--reviewer", action="append", default=[], metavar="PUBFILE[:NAME[:ROLE[:required]]]")
    org_sign.add_argument("--entries", metavar="FILE.json")
    org_sign.add_argument("--serial", required=True, type=int, help="1 for the first list, then one more each time")
    org_sign.add_argument("--issued", metavar="YYYY-MM-DD", help="default: today (UTC)")
    org_sign.add_argument("--organisation", metavar="NAME", help="default: the name in the organisation key")
    org_sign.add_argument("-o", "--output", required=True, metavar="LIST.json")
    org_sign.add_argument("--force", action="store_true", help="replace the output file if it exists")
    org_sign.set_defaults(handler=cmd_org_sign)
    from .desk.command import add_desk_command  # the Desk (crypto/desk): Textual loads only when it starts

    add_desk_command(commands)
    return parser


def _one_line(message: str) -> str:
    return printable(" ".join(message.split()))


def _describe_os_error(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    handler: Callable[[argparse.Namespace], int]
    try:
        args = build_parser().parse_args(argv)
        handler = args.handler
        return handler(args)
    except UsageError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except (CandourError, CommandError) as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {_one_line(_describe_os_error(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        detail = f"{type(exc).__name__}: {_one_line(str(exc))}"
        print(f"error: unexpected failure ({detail}); please report it", file=sys.stderr)
        return 1
