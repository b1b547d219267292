// Candour's browser cryptography: docs/format.md, byte for byte, with libsodium.js (sumo).
//
// This file only gathers the public names of the modules in static/js/crypto/, one per job
// as in the Python reference crypto/ (errors, text, bytes, kdf, strict-json, padding,
// wordlist, envelope, identity, org, codename, submission, recipients, reply), so a page can
// `import * as c from "./candour-crypto.js"`. Both implementations are checked against
// tests/vectors/ and against each other (tests/js/, tests/js/test_js_interop.py).
//
// Load order in a page: the vendored libsodium sumo scripts (classic, with integrity), then
// the page module, whose imports the portal preloads with their hashes (computed from the
// import graph: portal/static_integrity.py). Call `await ready()` once before anything
// else. No eval, no inline script, no dependency but libsodium; runs in Chromium and
// Firefox ESR 128+ (Tor Browser).

export { CandourError, FormatError, TextError, UnsupportedVersionError, LimitError, TruncatedError, TruncatedPayloadError, TrailingDataError, NotARecipientError, HeaderMacError, PayloadError, PaddingError, IdentityError, CodenameError, SignatureError, BindingError, SequenceError } from "./crypto/errors.js";
export { ready, browserSealingSupported } from "./crypto/sodium.js";
export { isForbiddenChar, checkLabel, checkMultiline, expandTabs, TAB_STOP, isWellFormed, codePointLength, pyStrip, pySplit, pySplitLines } from "./crypto/text.js";
export { utf8, concatBytes, bytesEqual, b64u, unb64u, toHex, fromHex, isHex, isDay, utcDay } from "./crypto/bytes.js";
export { hash256, keyedHash256, subkey } from "./crypto/kdf.js";
export { JsonFloat, parseJson, JsonReader, dumpsCompact } from "./crypto/strict-json.js";
export { MIN_PADDED_SIZE, padme, paddedSize, pad, unpad, StreamingUnpadder } from "./crypto/padding.js";
export { bitsToWords, normaliseFingerprint } from "./crypto/wordlist.js";
export { SUBMISSION_ID_BYTES, KEY_ID_BYTES, MAX_STANZAS, MAX_PARTS, CHUNK_SIZE, MAX_PADDED_PART_SIZE, headerSize, sealedSize, newSubmissionId } from "./crypto/envelope.js";
export { EnvelopeSealer, sealBytes, BlobCollector, sealFile } from "./crypto/envelope-seal.js";
export { readHeader, openEnvelope } from "./crypto/envelope-open.js";
export { makeReviewerIdentity, parsePublicIdentity, reviewerKeysFromSeed, orgKeysFromSeed, parseOrgIdentity } from "./crypto/identity.js";
export { verifyReviewerList, checkNewerList, knownReviewersFromList } from "./crypto/org.js";
export { CODENAME_WORDS, CODENAME_VERSION, CODENAME_VERSIONS, generateCodename, typedWords, codenameProblems, normaliseCodename, deriveMasterKey, reporterKeysFromMaster, deriveReporterKeys } from "./crypto/codename.js";
export { MAX_FIELD_CHARS, MAX_MANIFEST_BYTES, MAX_ATTACHMENTS, checkFields, attachmentInfoFromSealed, buildManifest, sealSubmissionTextPart, sealSubmission } from "./crypto/submission.js";
export { recipientsStatement, signRecipients, verifyRecipients } from "./crypto/recipients.js";
export { parseStatement, parseReplyBody, verifyStatementSignature, checkRecipient, checkReplyBinding, checkSequence, openReplyForReporter, classifyReplies } from "./crypto/reply.js";
