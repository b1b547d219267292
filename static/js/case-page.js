// The reporter's case page on the browser path (docs/format.md §8).
//
// When this visit holds the reporter's keys (kept by the report or follow-up login page),
// the replies are fetched as the server stores them and opened and verified here: each
// reviewer signature against the organisation-signed reviewer list (never an unsigned or
// older one when the page names the organisation's key), the author among the case's
// reviewers, the binding to this case and reply key, and the sequence. They are shown in
// (reviewer, number) order, with a mark when the server listed them otherwise or when a
// reply is missing. A follow-up is sealed here to the case's reviewers (each checked
// against the signed list) and posted as ciphertext to /case/followup/sealed. Without keys
// in this visit (a session opened without JavaScript) the server-rendered page is left as
// it is. Reviewer-supplied text is shown isolated (<bdi>, dir=auto), so a name cannot
// reorder the words around it.

import * as c from "./candour-crypto.js";
import { filesToSeal } from "./scrub-files.js";
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
  rememberSeen,
  sealOnSubmit,
  sentenceFor,
  showProblem,
  text,
  trustedReviewers,
} from "./browser-common.js";
import { caseRecipients, orderReplyViews } from "./case-replies.js";
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
  if (browserSession) labelTimeline();
  // A follow-up sent before this page knows whether the visit holds the keys waits for the
  // answer (rather than being told the keys are missing when they are not); a browser
  // session's follow-up is never posted readable meanwhile.
  let settle;
  const sender = new Promise((resolve) => {
    settle = resolve;
  });
  const refuse = (sentence) => settle(() => Promise.reject(new ShownError(sentence)));
  const send = (form) => sender.then((chosen) => chosen(form));
  if (followForm && browserSession) intercept(followForm, send);
  if (!c.browserSealingSupported()) return refuse(text("keys-missing"));
  let stored;
  let data;
  try {
    await c.ready();
    stored = loadKeys();
    if (!stored) return refuse(text("keys-missing"));
    const response = await fetch(page.repliesUrl, { credentials: "same-origin", cache: "no-store" });
    data = await response.json();
    if (!data.ok) throw new Error("no case");
  } catch {
    if (browserSession) showProblem("replies-problem", text("replies-failed"));
    return refuse(text("keys-missing"));
  }
  if (stored.caseId !== data.case) {
    clearKeys(); // another case's keys: never use them here
    return refuse(text("keys-missing"));
  }
  if (followForm && !browserSession) intercept(followForm, send);
  let trusted;
  try {
    trusted = await trustedReviewers(page);
  } catch (error) {
    // Fail closed: no reply is shown as genuine, no follow-up is sealed to an unchecked key.
    const sentence = sentenceFor(error, "list-unverified");
    showProblem("replies-problem", sentence);
    document.getElementById("replies-server")?.setAttribute("hidden", "");
    document.getElementById("replies-device")?.setAttribute("hidden", "");
    return refuse(sentence);
  }
  // The proof-of-work stamp is worked out while the reporter writes (portal/flood.py).
  const stamper = new Stamper(page.challengeUrl);
  stamper.prepare();
  settle((form) => sealFollowup(form, page, stored.keys, trusted, data, stamper));
  try {
    showReplies(data, stored, trusted);
  } catch (error) {
    console.error(error);
    showProblem("replies-problem", text("replies-failed"));
  }
}

function intercept(form, send) {
  form.dataset.sealing = "device";
  sealOnSubmit(form, "followup-problem", send);
}

/** The status history is rendered and checked by the server: say so, next to the replies checked here. */
function labelTimeline() {
  const heading = document.getElementById("timeline-heading");
  if (!heading || document.getElementById("timeline-checked-by")) return;
  const note = document.createElement("p");
  note.className = "hint";
  note.id = "timeline-checked-by";
  note.textContent = text("timeline-server-checked");
  heading.after(note);
}

function reviewerName(trusted, keyId) {
  const entry = keyId ? trusted.byKeyId.get(typeof keyId === "string" ? keyId : c.toHex(keyId)) : null;
  if (!entry) return text("unknown-reviewer");
  return entry.role ? `${entry.displayName} (${entry.role})` : entry.displayName;
}

// Slots that hold text a reviewer (or the signed list) supplied: isolated from the page's own words.
const ISOLATED = new Set(["reviewer", "reason", "status"]);

function fill(template, slots) {
  const content = document.getElementById(template).content.cloneNode(true);
  for (const [name, value] of Object.entries(slots)) {
    const slot = content.querySelector(`[data-slot="${name}"]`);
    if (!slot) continue;
    if (ISOLATED.has(name)) {
      const isolated = document.createElement("bdi");
      isolated.textContent = value;
      slot.replaceChildren(isolated);
    } else {
      slot.textContent = value;
      if (name === "text") slot.dir = "auto";
    }
  }
  return content;
}

function hint(key) {
  const note = document.createElement("p");
  note.className = "hint";
  note.dataset.note = key;
  note.textContent = text(key);
  return note;
}

function showReplies(data, stored, trusted) {
  const replies = data.replies.map((reply) => ({
    statement: c.unb64u(reply.statement),
    signature: c.unb64u(reply.signature),
    forReporter: c.unb64u(reply.for_reporter),
  }));
  const { recipients, source } = caseRecipients(
    data.recipients,
    { caseId: data.case, signPublicKey: stored.keys.signPublicKey },
    stored.recipients,
    data.reviewers ?? [],
    trusted.byKeyId,
  );
  const classified = c.classifyReplies(replies, {
    caseId: data.case,
    reporterReplySecretKey: stored.keys.replySecretKey,
    reporterReplyPublicKey: stored.keys.replyPublicKey,
    knownReviewers: knownFrom(trusted),
    recipients,
  });
  const nameOf = (keyHex) => reviewerName(trusted, keyHex);
  const { views, reordered, seen } = orderReplyViews(classified, nameOf, stored.seen);
  rememberSeen(seen);
  const list = document.getElementById("replies-device-list");
  const items = [];
  if (reordered) items.push(hint("replies-reordered"));
  for (const view of views) {
    if (view.state === "verified") {
      const item = fill("reply-verified-template", {
        reviewer: reviewerName(trusted, view.statement.reviewerKeyId),
        day: view.statement.day,
        seq: String(view.statement.seq),
        text: view.body.text,
      });
      const article = item.querySelector("article");
      article.dataset.reviewer = c.toHex(view.statement.reviewerKeyId);
      article.dataset.seq = String(view.statement.seq);
      if (view.statement.status) {
        item.querySelector('[data-slot="status-line"]').hidden = false;
        fillIsolated(item.querySelector('[data-slot="status"]'), statusLabel(view.statement.status.status));
      }
      if (view.statement.feedback) {
        const mark = document.createElement("p");
        mark.className = "reply-feedback";
        const tag = document.createElement("span");
        tag.className = "tag tag-done";
        tag.textContent = text("reply-feedback");
        mark.append(tag);
        article.querySelector("h3")?.after(mark);
        article.dataset.feedback = "true";
      }
      if (!view.body.text) item.querySelector('[data-slot="text"]').remove();
      items.push(item);
    } else if (view.state === "rejected") {
      items.push(fill("reply-rejected-template", { reason: view.reason }));
    } else {
      const range = view.first === view.last ? String(view.first) : `${view.first}–${view.last}`;
      const item = fill("reply-missing-template", { reviewer: reviewerName(trusted, view.reviewerKeyId), range });
      if (view.known) item.querySelector("article")?.append(hint("reply-missing-known"));
      items.push(item);
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
  device.querySelector('[data-note^="replies-recipients-"]')?.remove();
  list.before(hint(`replies-recipients-${source}`));
  device.hidden = false;
  device.dataset.state = source === "tampered" ? "recipients-tampered" : "verified-on-device";
  device.dataset.recipients = source;
}

function fillIsolated(slot, value) {
  const isolated = document.createElement("bdi");
  isolated.textContent = value;
  slot.replaceChildren(isolated);
}

async function sealFollowup(form, page, keys, trusted, data, stamper) {
  const message = String(form.elements.namedItem("message").value);
  const input = form.querySelector('input[type="file"]');
  const files = input ? await filesToSeal(input) : [];
  if (files.length > page.maxFiles) throw new ShownError(text("too-many-files"));
  if (files.reduce((sum, file) => sum + file.size, 0) > page.maxBytes) throw new ShownError(text("too-large"));
  // Seal only to reviewers the reporter signed as the report's recipients (when the case
  // has that statement): a server listing a colleague the reporter left out gets nothing.
  const signed = caseRecipients(
    data.recipients,
    { caseId: data.case, signPublicKey: keys.signPublicKey },
    null,
    data.reviewers ?? [],
    trusted.byKeyId,
  );
  if (signed.source === "tampered") throw new ShownError(text("followup-recipients-tampered"));
  const keyIds = signed.source === "signed" ? data.reviewers.filter((keyHex) => signed.recipients.has(keyHex)) : data.reviewers;
  const recipients = recipientsFor(trusted, keyIds);
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
