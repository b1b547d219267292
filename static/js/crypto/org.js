// The organisation-signed reviewer list (§5, crypto/org.py).

import { FormatError, IdentityError, LimitError, SequenceError, SignatureError, UnsupportedVersionError } from "./errors.js";
import { checkLabel, codePointLength, isWellFormed, pyStrip } from "./text.js";
import { ascii, concatBytes, isDay } from "./bytes.js";
import { isJsonInteger, JsonReader } from "./strict-json.js";
import { normaliseFingerprint, WORD_INDEX } from "./wordlist.js";
import { parseOrgIdentity, parsePublicIdentity, verifySignature } from "./identity.js";

const LIST_CONTEXT = ascii("candour/v1 reviewer list\0");
const MAX_LIST_BYTES = 1 << 20;
const MAX_REVIEWERS = 1000;
const MAX_DISPLAY_NAME_CHARS = 200; // crypto/org.py: as in the export bundle
const MAX_ROLE_CHARS = 200;
const MAX_LINE_CHARS = 1000;
const MAX_SERIAL = 2 ** 53 - 1; // above it two serials could compare equal here
const LIST_KEYS = ["format", "version", "org", "body", "signature"];
const BODY_KEYS = ["organisation", "serial", "issued", "reviewers"];
const ENTRY_KEYS = ["identity", "display_name", "role", "required"];
// Read like §7–§10 (crypto/org.py): duplicate keys, NaN, floats for integers and
// unknown keys are refused, so this reader and Python's never see two different lists.
const LIST_READER = new JsonReader("the reviewer list");
const BODY_READER = new JsonReader("the reviewer list body");
const MAX_ORGANISATION_CHARS = 200;

// Names and roles follow the one text rule (crypto/text.py): no control or format
// character (a right-to-left override could make one reviewer's name read as another's)
// and no white space at either end.
function listText(value, what, maxChars, allowEmpty) {
  if (typeof value !== "string") throw new FormatError(`the reviewer list's ${what} must be text`);
  if (codePointLength(value) > maxChars) throw new LimitError(`the reviewer list's ${what} is longer than ${maxChars} characters`);
  // A lone surrogate (a "\ud800" escape): Python refuses it (it cannot be UTF-8), so must we.
  if (!isWellFormed(value)) throw new FormatError(`the reviewer list's ${what} contains an invalid Unicode escape`);
  if (!allowEmpty && pyStrip(value) === "") throw new FormatError(`the reviewer list's ${what} is empty`);
  return checkLabel(value, { field: `reviewer list's ${what}`, maxChars, allowEmpty });
}

/**
 * Check a signed reviewer list (reviewers.signed.json) as crypto.org.verify_reviewer_list does.
 * @param {Uint8Array} data the file's bytes
 * @param {string|null} [expectedOrgFingerprint] six words, when the page knows them
 * @returns {{org: object, organisation: string, serial: number, issued: string,
 *   reviewers: {identity: object, displayName: string, role: string, required: boolean, keyIdHex: string}[]}}
 * @throws {FormatError|LimitError|UnsupportedVersionError|IdentityError|SignatureError}
 */
export function verifyReviewerList(data, expectedOrgFingerprint = null) {
  const document = LIST_READER.loads(data, MAX_LIST_BYTES);
  if (!(document instanceof Map)) throw new FormatError("the reviewer list is not a JSON object");
  if (document.get("format") !== "candour-reviewer-list") {
    throw new FormatError("this is not a signed reviewer list (its format is not 'candour-reviewer-list')");
  }
  const version = document.get("version");
  if (!isJsonInteger(version)) throw new FormatError(`the reviewer list's version must be an integer, not ${String(version)}`);
  if (Number(version) !== 1) throw new UnsupportedVersionError(`this reviewer list is version ${String(version)}; this tool reads version 1`);
  LIST_READER.obj(document, "the file", LIST_KEYS);
  LIST_READER.text(document.get("org"), "'org'", MAX_LINE_CHARS);
  const org = parseOrgIdentity(document.get("org"));
  if (expectedOrgFingerprint !== null && expectedOrgFingerprint !== undefined) {
    const expected = normaliseFingerprint(expectedOrgFingerprint);
    const words = expected.split(" ");
    if (words.length !== 6 || words.some((word) => !WORD_INDEX.has(word))) {
      throw new IdentityError("the expected organisation fingerprint must be six words from the word list");
    }
    if (org.fingerprint !== expected) {
      throw new SignatureError(`the reviewer list is signed by an organisation key with fingerprint '${org.fingerprint}', not the expected '${expected}': do not use it`);
    }
  }
  const body = LIST_READER.raw(document.get("body"), "'body'", { maxBytes: MAX_LIST_BYTES });
  const signature = LIST_READER.raw(document.get("signature"), "'signature'", { byteCount: 64 });
  if (!verifySignature(signature, concatBytes(LIST_CONTEXT, body), org.signPublicKey)) {
    throw new SignatureError("the reviewer list's signature does not verify with its organisation key: it was altered");
  }
  return parseListBody(org, body);
}

function parseListBody(org, body) {
  const content = BODY_READER.loads(body);
  BODY_READER.obj(content, "the body", BODY_KEYS);
  // Outside 1..2^53 - 1, either way, is LimitError (§1.2).
  const serial = BODY_READER.integer(content.get("serial"), "the serial number", 1, MAX_SERIAL);
  const organisation = listText(content.get("organisation"), "organisation name", MAX_ORGANISATION_CHARS, false);
  const issued = content.get("issued");
  if (!isDay(issued)) throw new FormatError("the reviewer list's issue day is not a YYYY-MM-DD date");
  const rawEntries = content.get("reviewers");
  if (!Array.isArray(rawEntries)) throw new FormatError("the reviewer list's 'reviewers' must be a list");
  if (rawEntries.length > MAX_REVIEWERS) throw new LimitError(`a reviewer list holds at most ${MAX_REVIEWERS} reviewers`);
  const entries = rawEntries.map((raw, index) => {
    const position = index + 1;
    BODY_READER.obj(raw, `reviewer ${position} in the list`, ENTRY_KEYS);
    BODY_READER.text(raw.get("identity"), `reviewer ${position}'s identity line`, MAX_LINE_CHARS);
    let identity;
    try {
      identity = parsePublicIdentity(raw.get("identity"));
    } catch (error) {
      if (error instanceof IdentityError) throw new IdentityError(`reviewer ${position} in the list: ${error.message}`);
      throw error;
    }
    return { identity, displayName: raw.get("display_name"), role: raw.get("role"), required: raw.get("required"), keyIdHex: identity.keyIdHex };
  });
  const seen = new Map();
  for (const entry of entries) {
    listText(entry.displayName, "display name", MAX_DISPLAY_NAME_CHARS, false);
    listText(entry.role, "role", MAX_ROLE_CHARS, true);
    if (typeof entry.required !== "boolean") throw new FormatError("a reviewer's 'required' flag must be true or false");
    if (seen.has(entry.keyIdHex)) {
      throw new FormatError(`the same reviewer key (key id ${entry.keyIdHex}) is listed twice: as '${seen.get(entry.keyIdHex)}' and as '${entry.displayName}'`);
    }
    seen.set(entry.keyIdHex, entry.displayName);
  }
  return { org, organisation, serial: Number(serial), issued, reviewers: entries, body };
}

/**
 * The no-rollback rule of §5 for a holder that loads lists (crypto.org.check_newer_list):
 * refuse a list whose serial is not greater than `loadedSerial`, the highest loaded before.
 * (A reporter's page checks `list.serial >= data-min-list-serial` instead: the list it is
 * served is the one the portal loaded, so an equal serial is the expected one there.)
 * @throws {SequenceError}
 */
export function checkNewerList(list, loadedSerial) {
  if (list.serial <= loadedSerial) {
    throw new SequenceError(`this list has serial ${list.serial}, but serial ${loadedSerial} is already loaded: only a newer list can replace it`);
  }
}

/**
 * Key id (hex) → identity, for `classifyReplies`, from a verified list.
 * @returns {Map<string, object>}
 */
export function knownReviewersFromList(list) {
  return new Map(list.reviewers.map((entry) => [entry.keyIdHex, entry.identity]));
}
