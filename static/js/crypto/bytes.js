// Bytes, UTF-8, base64url, hex and days (docs/format.md §1).

import { FormatError } from "./errors.js";
import { isWellFormed, pyStrip } from "./text.js";

const textEncoder = new TextEncoder();
export const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a well-formed string. @param {string} text @returns {Uint8Array} */
export function utf8(text) {
  if (!isWellFormed(text)) throw new FormatError("the text contains invalid Unicode (a lone surrogate)");
  return textEncoder.encode(text);
}

export function ascii(text) {
  return textEncoder.encode(text);
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

export function decodeB64uLoose(text) {
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
export function unb64uPython(text) {
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
