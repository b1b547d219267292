// Codenames and the reporter's keys (§6, crypto/codename.py).

import { WORDLIST } from "../wordlist-english.js";
import { CodenameError } from "./errors.js";
import { na } from "./sodium.js";
import { ascii } from "./bytes.js";
import { subkey } from "./kdf.js";
import { WORD_INDEX } from "./wordlist.js";

export const CODENAME_WORDS = 8;
const INSTANCE_SALT_BYTES = 16;
const ARGON2_OPSLIMIT = 2;
const ARGON2_MEMLIMIT = 64 * 1024 * 1024;

/** Eight words drawn uniformly from the list (88 bits) with libsodium's CSPRNG. */
export function generateCodename() {
  const s = na();
  const words = [];
  for (let i = 0; i < CODENAME_WORDS; i += 1) words.push(WORDLIST[s.randombytes_uniform(WORDLIST.length)]);
  return words.join(" ");
}

/**
 * Accept what a person types (any case, extra spaces, dashes or commas between words).
 * @param {string} text @returns {string} the normal form: eight list words, one space apart
 * @throws {CodenameError}
 */
export function normaliseCodename(text) {
  // §6: only space, tab, LF, CR and -,.;: separate words (not everything Python's split() or \s does).
  const typed = text.normalize("NFKC").toLowerCase().split(/[ \t\n\r\-,.;:]+/).filter((word) => word !== "");
  if (typed.length !== CODENAME_WORDS) {
    throw new CodenameError(`a codename is ${CODENAME_WORDS} words; you entered ${typed.length}. Check it and try again`);
  }
  const unknown = typed.filter((word) => !WORD_INDEX.has(word));
  if (unknown.length === 1) {
    throw new CodenameError(`'${unknown[0]}' is not a codename word. Check the spelling of each word and try again`);
  }
  if (unknown.length) {
    throw new CodenameError(`${unknown.length} of the words are not codename words. Check the spelling and try again`);
  }
  return typed.join(" ");
}

/**
 * master = Argon2id13(normal form, instance salt, opslimit 2, memlimit 64 MiB, 32 bytes).
 * Takes ~0.1–0.4 s and 64 MiB of memory.
 * @param {string} codename @param {Uint8Array} instanceSalt 16 bytes @returns {Uint8Array}
 */
export function deriveMasterKey(codename, instanceSalt) {
  if (!(instanceSalt instanceof Uint8Array) || instanceSalt.length !== INSTANCE_SALT_BYTES) {
    throw new RangeError(`the instance salt is ${INSTANCE_SALT_BYTES} bytes`);
  }
  const s = na();
  return s.crypto_pwhash(32, ascii(normaliseCodename(codename)), instanceSalt, ARGON2_OPSLIMIT, ARGON2_MEMLIMIT, s.crypto_pwhash_ALG_ARGON2ID13);
}

/**
 * The reporter's keys from the master key: login token, X25519 reply key, Ed25519 key.
 * @returns {{loginToken: Uint8Array, replySecretKey: Uint8Array, replyPublicKey: Uint8Array,
 *   signSeed: Uint8Array, signPublicKey: Uint8Array, signSecretKey: Uint8Array}}
 */
export function reporterKeysFromMaster(master) {
  const s = na();
  const replySecretKey = subkey(master, "candour/v1 reporter reply box");
  const signSeed = subkey(master, "candour/v1 reporter sign");
  const signing = s.crypto_sign_seed_keypair(signSeed);
  return {
    loginToken: subkey(master, "candour/v1 login"),
    replySecretKey,
    replyPublicKey: s.crypto_scalarmult_base(replySecretKey),
    signSeed,
    signPublicKey: signing.publicKey,
    signSecretKey: signing.privateKey,
  };
}

/** Codename + instance salt → reporter keys (one Argon2id). */
export function deriveReporterKeys(codename, instanceSalt) {
  return reporterKeysFromMaster(deriveMasterKey(codename, instanceSalt));
}
