// The reporter's keys, for this visit only (issue 12).
//
// The login token is never kept: it is sent once, at login, and forgotten. The reply and
// signing keys are held in memory and, so the next page of the same visit can use them,
// in sessionStorage sealed with crypto_secretbox under the page's storage key (which the
// portal keeps in memory for the visit and forgets at Leave or expiry). Chromium writes
// sessionStorage into the profile for session restore; what it writes there is only
// ciphertext. Without a storage key the keys never leave this page's memory.
//
// The storage key is the page's `data-storage-key` (base64url, 32 bytes), read each time
// (a codename login may replace it: browser-common.js logInWithToken).

import * as c from "./candour-crypto.js";

// The same name early-guard.js removes on Leave, before any module has run.
const KEYS_ITEM = "candour-reporter-keys";

let keysInMemory = null;

function storageKeyBytes() {
  const encoded = globalThis.document?.getElementById("candour-browser")?.dataset.storageKey;
  if (!encoded) return null;
  try {
    const key = c.unb64u(encoded);
    return key.length === 32 ? key : null;
  } catch {
    return null;
  }
}

function keysFromSeeds(caseId, replySecretKey, signSeed, extra = {}) {
  const s = globalThis.sodium;
  const signing = s.crypto_sign_seed_keypair(signSeed);
  return {
    caseId,
    keys: {
      replySecretKey,
      replyPublicKey: s.crypto_scalarmult_base(replySecretKey),
      signSeed,
      signPublicKey: signing.publicKey,
      signSecretKey: signing.privateKey,
    },
    recipients: Array.isArray(extra.recipients) ? extra.recipients.map(String) : null,
    seen: extra.seen && typeof extra.seen === "object" ? extra.seen : {},
  };
}

function writeStored(record) {
  const key = storageKeyBytes();
  if (key === null) {
    clearStoredOnly();
    return;
  }
  const s = globalThis.sodium;
  const plain = c.utf8(
    JSON.stringify({
      case: record.caseId,
      replySecretKey: c.b64u(record.keys.replySecretKey),
      signSeed: c.b64u(record.keys.signSeed),
      recipients: record.recipients,
      seen: record.seen,
    }),
  );
  const nonce = s.randombytes_buf(s.crypto_secretbox_NONCEBYTES);
  const sealed = s.crypto_secretbox_easy(plain, nonce, key);
  try {
    sessionStorage.setItem(KEYS_ITEM, c.b64u(c.concatBytes(nonce, sealed)));
  } catch {
    // storage disabled: the keys stay in this page's memory only
  }
}

function clearStoredOnly() {
  try {
    sessionStorage.removeItem(KEYS_ITEM);
  } catch {
    // storage disabled: nothing was kept
  }
}

/**
 * Keep the reporter's keys for this visit (never the login token).
 * @param {string} caseId @param {object} keys from deriveReporterKeys
 * @param {string[]|null} [recipients] key ids (hex) the report was sealed to on this device
 */
export function saveKeys(caseId, keys, recipients = null) {
  keysInMemory = keysFromSeeds(caseId, keys.replySecretKey, keys.signSeed, { recipients });
  writeStored(keysInMemory);
}

/** Remember per reviewer the highest reply number verified in this visit (truncation check). */
export function rememberSeen(seen) {
  if (!keysInMemory) return;
  keysInMemory.seen = seen;
  writeStored(keysInMemory);
}

/**
 * The keys kept for this visit, or null: from memory, or unwrapped from sessionStorage
 * with the page's storage key (a record that does not open is dropped).
 * @returns {{caseId: string, keys: object, recipients: string[]|null, seen: object}|null}
 */
export function loadKeys() {
  if (keysInMemory) return keysInMemory;
  let raw = null;
  try {
    raw = sessionStorage.getItem(KEYS_ITEM);
  } catch {
    return null;
  }
  if (!raw) return null;
  const key = storageKeyBytes();
  try {
    if (key === null) throw new Error("no storage key");
    const s = globalThis.sodium;
    const bytes = c.unb64u(raw);
    const nonce = bytes.subarray(0, s.crypto_secretbox_NONCEBYTES);
    const plain = s.crypto_secretbox_open_easy(bytes.subarray(s.crypto_secretbox_NONCEBYTES), nonce, key);
    const record = JSON.parse(new TextDecoder().decode(plain));
    if (!record || typeof record.case !== "string") throw new Error("not a key record");
    keysInMemory = keysFromSeeds(record.case, c.unb64u(record.replySecretKey), c.unb64u(record.signSeed), record);
    return keysInMemory;
  } catch {
    clearStoredOnly(); // another visit's (or a tampered) record: it opens nothing here
    return null;
  }
}

export function clearKeys() {
  keysInMemory = null;
  clearStoredOnly();
}
