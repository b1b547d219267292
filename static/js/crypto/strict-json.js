// Strict JSON, read as Python's json module reads it (crypto/strict_json.py).

import { FormatError, LimitError } from "./errors.js";
import { codePointLength, isWellFormed, pyStrip } from "./text.js";
import { b64u, decodeB64uLoose, fromHex, isDay, isHex, strictDecoder, utf8 } from "./bytes.js";

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

export function isJsonInteger(value) {
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

  /** @param {number|number[]} version the version, or the versions, this reader knows */
  header(value, where, formatName, version) {
    if (value.get("format") !== formatName) throw this.fail(`${where} is not a '${formatName}' document`);
    const found = value.get("version");
    const known = Array.isArray(version) ? version : [version];
    if (!isJsonInteger(found) || !known.includes(Number(found))) {
      throw this.fail(`${where} is version ${String(found)}; this tool reads version ${known.join(" or ")}: update the tool`);
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
