"""Every failure the crypto package reports.

Each error carries a message a person can act on; the CLI prints it on one line.
Catch `CandourError` to handle them all.
"""


class CandourError(Exception):
    """Base class for every failure in `crypto`."""


class FormatError(CandourError):
    """The bytes are not a well-formed Candour object (checked before any cryptography)."""


class UnsupportedVersionError(FormatError):
    """The magic matched but the version or suite is one this tool does not know."""


class TextError(FormatError, ValueError):
    """A name, label or text contains a control or formatting character, or breaks a text rule.

    Also a `ValueError`, so code outside the kit that validates form input can catch it
    without knowing the kit's error tree. The rule is `crypto.text`'s.
    """


class LimitError(FormatError):
    """A count or size is outside the caps the format allows."""


class TruncatedError(FormatError):
    """The input ended before the object was complete."""


class TruncatedPayloadError(TruncatedError):
    """An envelope ended inside its payload, after a header that verified.

    A subclass so that callers catching `TruncatedError` still see it, while a reader
    can tell a damaged transfer of verified content from a header that never parsed.
    """


class TrailingDataError(FormatError):
    """There are bytes after the end of the object."""


class NotARecipientError(CandourError):
    """None of the envelope's recipient stanzas opens with this key."""


class HeaderMacError(CandourError):
    """The header was altered, or different recipients were given different keys."""


class PayloadError(CandourError):
    """A payload chunk failed authentication: altered, reordered, dropped or grafted."""


class PaddingError(CandourError):
    """The decrypted payload does not end in valid padding."""


class KeyFileError(CandourError):
    """A private key file is unreadable or not a Candour key file."""


class WrongPassphraseError(KeyFileError):
    """The passphrase does not open the private key file."""


class IdentityError(CandourError):
    """A public identity or organisation key string is malformed or its signature fails."""


class CodenameError(CandourError):
    """A codename is not eight words from the list."""


class SignatureError(CandourError):
    """A signature does not verify, or the signer is not a known reviewer."""


class BindingError(CandourError):
    """A signed statement verifies but belongs to another case, reporter or reviewer."""


class SequenceError(CandourError):
    """A reply is replayed, out of order, or follows a missing reply."""


class BundleError(CandourError):
    """An export bundle is malformed, incomplete or made for another reviewer."""


class ReplyFileError(CandourError):
    """A reply file is malformed."""
