"""Structure vectors the Python reference does not meet yet, each with the reason.

The vector states the normative rule (docs/format.md); crypto/ is changed to match it,
then its entry here is removed. tests/vectors/test_structures.py marks these xfail
(not strict: a fixed one shows as XPASS in `pytest -rX`), and
`python -m tests.vectors.generate_structures --check` names every entry that passes.
"""

KNOWN_DISAGREEMENTS: dict[str, str] = {
    # §8 replies
    "reply/not-a-recipient": (
        "docs/format.md §8: the signer must be a recipient of the case; crypto/ has no public function for "
        "it (make_reply checks it when writing, the portal when accepting); proposed: "
        "crypto.reply.check_recipient(statement, case_recipient_key_ids) raising BindingError"
    ),
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
