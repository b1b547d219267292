// Candour's browser cryptography: docs/format.md, byte for byte, with libsodium.js (sumo).
//
// The Python reference is crypto/; both are checked against tests/vectors/ and against each
// other (tests/js/, tests/test_js_interop.py). Load order in a page:
//   <script src="/static/vendor/libsodium/libsodium-sumo.js" integrity="sha384-…"></script>
//   <script src="/static/vendor/libsodium/libsodium-wrappers-sumo.js" integrity="sha384-…"></script>
//   <script type="module" src="/static/js/your-page.js"></script>   // imports this module
// then `await ready()` once before calling anything else. No eval, no inline script, no
// dependency but libsodium; runs in Chromium and Firefox ESR 128+ (Tor Browser).

import { WORDLIST } from "./wordlist-english.js";

// --- errors (crypto/errors.py) ----------------------------------------------------------

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

// --- libsodium ------------------------------------------------------------------------

let sodium = null;

/**
 * Wait for libsodium and keep it for every other function. Call once, before anything else.
 * @param {object} [instance] the libsodium.js wrappers object (default: `globalThis.sodium`,
 *   set by the vendored UMD scripts).
 * @returns {Promise<object>} the ready libsodium instance
 */
export async function ready(instance = globalThis.sodium) {
  if (!instance || typeof instance !== "object" || !("ready" in instance)) {
    throw new Error("libsodium.js is not loaded: include the vendored sumo scripts before this module");
  }
  await instance.ready;
  if (typeof instance.crypto_pwhash !== "function") {
    throw new Error("this libsodium.js build lacks crypto_pwhash: use the sumo build");
  }
  sodium = instance;
  return instance;
}

/**
 * True when this browser can seal reports itself at a usable speed. Without WebAssembly
 * (Tor Browser "Safer") libsodium.js falls back to plain JS, ~400× slower: use the server path.
 * @returns {boolean}
 */
export function browserSealingSupported() {
  return (
    typeof WebAssembly === "object" &&
    typeof WebAssembly.instantiate === "function" &&
    typeof globalThis.crypto?.getRandomValues === "function" &&
    typeof Blob === "function" &&
    typeof Blob.prototype.arrayBuffer === "function"
  );
}

function na() {
  if (sodium === null) throw new Error("call ready() before using candour-crypto");
  return sodium;
}

// --- bytes, text, encodings (§1) --------------------------------------------------------

const textEncoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /\p{Cs}/u;
// Python's str.isspace() set: what str.split() and str.strip() treat as white space.
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, "u");
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");
// Python's str.splitlines() boundaries.
const PY_LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/u;

/** @param {string} text @returns {boolean} true unless the string holds a lone surrogate */
export function isWellFormed(text) {
  return !LONE_SURROGATE.test(text);
}

/** Number of Unicode code points (Python's len(), not UTF-16 units). @param {string} text */
export function codePointLength(text) {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** UTF-8 bytes of a well-formed string. @param {string} text @returns {Uint8Array} */
export function utf8(text) {
  if (!isWellFormed(text)) throw new FormatError("the text contains invalid Unicode (a lone surrogate)");
  return textEncoder.encode(text);
}

function ascii(text) {
  return textEncoder.encode(text);
}

/** Python's str.strip() with no argument. @param {string} text */
export function pyStrip(text) {
  return text.replace(PY_STRIP, "");
}

/** Python's str.split() with no argument. @param {string} text @returns {string[]} */
export function pySplit(text) {
  return text.split(PY_SPACE_RUN).filter((word) => word !== "");
}

/** Python's str.splitlines(). @param {string} text @returns {string[]} */
export function pySplitLines(text) {
  const lines = text.split(PY_LINE_BREAK);
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Concatenate byte arrays. @param {...Uint8Array} parts @returns {Uint8Array} */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Byte-for-byte equality (not constant time: for public values). */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

const B64U_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64U_VALUE = new Map([...B64U_ALPHABET].map((c, i) => [c, i]));

/** base64url without padding (RFC 4648 §5). @param {Uint8Array} bytes @returns {string} */
export function b64u(bytes) {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63] + B64U_ALPHABET[(n >> 6) & 63] + B64U_ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63] + B64U_ALPHABET[(n >> 6) & 63];
  }
  return out;
}

function decodeB64uLoose(text) {
  // crypto.identity.unb64url: the alphabet, any length but 4k+1, unused low bits ignored.
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const c of text) {
    value = (value << 6) | B64U_VALUE.get(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (value >> bits) & 255;
    }
  }
  return out;
}

/**
 * Decode canonical base64url (no padding, no white space, canonical last character).
 * @param {string} text @returns {Uint8Array} @throws {FormatError}
 */
export function unb64u(text) {
  if (typeof text !== "string") throw new FormatError("expected a base64url string");
  if (text === "") return new Uint8Array(0);
  const decoded = decodeB64uLoose(text);
  if (decoded === null || b64u(decoded) !== text) throw new FormatError("not canonical base64url");
  return decoded;
}

// Python's unb64url (used for identity lines and the list wrapper): strips white space first.
function unb64uPython(text) {
  return decodeB64uLoose(pyStrip(text));
}

/** Lowercase hex. @param {Uint8Array} bytes @returns {string} */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Decode lowercase hex. @param {string} text @returns {Uint8Array} @throws {FormatError} */
export function fromHex(text) {
  if (typeof text !== "string" || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) {
    throw new FormatError("not lowercase hex");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** True for exactly `byteCount` bytes written as lowercase hex (strict_json.is_hex). */
export function isHex(text, byteCount) {
  return typeof text === "string" && text.length === 2 * byteCount && /^[0-9a-f]+$/.test(text);
}

/** True for a real calendar day written YYYY-MM-DD (strict_json.is_day). */
export function isDay(text) {
  if (typeof text !== "string" || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return false;
  const [year, month, day] = text.split("-").map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= lengths[month - 1];
}

/** Today (or `date`) in UTC as YYYY-MM-DD: the only time the formats record. */
export function utcDay(date = new Date()) {
  return date.toISOString().slice(0, 10);
}

// --- hashing and subkeys (§1, crypto/kdf.py) ---------------------------------------------

/** H(x): unkeyed BLAKE2b-256. @param {Uint8Array} data @returns {Uint8Array} */
export function hash256(data) {
  return na().crypto_generichash(32, data, null);
}

/** H_k(x): BLAKE2b-256 keyed with `key` (16..64 bytes). */
export function keyedHash256(key, data) {
  return na().crypto_generichash(32, data, key);
}

/** subkey(K, label) = H_K(label), label an ASCII string. @returns {Uint8Array} */
export function subkey(parentKey, label) {
  if (parentKey.length < 16 || parentKey.length > 64) throw new RangeError("BLAKE2b keys are 16 to 64 bytes");
  return keyedHash256(parentKey, ascii(label));
}

// --- strict JSON (crypto/strict_json.py) ----------------------------------------------------

/** A JSON number written with a fraction or exponent: never accepted as an integer. */
export class JsonFloat {
  constructor(text) {
    this.text = text;
    this.value = Number(text);
  }
}

const MAX_JSON_DEPTH = 900;
const MAX_INT_DIGITS = 4300; // Python refuses longer integer literals

/**
 * Parse JSON text the way Python's json module does, returning Maps for objects, arrays,
 * strings, booleans, null, safe integers as numbers, larger ones as BigInt and others as
 * JsonFloat. NaN and Infinity are refused. Throws a SyntaxError-like Error on bad input.
 * @param {string} text
 * @param {{duplicates?: "refuse"|"last"}} [options]
 */
export function parseJson(text, { duplicates = "refuse" } = {}) {
  let pos = 0;
  const fail = (what) => {
    throw new SyntaxError(`${what} at character ${pos}`);
  };
  const skip = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos += 1;
    }
  };
  const parseString = () => {
    pos += 1; // opening quote
    let out = "";
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos += 1;
        return out;
      }
      if (c < 0x20) fail("control character in a string");
      if (c !== 0x5c) {
        pos += 1;
        continue;
      }
      out += text.slice(start, pos);
      const e = text[pos + 1];
      const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[e];
      if (simple !== undefined) {
        out += simple;
        pos += 2;
      } else if (e === "u") {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        pos += 6;
      } else {
        fail("bad escape");
      }
      start = pos;
    }
  };
  const parseNumber = () => {
    const match = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(pos, pos + 5000));
    if (!match) fail("unexpected character");
    const literal = match[0];
    pos += literal.length;
    if (match[1] !== undefined || match[2] !== undefined) return new JsonFloat(literal);
    if (literal.replace("-", "").length > MAX_INT_DIGITS) fail("integer literal too long");
    const asNumber = Number(literal);
    if (Number.isSafeInteger(asNumber)) return asNumber === 0 ? 0 : asNumber;
    return BigInt(literal);
  };
  const parseValue = (depth) => {
    if (depth > MAX_JSON_DEPTH) fail("nested too deeply");
    skip();
    const c = text[pos];
    if (c === "{") {
      pos += 1;
      const map = new Map();
      skip();
      if (text[pos] === "}") {
        pos += 1;
        return map;
      }
      for (;;) {
        skip();
        if (text[pos] !== '"') fail("expected a key");
        const key = parseString();
        skip();
        if (text[pos] !== ":") fail("expected ':'");
        pos += 1;
        const value = parseValue(depth + 1);
        if (map.has(key) && duplicates === "refuse") fail(`the key '${key}' appears twice`);
        map.set(key, value);
        skip();
        if (text[pos] === ",") {
          pos += 1;
          continue;
        }
        if (text[pos] === "}") {
          pos += 1;
          return map;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      pos += 1;
      const list = [];
      skip();
      if (text[pos] === "]") {
        pos += 1;
        return list;
      }
      for (;;) {
        list.push(parseValue(depth + 1));
        skip();
        if (text[pos] === ",") {
          pos += 1;
          continue;
        }
        if (text[pos] === "]") {
          pos += 1;
          return list;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    return parseNumber();
  };
  const value = parseValue(0);
  skip();
  if (pos !== text.length) fail("extra data");
  return value;
}

function isJsonInteger(value) {
  return (typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint";
}

/** Checks one kind of document, like crypto.strict_json.JsonReader. */
export class JsonReader {
  /**
   * @param {string} what names the document in every message
   * @param {typeof CandourError} [error] @param {typeof CandourError} [limitError]
   */
  constructor(what, error = FormatError, limitError = LimitError) {
    this.what = what;
    this.error = error;
    this.limitError = limitError;
  }

  fail(message) {
    return new this.error(`${this.what}: ${message}`);
  }

  overLimit(message) {
    return new this.limitError(`${this.what}: ${message}`);
  }

  /** Parse UTF-8 JSON bytes strictly (size cap first; BOM, duplicates, NaN refused). */
  loads(data, maxBytes = null) {
    if (maxBytes !== null && data.length > maxBytes) {
      throw this.overLimit(`${data.length} bytes is more than the ${maxBytes} allowed`);
    }
    let text;
    try {
      text = strictDecoder.decode(data);
    } catch {
      throw this.fail("it is not UTF-8 text");
    }
    try {
      return parseJson(text);
    } catch (error) {
      throw this.fail(`it is not valid JSON (${error.message})`);
    }
  }

  /** An object with exactly the `required` keys. @returns {Map<string, any>} */
  obj(value, where, required) {
    if (!(value instanceof Map)) throw this.fail(`${where} must be a JSON object`);
    const missing = required.find((key) => !value.has(key));
    if (missing !== undefined) throw this.fail(`${where} lacks '${missing}'`);
    if (value.size !== required.length) {
      const unknown = [...value.keys()].filter((key) => !required.includes(key)).sort();
      throw this.fail(`${where} has an unknown key '${unknown[0]}'`);
    }
    return value;
  }

  header(value, where, formatName, version) {
    if (value.get("format") !== formatName) throw this.fail(`${where} is not a '${formatName}' document`);
    const found = value.get("version");
    if (!isJsonInteger(found) || Number(found) !== version) {
      throw this.fail(`${where} is version ${String(found)}; this tool reads version ${version}: update the tool`);
    }
  }

  text(value, where, maxChars, nonEmpty = false) {
    if (typeof value !== "string") throw this.fail(`${where} must be a string`);
    const length = codePointLength(value);
    if (length > maxChars) throw this.overLimit(`${where} has ${length} characters; at most ${maxChars} are allowed`);
    if (nonEmpty && value === "") throw this.fail(`${where} must not be empty`);
    if (!isWellFormed(value)) throw this.fail(`${where} contains an invalid Unicode escape`);
    return value;
  }

  optionalText(value, where, maxChars, nonEmpty = false) {
    return value === null ? null : this.text(value, where, maxChars, nonEmpty);
  }

  integer(value, where, low, high) {
    if (!isJsonInteger(value)) throw this.fail(`${where} must be an integer`);
    if (value < low || value > high) throw this.overLimit(`${where} is ${value}; it must be between ${low} and ${high}`);
    return Number(value);
  }

  boolean(value, where) {
    if (typeof value !== "boolean") throw this.fail(`${where} must be true or false`);
    return value;
  }

  hexId(value, where, byteCount) {
    if (!isHex(value, byteCount)) throw this.fail(`${where} must be ${byteCount} bytes in lowercase hex`);
    return value;
  }

  hexBytes(value, where, byteCount) {
    return fromHex(this.hexId(value, where, byteCount));
  }

  raw(value, where, { byteCount = null, maxBytes = null } = {}) {
    if (typeof value !== "string") throw this.fail(`${where} must be a base64url string`);
    if (maxBytes !== null && value.length > Math.floor((maxBytes * 4 + 2) / 3)) {
      throw this.overLimit(`${where} is longer than the ${maxBytes} bytes allowed`);
    }
    let decoded;
    if (value === "") {
      decoded = new Uint8Array(0);
    } else {
      decoded = decodeB64uLoose(pyStrip(value));
      if (decoded === null) throw this.fail(`${where} is not valid base64url`);
    }
    if (b64u(decoded) !== value) throw this.fail(`${where} is not canonical base64url (no padding, no spaces)`);
    if (byteCount !== null && decoded.length !== byteCount) {
      throw this.fail(`${where} must be ${byteCount} bytes, not ${decoded.length}`);
    }
    return decoded;
  }

  day(value, where) {
    if (!isDay(value)) throw this.fail(`${where} must be a day written YYYY-MM-DD`);
    return value;
  }

  list(value, where, maxItems) {
    if (!Array.isArray(value)) throw this.fail(`${where} must be a list`);
    if (value.length > maxItems) throw this.overLimit(`${where} has ${value.length} entries; at most ${maxItems} are allowed`);
    return value;
  }
}

/**
 * Compact JSON as Python's dumps_compact writes it (",", ":" separators, UTF-8 unescaped).
 * Accepts plain objects, arrays, strings, integers, booleans and null.
 * @returns {Uint8Array}
 */
export function dumpsCompact(value) {
  return utf8(JSON.stringify(value));
}

// --- padding (§3, crypto/padding.py) ---------------------------------------------------------

export const MIN_PADDED_SIZE = 16 * 1024;
const PAD_MARKER = 0x80;
const RELEASE_PIECE_BYTES = 64 * 1024;

function bitLength(n) {
  let bits = 0;
  while (2 ** bits <= n) bits += 1;
  return bits;
}

/** PADMÉ(L): round up so only the top bits of the length remain. @param {number} length */
export function padme(length) {
  if (length < 2) return length;
  const exponent = bitLength(length) - 1;
  const mantissaBits = bitLength(exponent);
  const step = 2 ** (exponent - mantissaBits);
  return Math.ceil(length / step) * step;
}

/** max(16 KiB, PADMÉ(n + 1)): plaintext + marker + zeros. @param {number} plaintextSize */
export function paddedSize(plaintextSize) {
  return Math.max(MIN_PADDED_SIZE, padme(plaintextSize + 1));
}

/** ISO/IEC 7816-4 padding of a whole message. @param {Uint8Array} content @returns {Uint8Array} */
export function pad(content) {
  const out = new Uint8Array(paddedSize(content.length));
  out.set(content, 0);
  out[content.length] = PAD_MARKER;
  return out;
}

/** Remove padding from a whole buffer. @param {Uint8Array} padded @throws {PaddingError} */
export function unpad(padded) {
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end -= 1;
  if (end === 0 || padded[end - 1] !== PAD_MARKER) {
    throw new PaddingError("the message has no valid padding: it was not made by Candour");
  }
  const content = padded.subarray(0, end - 1);
  if (padded.length !== paddedSize(content.length)) {
    throw new PaddingError("the message's padded length does not match its content length");
  }
  return content;
}

/** Strips padding from a stream, holding a possible padding run only as a count. */
export class StreamingUnpadder {
  constructor() {
    this.heldMarker = false;
    this.heldZeros = 0;
    this.contentSize = 0;
    this.totalSize = 0;
  }

  /**
   * The bytes of `data` (and any held run) that are certainly content, in pieces.
   * @param {Uint8Array} data @returns {Uint8Array[]}
   */
  feed(data) {
    const pieces = [];
    if (data.length === 0) return pieces;
    this.totalSize += data.length;
    let last = data.length - 1;
    while (last >= 0 && data[last] === 0) last -= 1;
    if (last < 0) {
      this.heldZeros += data.length;
      return pieces;
    }
    for (const piece of this.releaseHeld()) pieces.push(piece);
    let released;
    if (data[last] === PAD_MARKER) {
      released = data.subarray(0, last);
      this.heldMarker = true;
      this.heldZeros = data.length - last - 1;
    } else {
      released = data;
    }
    if (released.length) pieces.push(released);
    for (const piece of pieces) this.contentSize += piece.length;
    return pieces;
  }

  *releaseHeld() {
    let zeros = this.heldZeros;
    const marker = this.heldMarker;
    this.heldMarker = false;
    this.heldZeros = 0;
    if (marker) yield Uint8Array.of(PAD_MARKER);
    while (zeros) {
      const size = Math.min(zeros, RELEASE_PIECE_BYTES);
      yield new Uint8Array(size);
      zeros -= size;
    }
  }

  /** @throws {PaddingError} unless the held run is exactly the padding */
  finish() {
    if (!this.heldMarker) throw new PaddingError("the part has no valid padding: it was not made by Candour");
    if (this.totalSize !== paddedSize(this.contentSize)) {
      throw new PaddingError("the part's padded length does not match its content length");
    }
  }
}

// --- word list and fingerprints ----------------------------------------------------------------

const WORD_INDEX = new Map(WORDLIST.map((word, index) => [word, index]));
const WORD_BITS = 11;

/** The first count × 11 bits of `data` as space-separated words (wordlist.bits_to_words). */
export function bitsToWords(data, count) {
  if (data.length * 8 < count * WORD_BITS) throw new RangeError("not enough bytes for that many words");
  const words = [];
  for (let w = 0; w < count; w += 1) {
    let value = 0;
    for (let k = 0; k < WORD_BITS; k += 1) {
      const bit = w * WORD_BITS + k;
      value = value * 2 + ((data[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    words.push(WORDLIST[value]);
  }
  return words.join(" ");
}

function foldTyped(text) {
  let folded = text.normalize("NFKC").toLowerCase();
  for (const separator of "-,.;:\n\t") folded = folded.split(separator).join(" ");
  return pySplit(folded);
}

/** Fold what a person types into six (or any number of) words (org.normalise_fingerprint). */
export function normaliseFingerprint(text) {
  return foldTyped(text).join(" ");
}

// --- envelope (§2, crypto/envelope.py) ----------------------------------------------------------

const MAGIC = ascii("CANDOUR");
const VERSION = 1;
const SUITE = 1;
export const SUBMISSION_ID_BYTES = 16;
export const KEY_ID_BYTES = 8;
const CONTENT_KEY_BYTES = 32;
const SEALED_KEY_BYTES = CONTENT_KEY_BYTES + 48;
const STANZA_BYTES = KEY_ID_BYTES + SEALED_KEY_BYTES;
const STREAM_HEADER_BYTES = 24;
const MAC_BYTES = 32;
const PREFIX_BYTES = 28;
export const MAX_STANZAS = 16;
export const MAX_PARTS = 64;
export const CHUNK_SIZE = 64 * 1024;
const CHUNK_OVERHEAD = 17;
const SEALED_CHUNK_SIZE = CHUNK_SIZE + CHUNK_OVERHEAD;
export const MAX_PADDED_PART_SIZE = 2 ** 34;
const TAG_MESSAGE = 0;
const TAG_FINAL = 3;
const LABEL_MAC_KEY = "candour/v1 header mac";
const LABEL_PAYLOAD_KEY = "candour/v1 payload";

/** Header size for n stanzas: 84 + 88·n. */
export function headerSize(stanzaCount) {
  return PREFIX_BYTES + stanzaCount * STANZA_BYTES + STREAM_HEADER_BYTES + MAC_BYTES;
}

/** Exact envelope size for a part of this many bytes. */
export function sealedSize(plaintextSize, stanzaCount) {
  const padded = paddedSize(plaintextSize);
  return headerSize(stanzaCount) + padded + Math.ceil(padded / CHUNK_SIZE) * CHUNK_OVERHEAD;
}

/** 16 random bytes: a submission id (and, for a report, its case id). */
export function newSubmissionId() {
  return na().randombytes_buf(SUBMISSION_ID_BYTES);
}

function checkHeaderFields(submissionId, partIndex, stanzaCount) {
  if (!(submissionId instanceof Uint8Array) || submissionId.length !== SUBMISSION_ID_BYTES) {
    throw new LimitError(`a submission id is ${SUBMISSION_ID_BYTES} bytes`);
  }
  if (!Number.isInteger(partIndex) || partIndex < 0 || partIndex >= MAX_PARTS) {
    throw new LimitError(`part index ${partIndex} is outside 0..${MAX_PARTS - 1}`);
  }
  if (stanzaCount < 1 || stanzaCount > MAX_STANZAS) {
    throw new LimitError(`an envelope has 1 to ${MAX_STANZAS} recipients, not ${stanzaCount}`);
  }
}

/**
 * Seals one part as its bytes arrive (crypto.envelope.EnvelopeSealer). Every sealed piece
 * (the header first, then each chunk) goes to `emit` as soon as it exists.
 */
export class EnvelopeSealer {
  /**
   * @param {{keyId: Uint8Array, boxPublicKey: Uint8Array}[]} recipients 1..16 reviewers
   * @param {Uint8Array} submissionId 16 bytes, the same in every part of a submission
   * @param {number} partIndex 0..63
   * @param {(piece: Uint8Array) => void} emit receives the envelope in order
   */
  constructor(recipients, submissionId, partIndex, emit) {
    const s = na();
    checkHeaderFields(submissionId, partIndex, recipients.length);
    const keyIds = recipients.map((r) => toHex(r.keyId));
    if (new Set(keyIds).size !== keyIds.length) throw new LimitError("the same reviewer is listed twice among the recipients");
    if (recipients.some((r) => r.keyId.length !== KEY_ID_BYTES || r.boxPublicKey.length !== 32)) {
      throw new FormatError("a recipient needs an 8-byte key id and a 32-byte X25519 public key");
    }
    const contentKey = s.randombytes_buf(CONTENT_KEY_BYTES);
    const stanzas = recipients.map((r) => concatBytes(r.keyId, s.crypto_box_seal(contentKey, r.boxPublicKey)));
    const pushed = s.crypto_secretstream_xchacha20poly1305_init_push(subkey(contentKey, LABEL_PAYLOAD_KEY));
    const prefix = new Uint8Array(PREFIX_BYTES);
    prefix.set(MAGIC, 0);
    prefix[7] = VERSION;
    prefix[8] = SUITE;
    prefix.set(submissionId, 9);
    prefix[25] = partIndex >> 8;
    prefix[26] = partIndex & 255;
    prefix[27] = recipients.length;
    const unauthenticated = concatBytes(prefix, ...stanzas, pushed.header);
    const mac = keyedHash256(subkey(contentKey, LABEL_MAC_KEY), unauthenticated);
    s.memzero(contentKey);
    const header = concatBytes(unauthenticated, mac);
    this.state = pushed.state;
    this.ad = hash256(header);
    this.emit = emit;
    this.pending = new Uint8Array(CHUNK_SIZE);
    this.fill = 0;
    this.plaintextSize = 0;
    this.sealedSize = header.length;
    this.finished = false;
    this.submissionId = submissionId;
    this.partIndex = partIndex;
    emit(header);
  }

  /** BLAKE2b-256 of the whole header: part 0's manifest lists it for each attachment. */
  get headerHash() {
    return this.ad;
  }

  pushChunk(chunk, tag) {
    const sealed = na().crypto_secretstream_xchacha20poly1305_push(this.state, chunk, this.ad, tag);
    this.sealedSize += sealed.length;
    this.emit(sealed);
  }

  /** Seal more plaintext. @param {Uint8Array} data */
  write(data) {
    if (this.finished) throw new Error("this part is already sealed");
    this.plaintextSize += data.length;
    if (paddedSize(this.plaintextSize) > MAX_PADDED_PART_SIZE) {
      throw new LimitError("the part is larger than the format allows (16 GiB)");
    }
    let offset = 0;
    while (offset < data.length) {
      // A full chunk always goes out as MESSAGE: padding (at least one byte) follows it.
      if (this.fill === CHUNK_SIZE) {
        this.pushChunk(this.pending, TAG_MESSAGE);
        this.fill = 0;
      }
      const take = Math.min(CHUNK_SIZE - this.fill, data.length - offset);
      this.pending.set(data.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
    }
    if (this.fill === CHUNK_SIZE) {
      this.pushChunk(this.pending, TAG_MESSAGE);
      this.fill = 0;
    }
  }

  /**
   * Pad, seal the final chunk (TAG_FINAL) and describe the part.
   * @returns {{submissionId: Uint8Array, partIndex: number, headerHash: Uint8Array,
   *   plaintextSize: number, sealedSize: number}}
   */
  finish() {
    if (this.finished) throw new Error("this part is already sealed");
    this.finished = true;
    let remaining = paddedSize(this.plaintextSize) - this.plaintextSize;
    let marker = true;
    while (remaining > 0) {
      if (this.fill === CHUNK_SIZE) {
        this.pushChunk(this.pending, TAG_MESSAGE);
        this.fill = 0;
      }
      const take = Math.min(CHUNK_SIZE - this.fill, remaining);
      this.pending.fill(0, this.fill, this.fill + take);
      if (marker) {
        this.pending[this.fill] = PAD_MARKER;
        marker = false;
      }
      this.fill += take;
      remaining -= take;
    }
    this.pushChunk(this.pending.subarray(0, this.fill), TAG_FINAL);
    this.pending = null;
    return {
      submissionId: this.submissionId,
      partIndex: this.partIndex,
      headerHash: this.ad,
      plaintextSize: this.plaintextSize,
      sealedSize: this.sealedSize,
    };
  }
}

/**
 * Seal bytes held in memory (part 0, tests). @returns {Uint8Array} the whole envelope
 */
export function sealBytes(data, recipients, submissionId, partIndex) {
  const pieces = [];
  const sealer = new EnvelopeSealer(recipients, submissionId, partIndex, (piece) => pieces.push(piece));
  sealer.write(data);
  sealer.finish();
  return concatBytes(...pieces);
}

const COLLECT_BYTES = 8 * 1024 * 1024;

/**
 * Gathers sealed pieces into a Blob a few MiB at a time, so a large envelope lives in the
 * browser's blob store rather than in JavaScript memory.
 */
export class BlobCollector {
  constructor() {
    this.blobs = [];
    this.buffered = [];
    this.bufferedBytes = 0;
    this.size = 0;
    this.push = this.push.bind(this);
  }

  /** @param {Uint8Array} piece */
  push(piece) {
    this.buffered.push(piece);
    this.bufferedBytes += piece.length;
    this.size += piece.length;
    if (this.bufferedBytes >= COLLECT_BYTES) this.flush();
  }

  flush() {
    if (this.buffered.length) this.blobs.push(new Blob(this.buffered));
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  /** @returns {Blob} everything pushed so far, in order */
  toBlob() {
    this.flush();
    return new Blob(this.blobs, { type: "application/octet-stream" });
  }
}

const READ_SLICE_BYTES = 16 * CHUNK_SIZE; // 1 MiB per read

/**
 * Seal a Blob or File as one envelope, reading it in 1 MiB slices so a large file is never
 * in memory whole.
 * @param {Blob} file
 * @param {{keyId: Uint8Array, boxPublicKey: Uint8Array}[]} recipients
 * @param {Uint8Array} submissionId
 * @param {number} partIndex
 * @param {(done: number, total: number) => void} [onProgress] plaintext bytes sealed so far
 * @param {(piece: Uint8Array) => void} [onPiece] receives the envelope's pieces in order;
 *   without it they are gathered into `blob`
 * @returns {Promise<{part: object, blob: Blob|null}>}
 */
export async function sealFile(file, recipients, submissionId, partIndex, onProgress = undefined, onPiece = undefined) {
  const collector = onPiece ? null : new BlobCollector();
  const sealer = new EnvelopeSealer(recipients, submissionId, partIndex, onPiece ?? collector.push);
  const total = file.size;
  for (let offset = 0; offset < total; offset += READ_SLICE_BYTES) {
    const end = Math.min(offset + READ_SLICE_BYTES, total);
    const slice = new Uint8Array(await file.slice(offset, end).arrayBuffer());
    if (slice.length !== end - offset) throw new Error("the file changed while it was being read");
    sealer.write(slice);
    onProgress?.(end, total);
  }
  const part = sealer.finish();
  if (total === 0) onProgress?.(0, 0);
  return { part, blob: collector ? collector.toBlob() : null };
}

class ByteSource {
  constructor(bytes) {
    this.bytes = bytes;
    this.position = 0;
  }

  readUpTo(size) {
    const end = Math.min(this.position + size, this.bytes.length);
    const out = this.bytes.subarray(this.position, end);
    this.position = end;
    return out;
  }

  readExact(size, what) {
    const out = this.readUpTo(size);
    if (out.length !== size) throw new TruncatedError(`the envelope ends inside its ${what}: it was cut short in transfer`);
    return out;
  }
}

/**
 * Parse an envelope header and check its structure and caps, with no keys (§2.3 steps 1–2).
 * @param {Uint8Array} bytes the envelope (or at least its header)
 */
export function readHeader(bytes) {
  return readHeaderFrom(new ByteSource(bytes));
}

function readHeaderFrom(source) {
  const prefix = source.readUpTo(PREFIX_BYTES);
  if (prefix.length < MAGIC.length || !bytesEqual(prefix.subarray(0, MAGIC.length), MAGIC)) {
    throw new FormatError("this is not a Candour envelope (the first bytes are not 'CANDOUR')");
  }
  if (prefix.length < PREFIX_BYTES) throw new TruncatedError("the envelope ends inside its header: it was cut short in transfer");
  const version = prefix[7];
  const suite = prefix[8];
  const submissionId = prefix.slice(9, 25);
  const partIndex = (prefix[25] << 8) | prefix[26];
  const stanzaCount = prefix[27];
  if (version !== VERSION) {
    throw new UnsupportedVersionError(`this envelope is format version ${version}; this tool reads version ${VERSION}`);
  }
  if (suite !== SUITE) throw new UnsupportedVersionError(`this envelope uses cipher suite ${suite}; this tool knows suite ${SUITE}`);
  if (stanzaCount < 1 || stanzaCount > MAX_STANZAS) {
    throw new LimitError(`the envelope claims ${stanzaCount} recipients; the format allows 1 to ${MAX_STANZAS}`);
  }
  if (partIndex >= MAX_PARTS) throw new LimitError(`the envelope claims part ${partIndex}; the format allows 0 to ${MAX_PARTS - 1}`);
  const body = source.readExact(stanzaCount * STANZA_BYTES + STREAM_HEADER_BYTES + MAC_BYTES, "header");
  const stanzas = [];
  for (let i = 0; i < stanzaCount; i += 1) {
    const at = i * STANZA_BYTES;
    stanzas.push({ keyId: body.slice(at, at + KEY_ID_BYTES), sealedKey: body.slice(at + KEY_ID_BYTES, at + STANZA_BYTES) });
  }
  if (new Set(stanzas.map((s) => toHex(s.keyId))).size !== stanzaCount) {
    throw new FormatError("the envelope lists the same recipient twice: it was tampered with");
  }
  const offset = stanzaCount * STANZA_BYTES;
  const raw = concatBytes(prefix, body);
  return {
    submissionId,
    partIndex,
    stanzas,
    streamHeader: body.slice(offset, offset + STREAM_HEADER_BYTES),
    mac: body.slice(offset + STREAM_HEADER_BYTES),
    raw,
    headerHash: hash256(raw),
    recipientKeyIds: stanzas.map((s) => s.keyId),
  };
}

function unsealContentKey(header, opener) {
  const s = na();
  const candidates = header.stanzas.filter((stanza) => bytesEqual(stanza.keyId, opener.keyId));
  if (!candidates.length) {
    throw new NotARecipientError("this envelope was not sealed to your key (no recipient stanza has your key id)");
  }
  let contentKey = null;
  for (const stanza of candidates) {
    try {
      contentKey = s.crypto_box_seal_open(stanza.sealedKey, opener.boxPublicKey, opener.boxSecretKey);
      break;
    } catch {
      // try the next stanza with this key id
    }
  }
  if (contentKey === null || contentKey.length !== CONTENT_KEY_BYTES) {
    throw new NotARecipientError("the recipient stanza with your key id does not open with your key");
  }
  const expected = keyedHash256(subkey(contentKey, LABEL_MAC_KEY), header.raw.subarray(0, header.raw.length - MAC_BYTES));
  if (!s.memcmp(expected, header.mac)) {
    throw new HeaderMacError("the envelope's header was altered (or recipients were given different keys): do not trust it");
  }
  return contentKey;
}

/**
 * Verify and decrypt one envelope held in memory, with the checks and order of
 * crypto.envelope.open_envelope (§2.3).
 * @param {Uint8Array} bytes the envelope
 * @param {{keyId: Uint8Array, boxPublicKey: Uint8Array, boxSecretKey: Uint8Array}} opener
 * @param {{maxPlaintextBytes?: number}} [options] refuse (LimitError) beyond this much plaintext
 * @returns {{part: object, plaintext: Uint8Array}}
 * @throws {CandourError} FormatError, UnsupportedVersionError, LimitError, TruncatedError,
 *   NotARecipientError, HeaderMacError, PayloadError, TruncatedPayloadError,
 *   TrailingDataError, PaddingError
 */
export function openEnvelope(bytes, opener, { maxPlaintextBytes = Infinity } = {}) {
  const s = na();
  const source = new ByteSource(bytes);
  const header = readHeaderFrom(source);
  const contentKey = unsealContentKey(header, opener);
  let state;
  try {
    state = s.crypto_secretstream_xchacha20poly1305_init_pull(header.streamHeader, subkey(contentKey, LABEL_PAYLOAD_KEY));
  } catch {
    throw new PayloadError("the envelope's stream header is invalid");
  }
  const ad = header.headerHash;
  const unpadder = new StreamingUnpadder();
  const pieces = [];
  let written = 0;
  let chunkIndex = 0;
  const maxChunks = MAX_PADDED_PART_SIZE / CHUNK_SIZE;
  for (;;) {
    const sealed = source.readUpTo(SEALED_CHUNK_SIZE);
    if (!sealed.length) {
      throw new TruncatedPayloadError(
        chunkIndex
          ? "the envelope ends without its final chunk: it was cut short in transfer"
          : "the envelope has a header but no content: it was cut short in transfer",
      );
    }
    if (sealed.length <= CHUNK_OVERHEAD) throw new TruncatedPayloadError("the envelope ends inside a chunk: it was cut short in transfer");
    const pulled = s.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad);
    if (!pulled) {
      const damage = sealed.length !== SEALED_CHUNK_SIZE ? "cut short, extended with extra bytes, or altered" : "altered, reordered or mixed with another envelope";
      throw new PayloadError(`chunk ${chunkIndex} of the envelope failed authentication: it was ${damage}`);
    }
    for (const piece of unpadder.feed(pulled.message)) {
      written += piece.length;
      if (written > maxPlaintextBytes) throw new LimitError(`the part is larger than the ${maxPlaintextBytes} bytes allowed here`);
      pieces.push(piece.slice());
    }
    chunkIndex += 1;
    if (pulled.tag === TAG_FINAL) break;
    if (pulled.tag !== TAG_MESSAGE) throw new PayloadError(`chunk ${chunkIndex - 1} carries an unknown tag ${pulled.tag}`);
    if (sealed.length !== SEALED_CHUNK_SIZE) throw new TruncatedPayloadError("the envelope ends without its final chunk: it was cut short in transfer");
    if (chunkIndex > maxChunks) throw new LimitError("the envelope is larger than the format allows (16 GiB)");
  }
  if (source.readUpTo(1).length) throw new TrailingDataError("there are extra bytes after the envelope's final chunk: it was tampered with");
  unpadder.finish();
  return {
    part: {
      submissionId: header.submissionId,
      partIndex: header.partIndex,
      headerHash: ad,
      plaintextSize: unpadder.contentSize,
      recipientKeyIds: header.recipientKeyIds,
    },
    plaintext: concatBytes(...pieces),
  };
}

// --- reviewer and organisation identities (§4, §5, crypto/identity.py) -------------------------------

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
  if ([...name].some((c) => c.codePointAt(0) < 32)) throw new IdentityError("a key's name cannot contain control characters");
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
}

function publicLines(text) {
  return pySplitLines(text)
    .filter((line) => pyStrip(line) !== "" && !pyStrip(line).startsWith("#"))
    .map(pyStrip);
}

function verifySignature(signature, message, publicKey) {
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
  const blob = unb64uPython(lines[0].slice(REVIEWER_PREFIX.length));
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
 * Parse a `candour-org-1:` line and check its self-signature.
 * @returns {{name: string, signPublicKey: Uint8Array, signature: Uint8Array, fingerprint: string, line: string}}
 * @throws {IdentityError}
 */
export function parseOrgIdentity(text) {
  const lines = publicLines(text);
  if (lines.length !== 1 || !lines[0].startsWith(ORG_PREFIX)) {
    throw new IdentityError(`an organisation key is one line starting with '${ORG_PREFIX}'`);
  }
  const blob = unb64uPython(lines[0].slice(ORG_PREFIX.length));
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

// --- the signed reviewer list (§5, crypto/org.py) -------------------------------------------------

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
const CONTROL_CHARACTER = /\p{Cc}/u;

function listText(value, what, maxChars, allowEmpty) {
  if (typeof value !== "string") throw new FormatError(`the reviewer list's ${what} must be text`);
  if (!allowEmpty && pyStrip(value) === "") throw new FormatError(`the reviewer list's ${what} is empty`);
  if (codePointLength(value) > maxChars) throw new LimitError(`the reviewer list's ${what} is longer than ${maxChars} characters`);
  if (CONTROL_CHARACTER.test(value)) throw new FormatError(`the reviewer list's ${what} contains control characters`);
  // A lone surrogate (a "\ud800" escape): Python refuses it (it cannot be UTF-8), so must we.
  if (!isWellFormed(value)) throw new FormatError(`the reviewer list's ${what} contains an invalid Unicode escape`);
  return value;
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
  const serial = BODY_READER.integer(content.get("serial"), "the serial number", -MAX_SERIAL, MAX_SERIAL);
  if (serial < 1) throw new FormatError("the reviewer list's serial number must be a whole number, 1 or more");
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
 * Key id (hex) → identity, for `classifyReplies`, from a verified list.
 * @returns {Map<string, object>}
 */
export function knownReviewersFromList(list) {
  return new Map(list.reviewers.map((entry) => [entry.keyIdHex, entry.identity]));
}

// --- codenames and reporter keys (§6, crypto/codename.py) ------------------------------------------

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
  const typed = foldTyped(text);
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

// --- submissions (§7, crypto/submission.py) -------------------------------------------------------

const SUBMISSION_CONTEXT = ascii("candour/v1 submission\0");
const REPORT_FIELDS = ["category", "what", "when", "where", "who", "outcome"];
const FIELDS_BY_KIND = { report: REPORT_FIELDS, followup: ["message"] };
const REQUIRED_FIELD = { report: "what", followup: "message" };
export const MAX_FIELD_CHARS = 100000;
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_ATTACHMENTS = MAX_PARTS - 1;
const MAX_ATTACHMENT_NAME_CHARS = 255;
const MAX_ATTACHMENT_TYPE_CHARS = 255;
const MAX_ATTACHMENT_SIZE = MAX_PADDED_PART_SIZE - 1;

/**
 * Check a submission's fields and return all of them in format order (missing optional
 * report fields become ""). @throws {FormatError|LimitError}
 */
export function checkFields(kind, fields) {
  if (!Object.hasOwn(FIELDS_BY_KIND, kind)) throw new FormatError(`a submission is a 'report' or a 'followup', not '${kind}'`);
  const allowed = FIELDS_BY_KIND[kind];
  const unknown = Object.keys(fields).filter((name) => !allowed.includes(name)).sort();
  if (unknown.length) throw new FormatError(`a ${kind} has no field '${unknown[0]}' (its fields are ${allowed.join(", ")})`);
  const complete = {};
  for (const name of allowed) {
    const value = Object.hasOwn(fields, name) ? fields[name] : "";
    if (typeof value !== "string") throw new FormatError(`the field '${name}' must be text`);
    const length = codePointLength(value);
    if (length > MAX_FIELD_CHARS) throw new LimitError(`the field '${name}' has ${length} characters; at most ${MAX_FIELD_CHARS} are allowed`);
    if (!isWellFormed(value)) throw new FormatError(`the field '${name}' is not valid Unicode`);
    complete[name] = value;
  }
  if (complete[REQUIRED_FIELD[kind]] === "") throw new FormatError(`a ${kind} needs its '${REQUIRED_FIELD[kind]}' field filled in`);
  return complete;
}

function checkAttachmentInfo(info) {
  if (!Number.isInteger(info.part) || info.part < 1 || info.part > MAX_ATTACHMENTS) {
    throw new LimitError(`an attachment is part 1 to ${MAX_ATTACHMENTS}, not ${info.part}`);
  }
  if (typeof info.name !== "string" || typeof info.type !== "string") throw new FormatError("an attachment's name and type must be strings");
  if (codePointLength(info.name) > MAX_ATTACHMENT_NAME_CHARS) throw new LimitError(`an attachment's name is at most ${MAX_ATTACHMENT_NAME_CHARS} characters`);
  if (codePointLength(info.type) > MAX_ATTACHMENT_TYPE_CHARS) throw new LimitError(`an attachment's type is at most ${MAX_ATTACHMENT_TYPE_CHARS} characters`);
  if (!Number.isSafeInteger(info.size) || info.size < 0 || info.size > MAX_ATTACHMENT_SIZE) {
    throw new LimitError(`an attachment's size ${info.size} is outside what the format allows`);
  }
  if (!(info.headerHash instanceof Uint8Array) || info.headerHash.length !== 32) throw new FormatError("an attachment's header hash must be 32 bytes");
  if (!isWellFormed(info.name) || !isWellFormed(info.type)) throw new FormatError("an attachment's name or type is not valid Unicode");
}

/**
 * Describe a sealed attachment for part 0's manifest.
 * @param {object} sealedPart what EnvelopeSealer.finish / sealFile returned
 * @param {string} name the file's name on the device @param {string} type its media type
 */
export function attachmentInfoFromSealed(sealedPart, name, type) {
  const info = { part: sealedPart.partIndex, name, type, size: sealedPart.plaintextSize, headerHash: sealedPart.headerHash };
  checkAttachmentInfo(info);
  return info;
}

/**
 * The manifest JSON bytes part 0 signs (§7), after every check; no cryptography.
 * @param {{submissionId: Uint8Array, kind: "report"|"followup", caseId?: string|null, day: string,
 *   reporter: {replyPublicKey: Uint8Array, signPublicKey: Uint8Array}, fields: object,
 *   attachments: object[]}} args
 * @returns {Uint8Array}
 */
export function buildManifest({ submissionId, kind, caseId = null, day, reporter, fields, attachments = [] }) {
  if (!(submissionId instanceof Uint8Array) || submissionId.length !== SUBMISSION_ID_BYTES) {
    throw new FormatError(`a submission id is ${SUBMISSION_ID_BYTES} bytes`);
  }
  const completeFields = checkFields(kind, fields);
  const submissionHex = toHex(submissionId);
  let caseHex = caseId;
  if (kind === "report") {
    if (caseId !== null && caseId !== undefined && caseId !== submissionHex) {
      throw new FormatError("a report's case id is its submission id; pass caseId=null or the same value");
    }
    caseHex = submissionHex;
  } else if (!isHex(caseId, SUBMISSION_ID_BYTES)) {
    throw new FormatError("a follow-up must name its case (32 lowercase hex characters)");
  }
  if (caseHex === submissionHex && kind === "followup") throw new FormatError("a follow-up needs a fresh submission id, not the case id");
  if (!isDay(day)) throw new FormatError(`the day must be written YYYY-MM-DD, not '${day}'`);
  if (reporter.replyPublicKey.length !== 32 || reporter.signPublicKey.length !== 32) {
    throw new FormatError("the reporter's keys must be 32 bytes each");
  }
  if (attachments.length > MAX_ATTACHMENTS) throw new LimitError(`a submission has at most ${MAX_ATTACHMENTS} attachments`);
  attachments.forEach((info, index) => {
    checkAttachmentInfo(info);
    if (info.part !== index + 1) throw new FormatError(`attachments must be parts 1..n in order; entry ${index + 1} is part ${info.part}`);
  });
  const manifest = {
    format: "candour-submission",
    version: 1,
    kind,
    case: caseHex,
    submission: submissionHex,
    day,
    reporter: { reply_key: b64u(reporter.replyPublicKey), sign_key: b64u(reporter.signPublicKey) },
    fields: completeFields,
    attachments: attachments.map((info) => ({
      part: info.part,
      name: info.name,
      type: info.type,
      size: info.size,
      header_hash: b64u(info.headerHash),
    })),
  };
  const encoded = dumpsCompact(manifest);
  if (encoded.length > MAX_MANIFEST_BYTES) {
    throw new LimitError(`the submission's text is ${encoded.length} bytes once encoded; at most ${MAX_MANIFEST_BYTES} fit in one submission: move long text into an attached file`);
  }
  return encoded;
}

/**
 * Build, sign and seal part 0 of a submission (crypto.submission.seal_submission_text_part).
 * @param {{recipients: object[], submissionId: Uint8Array, kind: "report"|"followup",
 *   caseId?: string|null, day: string, reporterKeys: object, fields: object, attachments?: object[]}} args
 * @returns {{envelope: Uint8Array, part: object, manifest: Uint8Array}}
 */
export function sealSubmissionTextPart({ recipients, submissionId, kind, caseId = null, day, reporterKeys, fields, attachments = [] }) {
  const manifest = buildManifest({ submissionId, kind, caseId, day, reporter: reporterKeys, fields, attachments });
  const signature = na().crypto_sign_detached(concatBytes(SUBMISSION_CONTEXT, manifest), reporterKeys.signSecretKey);
  const plaintext = dumpsCompact({ signed: b64u(manifest), signature: b64u(signature) });
  const pieces = [];
  const sealer = new EnvelopeSealer(recipients, submissionId, 0, (piece) => pieces.push(piece));
  sealer.write(plaintext);
  const part = sealer.finish();
  return { envelope: concatBytes(...pieces), part, manifest };
}

/**
 * Seal a whole submission in the browser: every file as parts 1..n (read in slices), then
 * the signed part 0 listing them.
 * @param {{recipients: object[], kind: "report"|"followup", caseId?: string|null,
 *   day?: string, reporterKeys: object, fields: object, files?: File[],
 *   submissionId?: Uint8Array, onProgress?: (done: number, total: number) => void}} args
 * @returns {Promise<{submissionId: Uint8Array, submissionHex: string,
 *   parts: {index: number, blob: Blob, part: object}[]}>} parts in index order, part 0 first
 */
export async function sealSubmission({ recipients, kind, caseId = null, day = utcDay(), reporterKeys, fields, files = [], submissionId = newSubmissionId(), onProgress = undefined }) {
  // Check the text before sealing any file: a bad field should fail in milliseconds.
  checkFields(kind, fields);
  if (files.length > MAX_ATTACHMENTS) throw new LimitError(`a submission has at most ${MAX_ATTACHMENTS} attachments`);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let before = 0;
  const sealedFiles = [];
  const infos = [];
  for (const [index, file] of files.entries()) {
    const partIndex = index + 1;
    const progress = onProgress ? (done) => onProgress(before + done, total) : undefined;
    const { part, blob } = await sealFile(file, recipients, submissionId, partIndex, progress);
    before += file.size;
    infos.push(attachmentInfoFromSealed(part, file.name ?? "", file.type ?? ""));
    sealedFiles.push({ index: partIndex, blob, part });
  }
  const textPart = sealSubmissionTextPart({ recipients, submissionId, kind, caseId, day, reporterKeys, fields, attachments: infos });
  return {
    submissionId,
    submissionHex: toHex(submissionId),
    parts: [{ index: 0, blob: new Blob([textPart.envelope], { type: "application/octet-stream" }), part: textPart.part }, ...sealedFiles],
  };
}

// --- replies (§8, crypto/reply.py) -------------------------------------------------------------------

const REPLY_CONTEXT = ascii("candour/v1 reply\0");
const MAX_TEXT_CHARS = 100000;
const MAX_REASON_CHARS = 2000;
const MAX_STATUS_CHARS = 64;
const MAX_SEQ = 999999999;
const MAX_STATEMENT_BYTES = 32 * 1024;
const MAX_BODY_BYTES = 6 * MAX_TEXT_CHARS + 1024;
const MAX_FOR_REPORTER_BYTES = paddedSize(MAX_BODY_BYTES) + 48;
const STATEMENT_KEYS = ["format", "version", "case", "reporter_reply_key", "reviewer", "reviewer_key_id", "seq", "day", "status", "for_reporter_hash", "for_reviewers_hash"];
// Statement v2 (docs/format.md §8) adds "feedback" after "status"; v1 is read as feedback = false.
const STATEMENT_KEYS_V2 = [...STATEMENT_KEYS.slice(0, 9), "feedback", ...STATEMENT_KEYS.slice(9)];
const statementJson = new JsonReader("the reply's statement");
const bodyJson = new JsonReader("the reply's text");

/**
 * Parse a reply statement strictly (no signature check). @param {Uint8Array} statementBytes
 * @throws {FormatError|LimitError}
 */
export function parseStatement(statementBytes) {
  const r = statementJson;
  const loaded = r.loads(statementBytes, MAX_STATEMENT_BYTES);
  const version = loaded instanceof Map ? loaded.get("version") : undefined;
  const v2 = isJsonInteger(version) && Number(version) === 2;
  const document = r.obj(loaded, "the statement", v2 ? STATEMENT_KEYS_V2 : STATEMENT_KEYS);
  if (!v2) r.header(document, "the statement", "candour-reply", 1);
  else r.header(document, "the statement", "candour-reply", 2);
  let status = null;
  if (document.get("status") !== null) {
    const json = r.obj(document.get("status"), "'status'", ["status", "outcome", "reason"]);
    status = {
      status: r.text(json.get("status"), "'status.status'", MAX_STATUS_CHARS, true),
      outcome: r.optionalText(json.get("outcome"), "'status.outcome'", MAX_STATUS_CHARS),
      reason: r.text(json.get("reason"), "'status.reason'", MAX_REASON_CHARS),
    };
    if (status.outcome === "") throw r.fail("'status.outcome' is a name or null, not empty");
  }
  return {
    case: r.hexId(document.get("case"), "'case'", SUBMISSION_ID_BYTES),
    reporterReplyKey: r.raw(document.get("reporter_reply_key"), "'reporter_reply_key'", { byteCount: 32 }),
    reviewer: r.raw(document.get("reviewer"), "'reviewer'", { byteCount: 32 }),
    reviewerKeyId: r.hexBytes(document.get("reviewer_key_id"), "'reviewer_key_id'", KEY_ID_BYTES),
    seq: r.integer(document.get("seq"), "'seq'", 1, MAX_SEQ),
    day: r.day(document.get("day"), "'day'"),
    status,
    forReporterHash: r.raw(document.get("for_reporter_hash"), "'for_reporter_hash'", { byteCount: 32 }),
    forReviewersHash: r.raw(document.get("for_reviewers_hash"), "'for_reviewers_hash'", { byteCount: 32 }),
    feedback: v2 ? r.boolean(document.get("feedback"), "'feedback'") : false,
    version: v2 ? 2 : 1,
    raw: statementBytes,
  };
}

/** Parse a reply body strictly. @param {Uint8Array} bodyBytes @throws {FormatError|LimitError} */
export function parseReplyBody(bodyBytes) {
  const r = bodyJson;
  const document = r.obj(r.loads(bodyBytes, MAX_BODY_BYTES), "the body", ["format", "version", "case", "seq", "reviewer_key_id", "text"]);
  r.header(document, "the body", "candour-reply-body", 1);
  return {
    case: r.hexId(document.get("case"), "'case'", SUBMISSION_ID_BYTES),
    seq: r.integer(document.get("seq"), "'seq'", 1, MAX_SEQ),
    reviewerKeyId: r.hexBytes(document.get("reviewer_key_id"), "'reviewer_key_id'", KEY_ID_BYTES),
    text: r.text(document.get("text"), "'text'", MAX_TEXT_CHARS),
  };
}

function findReviewer(knownReviewers, keyId) {
  return knownReviewers.get(toHex(keyId)) ?? null;
}

/**
 * Parse a statement and check it is signed by the known reviewer it names.
 * @param {Uint8Array} statementBytes @param {Uint8Array} signature
 * @param {Map<string, object>} knownReviewers key id hex → identity (the org-signed list)
 * @returns {{statement: object, identity: object}}
 * @throws {FormatError|LimitError|SignatureError|BindingError}
 */
export function verifyStatementSignature(statementBytes, signature, knownReviewers) {
  const statement = parseStatement(statementBytes);
  const identity = findReviewer(knownReviewers, statement.reviewerKeyId);
  if (identity === null) {
    throw new SignatureError(`the reply is signed by key id ${toHex(statement.reviewerKeyId)}, which is not a known reviewer`);
  }
  if (!bytesEqual(identity.keyId, statement.reviewerKeyId) || !bytesEqual(identity.signPublicKey, statement.reviewer)) {
    throw new BindingError(`the reply names reviewer key id ${toHex(statement.reviewerKeyId)} but carries another reviewer's signing key`);
  }
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new SignatureError("the reply's signature is not 64 bytes");
  if (!verifySignature(signature, concatBytes(REPLY_CONTEXT, statement.raw), identity.signPublicKey)) {
    throw new SignatureError(`the reply's signature by ${identity.name} (${identity.keyIdHex}) does not verify: it was altered or forged`);
  }
  return { statement, identity };
}

/** The statement is for this case and this reporter's reply key. @throws {BindingError} */
export function checkReplyBinding(statement, caseId, reporterReplyKey) {
  if (statement.case !== caseId) throw new BindingError(`the reply is for case ${statement.case}, not for case ${caseId}`);
  if (!bytesEqual(statement.reporterReplyKey, reporterReplyKey)) {
    throw new BindingError("the reply is sealed to a different reporter key than this case's: it was made for another reporter (or the key was swapped)");
  }
}

function checkBodyMatches(body, statement) {
  if (body.case !== statement.case || body.seq !== statement.seq || !bytesEqual(body.reviewerKeyId, statement.reviewerKeyId)) {
    throw new BindingError("the reply's text names another case, number or reviewer than its signed statement: it was moved from another reply");
  }
  if (body.text === "" && statement.status === null) throw new FormatError("the reply has no text and no status change");
}

/**
 * Open the reporter's copy of a reply and bind it to its statement (no signature check:
 * use classifyReplies, which does both).
 * @param {{statement: Uint8Array, signature: Uint8Array, forReporter: Uint8Array}} reply
 * @throws {BindingError|LimitError|NotARecipientError|PaddingError|FormatError}
 */
export function openReplyForReporter(reply, reporterReplySecretKey, reporterReplyPublicKey) {
  const statement = parseStatement(reply.statement);
  if (!bytesEqual(statement.reporterReplyKey, reporterReplyPublicKey)) throw new BindingError("the reply was sealed to another reporter's key");
  if (reply.forReporter.length > MAX_FOR_REPORTER_BYTES) throw new LimitError("the reporter's copy of the reply is larger than the format allows");
  if (!bytesEqual(hash256(reply.forReporter), statement.forReporterHash)) {
    throw new BindingError("the reporter's copy of the reply does not match the hash in the signed statement: it belongs to another reply");
  }
  let padded;
  try {
    padded = na().crypto_box_seal_open(reply.forReporter, reporterReplyPublicKey, reporterReplySecretKey);
  } catch {
    throw new NotARecipientError("the reply does not open with your codename's key");
  }
  const body = parseReplyBody(unpad(padded));
  checkBodyMatches(body, statement);
  return body;
}

function bestEffortIdentity(statementBytes) {
  try {
    const statement = parseStatement(statementBytes);
    return { reviewerKeyId: statement.reviewerKeyId, seq: statement.seq };
  } catch {
    return { reviewerKeyId: null, seq: null };
  }
}

/**
 * The reporter's view of a case's replies, by the rules of crypto.reply.classify_replies.
 * Returns views in display order: `{state: "verified", statement, body, reviewer}`,
 * `{state: "rejected", position, reason, error, reviewerKeyId, seq}` (never show its
 * content) and `{state: "missing", reviewerKeyId, first, last}` gap markers.
 * @param {{statement: Uint8Array, signature: Uint8Array, forReporter: Uint8Array}[]} replies
 *   in the order the server lists them
 * @param {{caseId: string, reporterReplySecretKey: Uint8Array, reporterReplyPublicKey: Uint8Array,
 *   knownReviewers: Map<string, object>}} context
 * @returns {object[]}
 */
export function classifyReplies(replies, { caseId, reporterReplySecretKey, reporterReplyPublicKey, knownReviewers }) {
  const checked = [];
  const seen = new Set();
  const present = new Map();
  replies.forEach((reply, position) => {
    let statement;
    let identity;
    let body;
    try {
      ({ statement, identity } = verifyStatementSignature(reply.statement, reply.signature, knownReviewers));
      checkReplyBinding(statement, caseId, reporterReplyPublicKey);
      body = openReplyForReporter(reply, reporterReplySecretKey, reporterReplyPublicKey);
    } catch (error) {
      if (!(error instanceof CandourError)) throw error;
      checked.push({ state: "rejected", position, reason: error.message, error: error.name, ...bestEffortIdentity(reply.statement) });
      return;
    }
    const keyHex = toHex(statement.reviewerKeyId);
    const marker = `${keyHex}:${statement.seq}`;
    if (seen.has(marker)) {
      checked.push({
        state: "rejected",
        position,
        reason: `this is a second copy of reply ${statement.seq} from ${identity.name}: a replay`,
        error: "SequenceError",
        reviewerKeyId: statement.reviewerKeyId,
        seq: statement.seq,
      });
      return;
    }
    seen.add(marker);
    if (!present.has(keyHex)) present.set(keyHex, []);
    present.get(keyHex).push(statement.seq);
    checked.push({ state: "verified", statement, body, reviewer: identity });
  });
  for (const numbers of present.values()) numbers.sort((a, b) => a - b);
  const consideredBelow = new Map();
  const views = [];
  for (const view of checked) {
    if (view.state === "verified") {
      const keyHex = toHex(view.statement.reviewerKeyId);
      const seq = view.statement.seq;
      const start = consideredBelow.get(keyHex) ?? 1;
      if (seq > start) {
        let expected = start;
        for (const number of present.get(keyHex)) {
          if (number < start) continue;
          if (number > seq) break;
          if (number > expected) views.push({ state: "missing", reviewerKeyId: view.statement.reviewerKeyId, first: expected, last: number - 1 });
          expected = number + 1;
        }
        consideredBelow.set(keyHex, seq);
      }
    }
    views.push(view);
  }
  return views;
}
