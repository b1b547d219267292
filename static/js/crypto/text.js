// Text: the one rule for control and format characters (CONTRACT: crypto/text.py), and
// Python's white-space helpers, so this code and the kit read the same text the same way.
//
// A character is *forbidden* when its Unicode general category is Cc (controls, U+007F,
// U+0085…), Cf (invisible formatting: U+200E/F, the bidirectional overrides U+202A–U+202E
// and isolates U+2066–U+2069, U+FEFF…), Zl, Zp (line and paragraph separators) or Cs (a
// lone surrogate). A label (a name, role or any single-line field) holds none of them and
// does not start or end with white space (refused, not stripped, so what was signed is
// what is shown). Multi-line text may hold U+000A and no other; CR LF is read as LF first.
// A TAB is refused too; a submission's writer first turns each TAB into spaces (expandTabs).

import { TextError } from "./errors.js";

const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const FORBIDDEN_BUT_LINE_FEED = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

// Where a writer's expanded TAB ends: every 8th column, as a <textarea> shows a TAB
// (CSS tab-size: 8) (crypto.text.TAB_STOP).
export const TAB_STOP = 8;

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

/** True when `ch` (one code point) is a control, format, separator or surrogate character. */
export function isForbiddenChar(ch) {
  return FORBIDDEN.test(ch);
}

function describe(ch) {
  return `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

function checkTypeAndLength(text, field, maxChars) {
  if (typeof text !== "string") throw new TextError(`the ${field} must be text`);
  const length = codePointLength(text);
  if (length > maxChars) throw new TextError(`the ${field} is longer than ${maxChars} characters (${length})`);
  return text;
}

function firstForbidden(text, pattern) {
  let position = 0;
  for (const ch of text) {
    if (pattern.test(ch)) return { ch, position };
    position += 1;
  }
  return null;
}

/**
 * Return `text` unchanged if it is an acceptable single-line label (crypto.text.check_label).
 * @param {unknown} text @param {{field: string, maxChars: number, allowEmpty?: boolean}} options
 * @returns {string} @throws {TextError}
 */
export function checkLabel(text, { field, maxChars, allowEmpty = false }) {
  checkTypeAndLength(text, field, maxChars);
  if (text === "") {
    if (allowEmpty) return text;
    throw new TextError(`the ${field} is empty`);
  }
  const found = firstForbidden(text, FORBIDDEN);
  if (found) {
    throw new TextError(`the ${field} contains a control or invisible formatting character (${describe(found.ch)}, at character ${found.position + 1}); remove it`);
  }
  if (pyStrip(text) !== text) throw new TextError(`the ${field} starts or ends with white space; remove it`);
  return text;
}

/**
 * `text` with each TAB replaced by spaces up to the next multiple of TAB_STOP columns,
 * columns counting code points from the start of the line (Python's str.expandtabs, as
 * crypto.text.expand_tabs). A writer's step (§1.3), after CR LF and lone CR became LF.
 * @param {string} text @returns {string}
 */
export function expandTabs(text) {
  if (!text.includes("\t")) return text;
  const pieces = [];
  let column = 0;
  for (const ch of text) {
    if (ch === "\t") {
      const spaces = TAB_STOP - (column % TAB_STOP);
      pieces.push(" ".repeat(spaces));
      column += spaces;
    } else {
      pieces.push(ch);
      column = ch === "\n" || ch === "\r" ? 0 : column + 1;
    }
  }
  return pieces.join("");
}

/**
 * Return multi-line `text` with CR LF read as LF (crypto.text.check_multiline).
 * @param {unknown} text @param {{field: string, maxChars: number}} options
 * @returns {string} @throws {TextError}
 */
export function checkMultiline(text, { field, maxChars }) {
  const normal = typeof text === "string" ? text.replaceAll("\r\n", "\n") : text;
  checkTypeAndLength(normal, field, maxChars);
  const found = firstForbidden(normal, FORBIDDEN_BUT_LINE_FEED);
  if (found) {
    throw new TextError(`the ${field} contains a control or invisible formatting character (${describe(found.ch)}, at character ${found.position + 1}); only line breaks are allowed`);
  }
  return normal;
}
