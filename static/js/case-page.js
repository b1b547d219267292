// The reporter's case page on the browser path (docs/format.md §8).
//
// When this tab holds the reporter's keys (saved by the report or follow-up login page),
// the replies are fetched as the server stores them and opened and verified here: each
// reviewer signature against the organisation-signed reviewer list (checked against the
// fingerprint the page carries), the binding to this case and reply key, and the sequence.
// A follow-up is sealed here to the case's reviewers (each checked against the signed
// list) and posted as ciphertext to /case/followup/sealed. Without keys in this tab (a
// session opened without JavaScript) the server-rendered page is left as it is.

import * as c from "./candour-crypto.js";
import {
  Progress,
  ShownError,
  clearKeys,
  csrfToken,
  knownFrom,
  loadKeys,
  pageValues,
  post,
  recipientsFor,
  refusal,
  sealOnSubmit,
  sentenceFor,
  showProblem,
  text,
  trustedReviewers,
} from "./browser-common.js";
import { Stamper } from "./pow.js";

const values = pageValues();
if (values) start(values);

function statusLabel(key) {
  const found = document.getElementById("status-labels")?.content.querySelector(`[data-status="${CSS.escape(key)}"]`);
  return found ? found.textContent.trim() : key;
}

async function start(page) {
  document.getElementById("logout-form")?.addEventListener("submit", () => clearKeys());
  const followForm = document.getElementById("followup-form");
  const browserSession = Boolean(document.getElementById("candour-case"));
  // Until this tab is known to hold the keys, a browser session must not post its
  // follow-up readable to the server: stop the form and say why.
  let sendFollowup = (_form) => Promise.reject(new ShownError(text("keys-missing")));
  if (followForm && browserSession) intercept(followForm, (form) => sendFollowup(form));
  if (!c.browserSealingSupported()) return;
  let stored;
  let data;
  try {
    await c.ready();
    stored = loadKeys();
    if (!stored) return;
    const response = await fetch(page.repliesUrl, { credentials: "same-origin", cache: "no-store" });
    data = await response.json();
    if (!data.ok) throw new Error("no case");
  } catch (error) {
    if (browserSession) showProblem("replies-problem", text("replies-failed"));
    return;
  }
  if (stored.caseId !== data.case) {
    clearKeys(); // another case's keys: never use them here
    return;
  }
  if (followForm && !browserSession) intercept(followForm, (form) => sendFollowup(form));
  let trusted;
  try {
    trusted = await trustedReviewers(page);
  } catch (error) {
    // Fail closed: no reply is shown as genuine, no follow-up is sealed to an unchecked key.
    const sentence = sentenceFor(error, "list-unverified");
    showProblem("replies-problem", sentence);
    document.getElementById("replies-server")?.setAttribute("hidden", "");
    sendFollowup = () => Promise.reject(new ShownError(sentence));
    return;
  }
  // The proof-of-work stamp is worked out while the reporter writes (portal/flood.py).
  const stamper = new Stamper(page.challengeUrl);
  stamper.prepare();
  sendFollowup = (form) => sealFollowup(form, page, stored.keys, trusted, data, stamper);
  try {
    showReplies(data, stored.keys, trusted);
  } catch (error) {
    console.error(error);
    showProblem("replies-problem", text("replies-failed"));
  }
}

function intercept(form, send) {
  form.dataset.sealing = "device";
  sealOnSubmit(form, "followup-problem", send);
}

function reviewerName(trusted, keyId) {
  const entry = keyId ? trusted.byKeyId.get(c.toHex(keyId)) : null;
  if (!entry) return text("unknown-reviewer");
  return entry.role ? `${entry.displayName} (${entry.role})` : entry.displayName;
}

function fill(template, slots) {
  const content = document.getElementById(template).content.cloneNode(true);
  for (const [name, value] of Object.entries(slots)) {
    const slot = content.querySelector(`[data-slot="${name}"]`);
    if (slot) slot.textContent = value;
  }
  return content;
}

function showReplies(data, keys, trusted) {
  const replies = data.replies.map((reply) => ({
    statement: c.unb64u(reply.statement),
    signature: c.unb64u(reply.signature),
    forReporter: c.unb64u(reply.for_reporter),
  }));
  const views = c.classifyReplies(replies, {
    caseId: data.case,
    reporterReplySecretKey: keys.replySecretKey,
    reporterReplyPublicKey: keys.replyPublicKey,
    knownReviewers: knownFrom(trusted),
  });
  const list = document.getElementById("replies-device-list");
  const items = [];
  for (const view of views) {
    if (view.state === "verified") {
      const item = fill("reply-verified-template", {
        reviewer: reviewerName(trusted, view.statement.reviewerKeyId),
        day: view.statement.day,
        seq: String(view.statement.seq),
        text: view.body.text,
      });
      if (view.statement.status) {
        item.querySelector('[data-slot="status-line"]').hidden = false;
        item.querySelector('[data-slot="status"]').textContent = statusLabel(view.statement.status.status);
      }
      if (!view.body.text) item.querySelector('[data-slot="text"]').remove();
      items.push(item);
    } else if (view.state === "rejected") {
      items.push(fill("reply-rejected-template", { reason: view.reason }));
    } else {
      const range = view.first === view.last ? String(view.first) : `${view.first}–${view.last}`;
      items.push(fill("reply-missing-template", { reviewer: reviewerName(trusted, view.reviewerKeyId), range }));
    }
  }
  if (items.length === 0) {
    const none = document.createElement("p");
    none.textContent = text("no-replies");
    items.push(none);
  }
  list.replaceChildren(...items);
  document.getElementById("replies-server")?.setAttribute("hidden", "");
  document.getElementById("replies-unsigned-note").hidden = trusted.signed;
  const device = document.getElementById("replies-device");
  device.hidden = false;
  device.dataset.state = "verified-on-device";
}

async function sealFollowup(form, page, keys, trusted, data, stamper) {
  const message = String(form.elements.namedItem("message").value);
  const input = form.querySelector('input[type="file"]');
  const files = input ? [...input.files] : [];
  if (files.length > page.maxFiles) throw new ShownError(text("too-many-files"));
  if (files.reduce((sum, file) => sum + file.size, 0) > page.maxBytes) throw new ShownError(text("too-large"));
  const recipients = recipientsFor(trusted, data.reviewers);
  try {
    c.checkFields("followup", { message });
  } catch (error) {
    throw new ShownError(text(error instanceof c.LimitError ? "text-too-long" : "form-refused"));
  }
  const progress = new Progress();
  progress.start();
  progress.say("phase-sealing");
  const sealed = await c.sealSubmission({
    recipients,
    kind: "followup",
    caseId: data.case,
    reporterKeys: keys,
    fields: { message },
    files,
    onProgress: (done, total) => progress.set("seal", total > 0 ? done / total : 1),
  });
  progress.set("seal", 1);
  progress.say("phase-stamp");
  const body = new FormData();
  body.append("csrf_token", csrfToken(form));
  await stamper.appendTo(body);
  for (const { index, blob } of sealed.parts) body.append(`part${index}`, blob, `part${index}.cnd`);
  progress.say("phase-upload");
  const { json } = await post(page.followupUrl, body, (fraction) => progress.set("upload", fraction));
  if (!json.ok) throw refusal(json);
  progress.set("upload", 1);
  progress.say("phase-done");
  form.dataset.state = "sent";
  window.location.assign(`${page.caseUrl}?sent=1`);
}
