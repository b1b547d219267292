"""Structure vectors the Python reference does not meet yet, each with the reason.

The vector states the normative rule (docs/format.md); crypto/ is changed to match it,
then its entry here is removed. tests/vectors/test_structures.py marks these xfail
(not strict: a fixed one shows as XPASS in `pytest -rX`), and
`python -m tests.vectors.generate_structures --check` names every entry that passes.
"""

_SUBMISSION_TEXT_RULE = (
    "docs/format.md §1.3/§7: report fields and attachment names follow the text rules; "
    "crypto/submission.py reads them with JsonReader.text, which checks only length and surrogates"
)
_REPLY_TEXT_RULE = (
    "docs/format.md §1.3/§8: reply text is multi-line text (LF only among Cc; no Cf, Zl, Zp); "
    "crypto/reply.py parse_body checks only length and surrogates"
)

KNOWN_DISAGREEMENTS: dict[str, str] = {
    # §7 submissions
    "submission/category-rlo": _SUBMISSION_TEXT_RULE,
    "submission/what-carriage-return": _SUBMISSION_TEXT_RULE,
    "submission/attachment-name-empty": (
        "docs/format.md §7: an attachment name is 1..255 characters; _parse_manifest accepts an empty name"
    ),
    "submission/attachment-name-rlo": _SUBMISSION_TEXT_RULE,
    # §8 replies
    "reply/not-a-recipient": (
        "docs/format.md §8: the signer must be a recipient of the case; crypto/ has no public function for "
        "it (make_reply checks it when writing, the portal when accepting); proposed: "
        "crypto.reply.check_recipient(statement, case_recipient_key_ids) raising BindingError"
    ),
    "reply/status-name-not-identifier": (
        "docs/format.md §14 (replies): status and outcome names are 1..64 characters of a-z, 0-9 and _ "
        "starting with a letter; parse_statement checks only the length"
    ),
    "reply/text-carriage-return": _REPLY_TEXT_RULE,
    "reply/text-rlo": _REPLY_TEXT_RULE,
    # §10 export bundles
    "bundle/reply-member-other-seq": (
        "docs/format.md §14 (replies, bundles): a reply member's '<key id>-<seq>' must be its statement's; "
        "crypto/bundle.py _parse_case checks only that the member is under the reply's case"
    ),
    "bundle/display-name-rlo": (
        "docs/format.md §1.3/§14 (bundles): the manifest's display names and roles are labels; "
        "crypto/bundle.py reads them with JsonReader.text (length and surrogates only)"
    ),
}
