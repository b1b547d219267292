// A typed codename's refusals on the browser path, worded as the no-JavaScript pages word
// them: the rule is crypto/codename.js codenameProblems, the sentences come from the
// page's strings (portal/reporter/codename_words.py, with {count}, {position} and {word}
// left to fill). A sentence names a position and what was typed, never the right word.

import * as c from "./candour-crypto.js";
import { text } from "./browser-common.js";

// As portal/reporter/codename_words.py: a typed "word" can be any length.
const SHOWN_WORD_CHARS = 40;

/** What was typed, for display: forbidden characters escaped, long words cut, isolated (FSI … PDI). */
export function shownWord(word) {
  const visible = Array.from(word, (ch) => {
    if (!c.isForbiddenChar(ch)) return ch;
    const code = ch.codePointAt(0);
    return code < 256 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
  const cut = visible.length > SHOWN_WORD_CHARS ? `${visible.slice(0, SHOWN_WORD_CHARS).join("")}…` : visible.join("");
  return `\u2068${cut}\u2069`;
}

function fill(key, values) {
  return text(key).replace(/\{(count|position|word)\}/g, (_, name) => String(values[name]));
}

/** The sentences for codenameProblems' answer, in the page's language. */
export function problemSentences(problems) {
  return problems.map((problem) => {
    if (problem.kind === "empty") return text("codename-empty");
    if (problem.kind === "count") return fill("codename-count", { count: problem.count });
    const key = problem.kind === "unknown" ? "codename-unknown" : "codename-differs";
    return fill(key, { position: problem.position, word: shownWord(problem.word) });
  });
}

/**
 * Show `sentences` under the codename field (#codename-error) and mark the field
 * aria-invalid with the message linked by aria-describedby; [] clears both.
 * @param {string[]} sentences
 */
export function markCodenameField(sentences) {
  const field = document.getElementById("codename");
  const message = document.getElementById("codename-error");
  if (!field || !message) return;
  const invalid = sentences.length > 0;
  message.textContent = sentences.join(" ");
  message.hidden = !invalid;
  field.closest(".field")?.classList.toggle("field-error", invalid);
  if (invalid) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
  field.setAttribute("aria-describedby", invalid ? "codename-hint codename-error" : "codename-hint");
}
