"""`org sign`, and checking a signed reviewer list against the organisation key the reviewer gave."""

import argparse
import json
from pathlib import Path

from ..errors import CandourError, FormatError, SignatureError
from ..files import atomic_write
from ..org import ListedReviewer, SignedReviewerList, sign_reviewer_list, verify_reviewer_list
from .common import (
    UsageError,
    check_output_free,
    load_org_identity_file,
    load_org_key_file,
    load_public_identity_file,
    parse_day,
    printable,
    read_small_file,
    say,
    today,
)

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


def describe_listed(reviewer: ListedReviewer) -> str:
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
    check_output_free(output, args.force)
    issued = parse_day(args.issued) if args.issued else today()
    keys = load_org_key_file(Path(args.key))
    document = sign_reviewer_list(keys, entries, args.serial, issued, args.organisation)
    with atomic_write(output, overwrite=args.force, mode=0o644) as handle:
        handle.write(document)
    signed = verify_reviewer_list(document)
    say(f"signed reviewer list {printable(str(output))}: serial {signed.serial}, issued {signed.issued}")
    say(f"organisation: {printable(signed.organisation)}  fingerprint: {signed.org.fingerprint}")
    for reviewer in signed.reviewers:
        say(f"  {describe_listed(reviewer)}")
    return 0


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


def say_list(signed: SignedReviewerList, args: argparse.Namespace) -> None:
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
        say(f"OK  {describe_listed(reviewer)}")


def optional_reviewer_list(args: argparse.Namespace) -> SignedReviewerList | None:
    if not args.reviewers:
        if args.org or args.org_fingerprint:
            raise UsageError("--org and --org-fingerprint check the list given with --reviewers LISTFILE")
        return None
    path = Path(args.reviewers)
    return verify_list_bytes(read_small_file(path, "signed reviewer list"), args, str(path))
