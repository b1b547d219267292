// What the reporter pages share on the browser path (sealing on the device): the values
// and translated strings the template put in the page, the organisation-signed reviewer
// list (never an unsigned or older one when the page names the organisation's key), the
// upload with progress, and the reporter's keys for this visit (in memory, and in this
// tab's sessionStorage only wrapped under the visit's storage key the server hands back
// with each page: a copy of the browser profile's files opens nothing).
//
// No user-facing English lives here: every sentence comes from the page
// (templates/reporter/_browser.html, rendered with _()), so it can be translated.

import * as c from "./candour-crypto.js";

// The visit's keys live in their own module; the pages take them from here as before.
export { clearKeys, loadKeys, rememberSeen, saveKeys } from "./visit-keys.js";

/**
 * The page's values (data-* attributes of #candour-browser).
 * @returns {{salt: string, orgFingerprint: string, minListSerial: number, storageKey: string|null,
 *   listUrl: string, reportUrl: string, followupUrl: string, tokenUrl: string, caseUrl: string,
 *   repliesUrl: string, challengeUrl: string, maxBytes: number, maxFiles: number}|null}
 */
export function pageValues() {
  const element = document.getElementById("candour-browser");
  if (!element) return null;
  const d = element.dataset;
  return {
    salt: d.salt ?? "",
    orgFingerprint: d.orgFingerprint ?? "",
    // The serial of the list the portal loaded: an older list is a rollback.
    minListSerial: /^[0-9]+$/.test(d.minListSerial ?? "") ? Number(d.minListSerial) : 0,
    // null: the portal does not offer one (the keys then stay in memory only).
    storageKey: d.storageKey === undefined ? null : d.storageKey,
    listUrl: d.listUrl,
    reportUrl: d.reportUrl,
    followupUrl: d.followupUrl,
    tokenUrl: d.tokenUrl,
    caseUrl: d.caseUrl,
    repliesUrl: d.repliesUrl,
    challengeUrl: d.challengeUrl,
    maxBytes: Number(d.maxBytes),
    maxFiles: Number(d.maxFiles),
  };
}

/**
 * A translated sentence from the page's <template id="candour-strings">.
 * @param {string} key @returns {string}
 */
export function text(key) {
  const template = globalThis.document?.getElementById("candour-strings");
  const found = template?.content.querySelector(`[data-key="${key}"]`);
  return found ? found.textContent.trim() : key;
}

/** A failure whose sentence may be shown as it is (from the page or the server's JSON). */
export class ShownError extends Error {
  /** @param {string} sentence */
  constructor(sentence) {
    super(sentence);
    this.name = "ShownError";
  }
}

/**
 * Show a problem in an error box (role=alert) made by the `problem` macro, or hide it.
 * @param {string} id @param {string|null} sentence
 */
export function showProblem(id, sentence) {
  const box = document.getElementById(id);
  if (!box) return;
  const target = document.getElementById(`${id}-text`);
  if (sentence === null) {
    box.hidden = true;
    if (target) target.textContent = "";
    return;
  }
  box.hidden = false;
  if (target) target.textContent = sentence;
  box.scrollIntoView?.({ block: "center" });
}

/** The sentence to show for any failure: the page's own or a fixed fallback. */
export function sentenceFor(error, fallbackKey = "seal-failed") {
  if (error instanceof ShownError) return error.message;
  return text(fallbackKey);
}

/** CSRF token of the page (first hidden csrf_token input). */
export function csrfToken(root = document) {
  const input = root.querySelector('input[name="csrf_token"]');
  return input ? input.value : "";
}

/**
 * The reviewer list the browser trusts. When the page carries the organisation's
 * fingerprint (the instance has an organisation key), only a list signed by that key and
 * at least as new as the page's `data-min-list-serial` is accepted: an unsigned list (a
 * downgrade), another organisation's, a tampered or an older one (a rollback) throws
 * ShownError, and nothing is sent or shown as verified. Only a page with no fingerprint
 * (an instance without an organisation key, as the page says) takes the server's own
 * list, marked unsigned.
 * @param {ReturnType<typeof pageValues>} values
 * @returns {Promise<{signed: boolean, serial: number|null, byKeyId: Map<string, {identity: object,
 *   displayName: string, role: string, required: boolean, keyIdHex: string}>}>}
 */
export async function trustedReviewers(values) {
  let document_;
  try {
    const response = await fetch(values.listUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document_ = await response.json();
  } catch {
    throw new ShownError(text("list-unverified"));
  }
  return trustedFromDocument(document_, values);
}

/** The checks of trustedReviewers on the JSON the portal answered (separate for tests). */
export function trustedFromDocument(document_, { orgFingerprint, minListSerial }) {
  const byKeyId = new Map();
  const expectSigned = Boolean(orgFingerprint);
  if (document_?.signed === true) {
    let list;
    try {
      list = c.verifyReviewerList(c.utf8(String(document_.list)), orgFingerprint || null);
    } catch {
      throw new ShownError(text("list-unverified"));
    }
    if (list.serial < (minListSerial || 0)) throw new ShownError(text("list-rolled-back"));
    for (const entry of list.reviewers) byKeyId.set(entry.keyIdHex, entry);
    // Signed, but with no organisation fingerprint to check it against: as good as unsigned.
    return { signed: expectSigned, serial: list.serial, byKeyId };
  }
  // The page names the organisation's key: a list without its signature is a downgrade.
  if (expectSigned) throw new ShownError(text("list-unverified"));
  try {
    for (const raw of document_?.reviewers ?? []) {
      const identity = c.parsePublicIdentity(String(raw.identity));
      byKeyId.set(identity.keyIdHex, {
        identity,
        displayName: c.checkLabel(String(raw.display_name), { field: "reviewer's name", maxChars: 200 }),
        role: c.checkLabel(String(raw.role), { field: "reviewer's role", maxChars: 200, allowEmpty: true }),
        required: raw.required === true,
        keyIdHex: identity.keyIdHex,
      });
    }
  } catch {
    throw new ShownError(text("list-unverified"));
  }
  return { signed: false, serial: null, byKeyId };
}

/** Key id (hex) → identity, for classifyReplies. */
export function knownFrom(trusted) {
  return new Map([...trusted.byKeyId].map(([keyIdHex, entry]) => [keyIdHex, entry.identity]));
}

/**
 * Recipients for sealing, by key id, each taken from the trusted list (never from the page).
 * @param {Iterable<string>} keyIds @returns {object[]} identities
 */
export function recipientsFor(trusted, keyIds) {
  const out = [];
  for (const keyId of new Set(keyIds)) {
    const entry = trusted.byKeyId.get(keyId);
    if (!entry) throw new ShownError(text("reviewer-not-listed"));
    out.push(entry.identity);
  }
  if (out.length === 0) throw new ShownError(text("reviewer-not-listed"));
  return out;
}

/** Progress bars of the `progress` macro. */
export class Progress {
  constructor() {
    this.box = document.getElementById("seal-progress");
    this.phase = document.getElementById("seal-phase");
    this.bars = {
      seal: [document.getElementById("seal-bar"), document.getElementById("seal-bar-text")],
      upload: [document.getElementById("upload-bar"), document.getElementById("upload-bar-text")],
    };
  }

  start() {
    if (!this.box) return;
    this.box.hidden = false;
    this.set("seal", 0);
    this.set("upload", 0);
  }

  /** @param {string} key a string key from the page */
  say(key) {
    if (this.phase) this.phase.textContent = text(key);
  }

  /** @param {"seal"|"upload"} which @param {number} fraction 0..1 */
  set(which, fraction) {
    const [bar, label] = this.bars[which] ?? [];
    if (!bar) return;
    const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    bar.value = percent;
    bar.textContent = `${percent}%`;
    if (label) label.textContent = `${percent}%`;
  }
}

/**
 * POST a FormData with XMLHttpRequest (upload progress events); resolve with the JSON answer.
 * A network failure or an answer that is not the portal's JSON rejects with ShownError.
 * @param {string} url @param {FormData|URLSearchParams} body
 * @param {(fraction: number) => void} [onUpload]
 * @returns {Promise<{status: number, json: {ok: boolean, error?: string, case?: string}}>}
 */
export function post(url, body, onUpload = undefined) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.responseType = "text";
    request.withCredentials = true;
    if (onUpload) {
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable && event.total > 0) onUpload(event.loaded / event.total);
      });
      request.upload.addEventListener("load", () => onUpload(1));
    }
    request.addEventListener("load", () => {
      let json = null;
      try {
        json = JSON.parse(request.responseText);
      } catch {
        json = null;
      }
      if (json === null || typeof json !== "object" || typeof json.ok !== "boolean") {
        reject(new ShownError(text(request.status >= 500 ? "server-failed" : "upload-failed")));
        return;
      }
      resolve({ status: request.status, json });
    });
    request.addEventListener("error", () => reject(new ShownError(text("upload-failed"))));
    request.addEventListener("abort", () => reject(new ShownError(text("upload-failed"))));
    request.send(body);
  });
}

/** The portal answered and refused what was sent (not a lost connection or a failure). */
export class RefusedError extends ShownError {
  constructor(sentence) {
    super(sentence);
    this.name = "RefusedError";
  }
}

/** The server's refusal sentence (fixed wording from the portal), or a fallback. */
export function refusal(json) {
  const error = new RefusedError(typeof json?.error === "string" && json.error ? json.error : text("server-failed"));
  // A login token that matched nothing: whether version 1 codenames exist (followup-page.js).
  error.legacyCodenames = json?.legacy_codenames === true;
  return error;
}

/**
 * Open a browser session with a login token (the codename never leaves the device).
 * When the portal answers a new `storage_key` (the visit's key changes at login), the
 * keys saved afterwards are wrapped under it.
 * @returns {Promise<string>} the case id
 */
export async function logInWithToken(values, loginToken) {
  const body = new URLSearchParams({ csrf_token: csrfToken(), login_token: c.b64u(loginToken) });
  const { json } = await post(values.tokenUrl, body);
  if (!json.ok || typeof json.case !== "string") throw refusal(json);
  // A login may start a new visit key: the next page carries it, so wrap under it.
  if (typeof json.storage_key === "string") {
    const element = document.getElementById("candour-browser");
    if (element) element.dataset.storageKey = json.storage_key;
  }
  return json.case;
}

/** Disable or enable a form's submit buttons. */
export function setBusy(form, busy) {
  for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = busy;
  form.setAttribute("aria-busy", busy ? "true" : "false");
}

/**
 * Take over a form's submit on the device path: the readable form is never posted;
 * `send(form)` seals and sends it, and a failure is shown in the `problemId` box while
 * what the reporter typed stays in the form. One send at a time.
 * @param {HTMLFormElement} form @param {string} problemId
 * @param {(form: HTMLFormElement) => Promise<unknown>} send
 */
export function sealOnSubmit(form, problemId, send) {
  let busy = false;
  form.addEventListener("submit", (event) => {
    // Never let the browser post the readable form on this path.
    event.preventDefault();
    if (busy) return;
    busy = true;
    setBusy(form, true);
    showProblem(problemId, null);
    send(form)
      .catch((error) => {
        if (!(error instanceof ShownError)) console.error(error);
        showProblem(problemId, sentenceFor(error));
        form.dataset.state = "failed";
      })
      .finally(() => {
        busy = false;
        setBusy(form, false);
      });
  });
}
