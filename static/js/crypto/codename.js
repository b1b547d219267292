// Codenames and the reporter's keys (§6, crypto/codename.py).

import { WORDLIST } from "../wordlist-english.js";
import { CodenameError, UnsupportedVersionError } from "./errors.js";
import { na } from "./sodium.js";
import { ascii, concatBytes } from "./bytes.js";
import { keyedHash256, subkey } from "./kdf.js";
import { foldTyped, WORD_INDEX } from "./wordlist.js";

export const CODENAME_WORDS = 8;
const INSTANCE_SALT_BYTES = 16;
const ARGON2_OPSLIMIT = 2;
const ARGON2_MEMLIMIT = 64 * 1024 * 1024;
/** What new cases get; version 1 (Argon2id) is still derivable for older cases. */
export const CODENAME_VERSION = 2;
export const CODENAME_VERSIONS = Object.freeze([1, 2]);
const LABEL_MASTER_V2 = "candour/v2 codename master";

/** Eight words drawn uniformly from the list (88 bits) with libsodium's CSPRNG. */
export function generateCodename() {
  const s = na();
  const words = [];
  for (let i = 0; i < CODENAME_WORDS; i += 1) words.push(WORDLIST[s.randombytes_uniform(WORDLIST.length)]);
  return words.join(" ");
}

/**
 * The words of what a person typed, folded as the normal form folds them (crypto/codename.py typed_words).
 * @param {string} text @returns {string[]}
 */
export function typedWords(text) {
  // §6: only space, tab, LF, CR and -,.;: separate words (not everything Python's split() or \s does).
  return text.normalize("NFKC").toLowerCase().split(/[ \t\n\r\-,.;:]+/).filter((word) => word !== "");
}

/**
 * Everything wrong with a typed codename (crypto/codename.py codename_problems): [] when it
 * is one and, given the normal form `expected`, that one. Each problem is
 * {kind: "empty"|"count"|"unknown"|"differs", position, word, count}; `word` is what was
 * typed, never the expected word.
 * @param {string} text @param {string|null} [expected] @returns {Array<object>}
 */
export function codenameProblems(text, expected = null) {
  const typed = typedWords(text);
  if (typed.length === 0) return [{ kind: "empty", position: 0, word: "", count: 0 }];
  const problems = [];
  if (typed.length !== CODENAME_WORDS) problems.push({ kind: "count", position: 0, word: "", count: typed.length });
  typed.forEach((word, i) => {
    if (!WORD_INDEX.has(word)) problems.push({ kind: "unknown", position: i + 1, word, count: 0 });
  });
  if (problems.length || expected === null) return problems;
  const wanted = expected.split(" ");
  return typed.flatMap((word, i) => (word === wanted[i] ? [] : [{ kind: "differs", position: i + 1, word, count: 0 }]));
}

/**
 * Accept what a person types (any case, extra spaces, dashes or commas between words).
 * @param {string} text @returns {string} the normal form: eight list words, one space apart
 * @throws {CodenameError}
 */
export function normaliseCodename(text) {
  const typed = typedWords(text);
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
 * Version 2 (new cases): master = H_salt("candour/v2 codename master" ‖ 0x00 ‖ normal form),
 * BLAKE2b-256 keyed with the instance salt; microseconds, and no sumo-only function.
 * Version 1 (older cases): master = Argon2id13(normal form, instance salt, opslimit 2,
 * memlimit 64 MiB, 32 bytes); ~0.1–0.4 s and 64 MiB of memory, and needs the sumo build.
 * @param {string} codename @param {Uint8Array} instanceSalt 16 bytes @param {number} [version]
 * @returns {Uint8Array}
 */
export function deriveMasterKey(codename, instanceSalt, version = CODENAME_VERSION) {
  if (!(instanceSalt instanceof Uint8Array) || instanceSalt.length !== INSTANCE_SALT_BYTES) {
    throw new RangeError(`the instance salt is ${INSTANCE_SALT_BYTES} bytes`);
  }
  const normalForm = ascii(normaliseCodename(codename));
  if (version === 2) {
    return keyedHash256(instanceSalt, concatBytes(ascii(LABEL_MASTER_V2), new Uint8Array([0]), normalForm));
  }
  if (version === 1) {
    const s = na();
    if (typeof s.crypto_pwhash !== "function") {
      throw new Error(
        "this page loaded the libsodium.js build without crypto_pwhash, which version 1 codenames need: " +
          "the portal serves the sumo build where a version 1 case exists; reload the page",
      );
    }
    return s.crypto_pwhash(32, normalForm, instanceSalt, ARGON2_OPSLIMIT, ARGON2_MEMLIMIT, s.crypto_pwhash_ALG_ARGON2ID13);
  }
  throw new UnsupportedVersionError(
    `codename derivation version ${version} is unknown; this tool derives versions ${CODENAME_VERSIONS.join(" and ")}`,
  );
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

/** Codename + instance salt → reporter keys (version 2 by default; version 1 is one Argon2id). */
export function deriveReporterKeys(codename, instanceSalt, version = CODENAME_VERSION) {
  return reporterKeysFromMaster(deriveMasterKey(codename, instanceSalt, version));
}
