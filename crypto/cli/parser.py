"""The command line: every command, its options and its help, and nothing else.

Handlers are named as "module:function" inside this package and imported only when
their command runs (`crypto.cli.main`), so `--help` and a light command such as
`verify` do not load what `decrypt` needs.
"""

import argparse

from .common import PASSPHRASE_FILE_ENV, Parser

# The key-derivation profiles of crypto.identity.KDF_PROFILES, named here so that
# building the parser does not import the key-file code (a test checks they agree).
KDF_CHOICES = ("interactive", "moderate")


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


REPLY_HELP = """\
Statuses and outcomes are your organisation's: the export carries its workflow, and
the reply is refused here, before it is signed, if the status, outcome or reason is
not allowed from the case's current status. Give a status by its name or by the label
the workspace shows; see the choices for a case with

  python -m crypto reply --key KEY --bundle BUNDLE --case CASE -o REPLYFILE --status list

With the portal's default workflow the statuses are New (new), Acknowledged
(acknowledged), In progress (in_progress), Waiting for more information from you
(awaiting_reporter) and Closed (closed); closing needs --outcome: Upheld (upheld),
Partly upheld (partly_upheld), Not upheld (not_upheld), Referred to another body
(referred) or Withdrawn by the reporter (withdrawn), and a --reason.
"""


def _add_kdf(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kdf",
        choices=KDF_CHOICES,
        default="moderate",
        help="passphrase hashing cost: moderate (default, 256 MiB) or interactive (64 MiB, for tests)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m crypto",
        description="Candour's offline reviewer tool. Passphrases are prompted for, or read from the file "
        f"named by {PASSPHRASE_FILE_ENV} (one trailing newline is ignored).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    keygen = commands.add_parser("keygen", help="make a reviewer key pair: DIR/NAME.key and DIR/NAME.pub")
    keygen.add_argument("--name", required=True, help="your name; also the file name")
    keygen.add_argument("--dir", required=True, help="folder for the key files (created if missing)")
    _add_kdf(keygen)
    keygen.set_defaults(handler="keys:cmd_keygen")

    seal = commands.add_parser("seal", help="seal a file to one or more reviewers")
    seal.add_argument("--to", action="append", required=True, metavar="PUBFILE", help="a reviewer's .pub file")
    seal.add_argument("input", metavar="INPUT")
    seal.add_argument("-o", "--output", required=True, metavar="OUTPUT")
    seal.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    seal.set_defaults(handler="envelopes:cmd_seal")

    open_ = commands.add_parser("open", help="open one envelope with your key")
    open_.add_argument("--key", required=True, metavar="KEYFILE")
    open_.add_argument("input", metavar="INPUT")
    open_.add_argument("-o", "--output", required=True, metavar="OUTPUT")
    open_.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    open_.set_defaults(handler="envelopes:cmd_open")

    decrypt = commands.add_parser("decrypt", help="decrypt an export bundle into a folder of readable cases")
    decrypt.add_argument("--key", required=True, metavar="KEYFILE")
    decrypt.add_argument("bundle", metavar="BUNDLE")
    decrypt.add_argument("--out", required=True, metavar="DIR")
    decrypt.add_argument("--today", metavar="YYYY-MM-DD", help="the day to judge deadlines by (default: today, UTC)")
    decrypt.add_argument(
        "--reviewers", metavar="LISTFILE", help="check reply signatures against this organisation-signed list"
    )
    decrypt_org = decrypt.add_mutually_exclusive_group()
    decrypt_org.add_argument(
        "--org", metavar="ORGPUB", help="the organisation's org.pub: confirms its key once, at first use"
    )
    decrypt_org.add_argument(
        "--org-fingerprint",
        metavar='"SIX WORDS"',
        help="the organisation key's fingerprint, as your organisation gave it: confirms its key once, at first use",
    )
    decrypt.set_defaults(handler="decrypt:cmd_decrypt")

    reply = commands.add_parser(
        "reply",
        help="write a signed, sealed reply into a reply file",
        epilog=REPLY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reply.add_argument("--key", required=True, metavar="KEYFILE")
    reply.add_argument("--bundle", required=True, metavar="BUNDLE", help="the export bundle holding the case")
    reply.add_argument("--case", required=True, metavar="CASE", help="the case id (32 hex digits)")
    reply.add_argument("--message-file", metavar="FILE", help="the reply's text (UTF-8); needed unless --status list")
    reply.add_argument("-o", "--output", required=True, metavar="REPLYFILE", help="created, or appended to")
    reply.add_argument(
        "--status", metavar="S", help="also change the case's status (name or label; 'list' shows the choices)"
    )
    reply.add_argument("--outcome", metavar="O", help="the case's outcome, when --status closes it")
    reply.add_argument(
        "--feedback",
        action="store_true",
        help="mark this reply as feedback on the report (signed; it meets the feedback deadline, an "
        "acknowledgement does not)",
    )
    reason = reply.add_mutually_exclusive_group()
    reason.add_argument("--reason", metavar="TEXT", help="why the status changes")
    reason.add_argument("--reason-file", metavar="F", help="the reason, from a file")
    reply.set_defaults(handler="reply:cmd_reply")

    verify = commands.add_parser("verify", help="check a reply file or a signed reviewer list")
    verify.add_argument("file", metavar="FILE")
    who = verify.add_mutually_exclusive_group()
    who.add_argument("--org", metavar="ORGPUB", help="the organisation's org.pub")
    who.add_argument("--org-fingerprint", metavar='"SIX WORDS"', help="the organisation key's fingerprint")
    verify.add_argument("--reviewers", metavar="LISTFILE", help="the signed reviewer list to check replies against")
    verify.set_defaults(handler="verify:cmd_verify")

    casebook = commands.add_parser("casebook", help="this machine's record of verified cases (see docs/format.md §14)")
    casebook_commands = casebook.add_subparsers(dest="casebook_command", metavar="COMMAND", required=True)
    casebook_init = casebook_commands.add_parser(
        "init", help="make the casebook for a key made before casebooks existed (keygen makes one)"
    )
    casebook_init.add_argument("--key", required=True, metavar="KEYFILE")
    casebook_init.add_argument(
        "--replace", action="store_true", help="replace a damaged or lost casebook by an empty one (see the guide)"
    )
    casebook_init.set_defaults(handler="casebook:cmd_casebook_init")
    casebook_show = casebook_commands.add_parser("show", help="what the casebook holds")
    casebook_show.add_argument("--key", required=True, metavar="KEYFILE")
    casebook_show.set_defaults(handler="casebook:cmd_casebook_show")

    org = commands.add_parser("org", help="the organisation's root key and its signed reviewer list")
    org_commands = org.add_subparsers(dest="org_command", metavar="COMMAND", required=True)
    org_keygen = org_commands.add_parser("keygen", help="make the organisation key: DIR/org.key and DIR/org.pub")
    org_keygen.add_argument("--name", required=True, help="the organisation's name")
    org_keygen.add_argument("--dir", required=True)
    _add_kdf(org_keygen)
    org_keygen.set_defaults(handler="keys:cmd_org_keygen")
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
    org_sign.set_defaults(handler="org:cmd_org_sign")
    return parser
