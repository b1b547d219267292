// Reviewer and organisation identities (§4, §5, crypto/identity.py).

import { IdentityError } from "./errors.js";
import { na } from "./sodium.js";
import { isForbiddenChar, pyStrip } from "./text.js";
import { ascii, b64u, concatBytes, strictDecoder, toHex, unb64u, utf8 } from "./bytes.js";
import { hash256, subkey } from "./kdf.js";
import { bitsToWords } from "./wordlist.js";
import { KEY_ID_BYTES } from "./envelope.js";

const REVIEWER_PREFIX = "candour-reviewer-1:";
const ORG_PREFIX = "candour-org-1:";
const MAX_NAME_BYTES = 64;
const FINGERPRINT_WORDS = 6;
const IDENTITY_CONTEXT = ascii("candour/v1 identity\0");
const ORG_CONTEXT = ascii("candour/v1 org identity\0");
const DIGEST_CONTEXT = ascii("candour/v1 identity digest\0");
const ORG_DIGEST_CONTEXT = ascii("candour/v1 org digest\0");

function nameBytes(name) {
  // identity._name_bytes: the name as signed is the stripped name.
  const encoded = utf8(pyStrip(name));
  if (!encoded.length) throw new IdentityError("a key needs a name (for example the reviewer's own name)");
  if (encoded.length > MAX_NAME_BYTES) throw new IdentityError(`a key's name is at most ${MAX_NAME_BYTES} bytes of UTF-8`);
  if ([...name].some(isForbiddenChar)) throw new IdentityError("a key's name cannot contain control characters (nor invisible formatting ones)");
  return encoded;
}

// identity._refuse_padded_name: the signature covers the stripped name, so a name with
// white space at either end would verify too (one key, two valid lines). Refused.
function refusePaddedName(name, what) {
  if (name !== pyStrip(name)) {
    throw new IdentityError(
      `the name in the ${what} starts or ends with white space, which no honest key has: ` +
        "it was altered; ask its owner for the line again",
    );
  }
  if ([...name].some(isForbiddenChar)) {
    throw new IdentityError(
      `the name in the ${what} contains a control or invisible formatting character, which no key made by ` +
        "the kit has: ask its owner for the line again",
    );
  }
}

// A .pub file's lines (§4.2, crypto.identity.identity_file_lines): only LF (optionally after
// CR) ends a line and only spaces and tabs are trimmed; blank lines and # comments are skipped.
function publicLines(text) {
  return text
    .split("\n")
    .map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line).replace(/^[ \t]+|[ \t]+$/g, ""))
    .filter((line) => line !== "" && !line.startsWith("#"));
}

// Canonical base64url only (§1.1): one spelling per byte string, so one key has one line.
function decodeLine(text) {
  try {
    return unb64u(text);
  } catch {
    return null;
  }
}

// X25519 ignores bit 255 and reduces u mod p: only u < 2^255 - 19 (bit 255 clear) is a
// canonical encoding (§4.1, crypto.identity._is_canonical_x25519).
function isCanonicalX25519(publicKey) {
  if (publicKey[31] & 0x80) return false;
  if (publicKey[31] !== 0x7f) return true;
  for (let i = 30; i >= 1; i -= 1) if (publicKey[i] !== 0xff) return true;
  return publicKey[0] < 0xed;
}

export function verifySignature(signature, message, publicKey) {
  try {
    return signature.length === 64 && na().crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

function isLowOrder(publicKey) {
  const scalar = new Uint8Array(32);
  scalar[0] = 1;
  try {
    na().crypto_scalarmult(scalar, publicKey);
  } catch {
    return true;
  }
  return false;
}

/**
 * A reviewer's public identity built from its keys (key id, fingerprint, public line).
 * @returns {{name: string, boxPublicKey: Uint8Array, signPublicKey: Uint8Array,
 *   signature: Uint8Array, digest: Uint8Array, keyId: Uint8Array, keyIdHex: string,
 *   fingerprint: string, line: string}}
 */
export function makeReviewerIdentity(name, boxPublicKey, signPublicKey, signature) {
  const digest = hash256(concatBytes(DIGEST_CONTEXT, boxPublicKey, signPublicKey));
  const encoded = nameBytes(name);
  const line = REVIEWER_PREFIX + b64u(concatBytes(boxPublicKey, signPublicKey, Uint8Array.of(encoded.length), encoded, signature));
  return {
    name,
    boxPublicKey,
    signPublicKey,
    signature,
    digest,
    keyId: digest.slice(0, KEY_ID_BYTES),
    keyIdHex: toHex(digest.subarray(0, KEY_ID_BYTES)),
    fingerprint: bitsToWords(digest, FINGERPRINT_WORDS),
    line,
  };
}

/**
 * Parse a `candour-reviewer-1:` line (the whole content of NAME.pub) and check that it
 * signs itself and its X25519 key is not a low-order point.
 * @param {string} text @throws {IdentityError}
 */
export function parsePublicIdentity(text) {
  const lines = publicLines(text);
  if (lines.length !== 1 || !lines[0].startsWith(REVIEWER_PREFIX)) {
    throw new IdentityError(`a reviewer's public identity is one line starting with '${REVIEWER_PREFIX}'`);
  }
  const blob = decodeLine(lines[0].slice(REVIEWER_PREFIX.length));
  if (blob === null) throw new IdentityError("the public identity is damaged (not valid base64url): copy it again");
  if (blob.length < 32 + 32 + 1 + 1 + 64) throw new IdentityError("the public identity is too short: copy the whole line again");
  const nameEnd = 65 + blob[64];
  if (blob.length !== nameEnd + 64) throw new IdentityError("the public identity has the wrong length: copy the whole line again");
  let name;
  try {
    name = strictDecoder.decode(blob.subarray(65, nameEnd));
  } catch {
    throw new IdentityError("the name in the public identity is not UTF-8");
  }
  refusePaddedName(name, "public identity");
  const boxPublicKey = blob.slice(0, 32);
  const signPublicKey = blob.slice(32, 64);
  const signature = blob.slice(nameEnd);
  const encoded = nameBytes(name);
  const signed = concatBytes(IDENTITY_CONTEXT, boxPublicKey, signPublicKey, Uint8Array.of(encoded.length), encoded);
  if (!verifySignature(signature, signed, signPublicKey)) {
    throw new IdentityError("the public identity's self-signature does not verify: it was altered");
  }
  if (!isCanonicalX25519(boxPublicKey)) {
    throw new IdentityError("the public identity's encryption key is not in its canonical form (top bit set, or not below 2^255 - 19): it was altered");
  }
  if (isLowOrder(boxPublicKey)) throw new IdentityError("the public identity's encryption key is a weak (low-order) point");
  return makeReviewerIdentity(name, boxPublicKey, signPublicKey, signature);
}

/**
 * A reviewer's keys from their 32-byte seed (§4): for tests and the vectors; reviewers'
 * seeds never reach a browser in real use.
 */
export function reviewerKeysFromSeed(name, seed) {
  const s = na();
  const boxSecretKey = subkey(seed, "candour/v1 reviewer box");
  const boxPublicKey = s.crypto_scalarmult_base(boxSecretKey);
  const signing = s.crypto_sign_seed_keypair(subkey(seed, "candour/v1 reviewer sign"));
  const encoded = nameBytes(name);
  const signed = concatBytes(IDENTITY_CONTEXT, boxPublicKey, signing.publicKey, Uint8Array.of(encoded.length), encoded);
  const identity = makeReviewerIdentity(pyStrip(name), boxPublicKey, signing.publicKey, s.crypto_sign_detached(signed, signing.privateKey));
  return { ...identity, boxSecretKey, signSecretKey: signing.privateKey, public: identity };
}

/**
 * The organisation's keys from its 32-byte seed (§5: Ed25519 from the seed directly, no
 * subkey): for tests and the vectors; the organisation's seed never reaches a browser.
 */
export function orgKeysFromSeed(name, seed) {
  const s = na();
  const signing = s.crypto_sign_seed_keypair(seed);
  const encoded = nameBytes(name);
  const signature = s.crypto_sign_detached(concatBytes(ORG_CONTEXT, signing.publicKey, Uint8Array.of(encoded.length), encoded), signing.privateKey);
  return {
    name,
    signPublicKey: signing.publicKey,
    fingerprint: bitsToWords(hash256(concatBytes(ORG_DIGEST_CONTEXT, signing.publicKey)), FINGERPRINT_WORDS),
    line: ORG_PREFIX + b64u(concatBytes(signing.publicKey, Uint8Array.of(encoded.length), encoded, signature)),
  };
}

/**
 * Parse a `candour-org-1:` line and check its self-signature.
 * @returns {{name: string, signPublicKey: Uint8Array, signature: Uint8Array, fingerprint: string, line: string}}
 * @throws {IdentityError}
 */
export function parseOrgIdentity(text) {
  const lines = publicLines(text);
  if (lines.length !== 1 || !lines[0].startsWith(ORG_PREFIX)) {
    throw new IdentityError(`an organisation key is one line starting with '${ORG_PREFIX}'`);
  }
  const blob = decodeLine(lines[0].slice(ORG_PREFIX.length));
  if (blob === null) throw new IdentityError("the organisation key is damaged (not valid base64url)");
  if (blob.length < 32 + 1 + 1 + 64 || blob.length !== 33 + blob[32] + 64) {
    throw new IdentityError("the organisation key has the wrong length: copy the whole line again");
  }
  const nameEnd = 33 + blob[32];
  let name;
  try {
    name = strictDecoder.decode(blob.subarray(33, nameEnd));
  } catch {
    throw new IdentityError("the name in the organisation key is not UTF-8");
  }
  refusePaddedName(name, "organisation key");
  const signPublicKey = blob.slice(0, 32);
  const signature = blob.slice(nameEnd);
  const encoded = nameBytes(name);
  const signed = concatBytes(ORG_CONTEXT, signPublicKey, Uint8Array.of(encoded.length), encoded);
  if (!verifySignature(signature, signed, signPublicKey)) {
    throw new IdentityError("the organisation key's self-signature does not verify: it was altered");
  }
  return {
    name,
    signPublicKey,
    signature,
    fingerprint: bitsToWords(hash256(concatBytes(ORG_DIGEST_CONTEXT, signPublicKey)), FINGERPRINT_WORDS),
    line: lines[0],
  };
}
