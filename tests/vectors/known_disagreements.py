"""Structure vectors the Python reference does not meet yet, each with the reason.

The vector states the normative rule (docs/format.md); crypto/ is changed to match it,
then its entry here is removed. tests/vectors/test_structures.py marks these xfail
(not strict: a fixed one shows as XPASS in `pytest -rX`), and
`python -m tests.vectors.generate_structures --check` names every entry that passes.
"""

_NAME_RULE = (
    "docs/format.md §1.3: names refuse every character of category Cc, Cf, Zl, Zp, Cs; "
    "crypto/identity.py _name_bytes refuses only U+0000–U+001F"
)
_LINE_RULE = (
    "docs/format.md §4.2: only LF (optionally after CR) ends a .pub line and only spaces and tabs are "
    "trimmed; parse_public_identity uses str.splitlines() and str.strip(), which also split on "
    "U+000B/U+000C/U+001C–U+001E/U+0085/U+2028/U+2029 and strip U+00A0 and others"
)
_SEPARATOR_RULE = (
    "docs/format.md §6: codename words are separated only by space, tab, CR, LF and -,.;: after NFKC; "
    "normalise_codename uses str.split(), which also splits on U+000B, U+000C, U+001C–U+001F, U+0085, "
    "U+2028, U+2029"
)
_LABEL_RULE = (
    "docs/format.md §1.3: single-line fields refuse Cc, Cf, Zl, Zp, Cs; crypto/org.py _check_text "
    "refuses only Cc and Cs"
)
_SUBMISSION_TEXT_RULE = (
    "docs/format.md §1.3/§7: report fields and attachment names follow the text rules; "
    "crypto/submission.py reads them with JsonReader.text, which checks only length and surrogates"
)
_REPLY_TEXT_RULE = (
    "docs/format.md §1.3/§8: reply text is multi-line text (LF only among Cc; no Cf, Zl, Zp); "
    "crypto/reply.py parse_body checks only length and surrogates"
)

KNOWN_DISAGREEMENTS: dict[str, str] = {
    # §4 key files
    "keyfile/sealed-seed-short": (
        "docs/format.md §4.3: sealed_seed is exactly 48 bytes (KeyFileError otherwise); load_private_key "
        "hands any length to SecretBox.decrypt and reports WrongPassphraseError"
    ),
    "keyfile/duplicate-key": (
        "docs/format.md §4.3: key files are read strictly (no duplicate keys); _read_key_document uses "
        "json.loads, which keeps the last 'nonce', so the file fails as a wrong passphrase"
    ),
    "keyfile/extra-key": ("docs/format.md §4.3: exactly the keys shown; _read_key_document ignores unknown keys"),
    "keyfile/memlimit-not-kib": (
        "docs/format.md §4.3: memlimit is a multiple of 1,024; load_private_key accepts any value in range"
    ),
    # §4 identity lines
    "identity/nbsp-before": _LINE_RULE,
    "identity/u2028-separator": _LINE_RULE,
    "identity/vertical-tab-separator": _LINE_RULE,
    "identity/non-canonical-base64": (
        "docs/format.md §1.1: base64url is canonical (unused bits zero); crypto.identity.unb64url decodes "
        "non-canonical text, so two lines name one key (JsonReader.raw checks this; unb64url does not)"
    ),
    "identity/name-control-del": _NAME_RULE,
    "identity/name-control-nel": _NAME_RULE,
    "identity/name-control-csi": _NAME_RULE,
    "identity/name-control-lrm": _NAME_RULE,
    "identity/name-control-rlo": _NAME_RULE,
    "identity/name-control-fsi": _NAME_RULE,
    "identity/name-control-bom": _NAME_RULE,
    "identity/name-control-line-separator": _NAME_RULE,
    "identity/name-control-paragraph-separator": _NAME_RULE,
    "identity/name-control-egyptian-format": (
        _NAME_RULE + "; and U+13439–U+1343F (Cf since Unicode 15.0) are Cn in Python 3.11's Unicode 14 "
        "database, so a category test alone misses them"
    ),
    "identity/box-key-top-bit": (
        "docs/format.md §4.1: an X25519 key is canonical (bit 255 clear, u < p); parse_public_identity "
        "accepts bit 255 set, giving a second key id for the same X25519 key"
    ),
    "identity/box-key-non-canonical": (
        "docs/format.md §4.1: u ≥ 2^255 − 19 is refused; parse_public_identity accepts u = p + 9"
    ),
    # §5 organisation lines and signed lists
    "org/name-rlo": _NAME_RULE,
    "list/rollback-older-serial": (
        "docs/format.md §5: the no-rollback rule has no public function in crypto/ (the portal applies it "
        "inline in portal/admin/views.py); proposed: crypto.org.check_newer_list(signed, loaded_serial) "
        "raising SequenceError"
    ),
    "list/rollback-same-serial": "as list/rollback-older-serial: no crypto.org.check_newer_list yet",
    "list/newer-serial": "as list/rollback-older-serial: no crypto.org.check_newer_list yet",
    "list/serial-zero": (
        "docs/format.md §1.2: an integer outside its range is LimitError; crypto/org.py _parse_body raises "
        "FormatError for serial < 1"
    ),
    "list/display-name-rlo": _LABEL_RULE,
    "list/display-name-lrm": _LABEL_RULE,
    "list/organisation-leading-space": (
        "docs/format.md §1.3: names and labels with white space at either end are refused; _check_text accepts them"
    ),
    # §6 codenames
    "codename/separator-nel": _SEPARATOR_RULE,
    "codename/separator-info-separator": _SEPARATOR_RULE,
    "codename/separator-vertical-tab": _SEPARATOR_RULE,
    "codename/separator-line-separator": _SEPARATOR_RULE,
    # §7 submissions
    "submission/version-2": (
        "docs/format.md §1.2: another version is UnsupportedVersionError; JsonReader.header raises a plain "
        "FormatError for submissions (and replies, bundles, reply files use their own error)"
    ),
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
    "reply/skipped-seq": (
        "docs/format.md §8 (reply sequence, team contract): the portal accepts any seq greater than the last "
        "accepted; check_sequence on this branch still refuses a skip (the kit branch changes it)"
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
