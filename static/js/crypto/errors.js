// Error classes, one per kind of failure (crypto/errors.py).

/** Base class for every failure this module reports (crypto.errors.CandourError). */
export class CandourError extends Error {
  constructor(message) {
    super(message);
    this.name = "CandourError";
  }
}
/** The bytes are not a well-formed Candour object. */
export class FormatError extends CandourError {
  constructor(message) { super(message); this.name = "FormatError"; }
}
/** Text that breaks the control/format character rule (crypto/text.py). */
export class TextError extends FormatError {
  constructor(message) { super(message); this.name = "TextError"; }
}
/** Another version or suite. */
export class UnsupportedVersionError extends FormatError {
  constructor(message) { super(message); this.name = "UnsupportedVersionError"; }
}
/** A count or size outside the caps. */
export class LimitError extends FormatError {
  constructor(message) { super(message); this.name = "LimitError"; }
}
/** The input ended before the object was complete. */
export class TruncatedError extends FormatError {
  constructor(message) { super(message); this.name = "TruncatedError"; }
}
/** An envelope ended inside its payload, after a header that verified. */
export class TruncatedPayloadError extends TruncatedError {
  constructor(message) { super(message); this.name = "TruncatedPayloadError"; }
}
/** Bytes after the end of the object. */
export class TrailingDataError extends FormatError {
  constructor(message) { super(message); this.name = "TrailingDataError"; }
}
/** No stanza has this key id, or none opens. */
export class NotARecipientError extends CandourError {
  constructor(message) { super(message); this.name = "NotARecipientError"; }
}
/** The header MAC does not verify. */
export class HeaderMacError extends CandourError {
  constructor(message) { super(message); this.name = "HeaderMacError"; }
}
/** A chunk fails authentication or carries an unknown tag. */
export class PayloadError extends CandourError {
  constructor(message) { super(message); this.name = "PayloadError"; }
}
/** Padding invalid after decryption. */
export class PaddingError extends CandourError {
  constructor(message) { super(message); this.name = "PaddingError"; }
}
/** A public line is malformed or its self-signature fails. */
export class IdentityError extends CandourError {
  constructor(message) { super(message); this.name = "IdentityError"; }
}
/** A codename is not eight list words. */
export class CodenameError extends CandourError {
  constructor(message) { super(message); this.name = "CodenameError"; }
}
/** A signature does not verify, or the signer is unknown. */
export class SignatureError extends CandourError {
  constructor(message) { super(message); this.name = "SignatureError"; }
}
/** A signed object belongs to another case, reporter, reviewer or part. */
export class BindingError extends CandourError {
  constructor(message) { super(message); this.name = "BindingError"; }
}
/** A reply replayed, out of order, or after a gap. */
export class SequenceError extends CandourError {
  constructor(message) { super(message); this.name = "SequenceError"; }
}
