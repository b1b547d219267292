// The report form, sealed on the reporter's device (docs/format.md §6, §7).
//
// With JavaScript and WebAssembly: on submit, the normal form post is stopped; the reviewer
// list is verified against the organisation fingerprint; the codename is generated and its
// keys derived here; every field and file is sealed to the chosen and required reviewers
// (files read in slices); and only ciphertext and public values are posted to
// /report/sealed. Any failure sends nothing (or aborts the upload) and says so; what the
// reporter typed stays in the form. Then the codename page is shown here, with the same
// confirmation step as the server's.
//
// Without WebAssembly (Tor Browser "Safer"): a notice says the server will seal the report,
// and the normal form is sent (the server path). Without JavaScript none of this runs.

import * as c from "./candour-crypto.js";
import { filesToSeal } from "./scrub-files.js";
import {
  Progress,
  ShownError,
  clearKeys,
  csrfToken,
  logInWithToken,
  pageValues,
  post,
  recipientsFor,
  refusal,
  saveKeys,
  sealOnSubmit,
  sentenceFor,
  setBusy,
  showProblem,
  text,
  trustedReviewers,
} from "./browser-common.js";
import { Stamper } from "./pow.js";
import { markCodenameField, problemSentences } from "./codename-problems.js";

const REPORT_FIELDS = ["category", "what", "when", "where", "who", "outcome"];

const form = document.querySelector("form.report-form");
const values = pageValues();
if (form && values) start(form, values);

/** @param {HTMLFormElement} reportForm @param {NonNullable<ReturnType<typeof pageValues>>} page */
function start(reportForm, page) {
  if (!c.browserSealingSupported()) {
    // The server path: say plainly what it means, then let the normal form post go.
    document.getElementById("server-sealing-notice").hidden = false;
    reportForm.dataset.sealing = "server";
    return;
  }
  reportForm.dataset.sealing = "device";
  document.getElementById("sealing-server-note").hidden = true;
  document.getElementById("sealing-device-note").hidden = false;
  const sodium = c.ready();
  sodium.catch(() => {}); // reported when the reporter sends, not before
  const trusted = sodium.then(() => trustedReviewers(page));
  // The proof-of-work stamp is worked out while the reporter writes (portal/flood.py).
  const stamper = new Stamper(page.challengeUrl);
  sodium.then(
    () => stamper.prepare(),
    () => {},
  );
  trusted.then(
    (list) => {
      if (!list.signed) document.getElementById("list-unsigned-notice").hidden = false;
    },
    // Say it before the reporter writes a long report that could not be sent from here.
    (error) => {
      if (error instanceof ShownError) showProblem("seal-problem", error.message);
    },
  );
  sealOnSubmit(reportForm, "seal-problem", (form) => sealAndSend(form, page, sodium, trusted, stamper));
}

function fieldValue(reportForm, name) {
  const element = reportForm.elements.namedItem(name);
  return element && "value" in element ? String(element.value) : "";
}

/** Key ids the report goes to: the required reviewers (page and signed list) and the ticked ones. */
function chosenKeyIds(reportForm, trusted) {
  const ids = new Set();
  for (const item of reportForm.querySelectorAll("li.reviewer[data-key-id]")) ids.add(item.dataset.keyId);
  for (const box of reportForm.querySelectorAll('input[name="reviewer"]')) if (box.checked) ids.add(box.value);
  for (const [keyId, entry] of trusted.byKeyId) if (entry.required) ids.add(keyId);
  return [...ids];
}

async function sealAndSend(reportForm, page, sodium, trustedPromise, stamper) {
  await sodium;
  const trusted = await trustedPromise;
  if (fieldValue(reportForm, "website") !== "") throw new ShownError(text("form-refused"));
  const fields = Object.fromEntries(REPORT_FIELDS.map((name) => [name, fieldValue(reportForm, name)]));
  const input = reportForm.querySelector('input[type="file"][name="attachments"]');
  const files = input ? await filesToSeal(input) : [];
  if (files.length > page.maxFiles) throw new ShownError(text("too-many-files"));
  if (files.reduce((sum, file) => sum + file.size, 0) > page.maxBytes) throw new ShownError(text("too-large"));
  const keyIds = chosenKeyIds(reportForm, trusted);
  const recipients = recipientsFor(trusted, keyIds);
  try {
    c.checkFields("report", fields);
  } catch (error) {
    throw new ShownError(text(error instanceof c.LimitError ? "text-too-long" : "form-refused"));
  }

  const progress = new Progress();
  progress.start();
  progress.say("phase-keys");
  await new Promise((resolve) => setTimeout(resolve, 30)); // paint the notice first
  const codename = c.generateCodename();
  const keys = c.deriveReporterKeys(codename, c.fromHex(page.salt), c.CODENAME_VERSION);
  progress.say("phase-sealing");
  const sealed = await c.sealSubmission({
    recipients,
    kind: "report",
    reporterKeys: keys,
    fields,
    files,
    onProgress: (done, total) => progress.set("seal", total > 0 ? done / total : 1),
  });
  progress.set("seal", 1);

  progress.say("phase-stamp");
  const body = new FormData();
  body.append("csrf_token", csrfToken(reportForm));
  await stamper.appendTo(body);
  body.append("login_token", c.b64u(keys.loginToken));
  body.append("reply_key", c.b64u(keys.replyPublicKey));
  body.append("sign_key", c.b64u(keys.signPublicKey));
  body.append("codename_version", String(c.CODENAME_VERSION));
  for (const keyId of keyIds) body.append("reviewer", keyId);
  // The recipients statement (docs/format.md §7.1): a later visit checks the recipients
  // against this signature rather than the server's list.
  const signed = c.signRecipients(keys.signSecretKey, sealed.submissionHex, keyIds);
  body.append("recipients_statement", c.b64u(signed.statement));
  body.append("recipients_signature", c.b64u(signed.signature));
  for (const { index, blob } of sealed.parts) body.append(`part${index}`, blob, `part${index}.cnd`);
  progress.say("phase-upload");
  const { json } = await post(page.reportUrl, body, (fraction) => progress.set("upload", fraction));
  if (!json.ok || typeof json.case !== "string") throw refusal(json);
  progress.set("upload", 1);
  progress.say("phase-done");
  reportForm.dataset.state = "sent";
  showCodename(page, codename, keys, json.case, keyIds);
}

/** Replace the form with the codename page (templates/reporter/_codename_body.html). */
function showCodename(page, codename, keys, caseId, keyIds) {
  const main = document.getElementById("main");
  const content = document.getElementById("codename-template").content.cloneNode(true);
  const list = content.querySelector("ol.codename");
  for (const word of codename.split(" ")) {
    const item = document.createElement("li");
    item.textContent = word;
    list.append(item);
  }
  // Keep the page's values, its strings and the finished progress bars.
  const kept = ["candour-browser", "candour-strings", "seal-progress"].map((id) => document.getElementById(id));
  main.replaceChildren(content);
  main.append(...kept.filter(Boolean));
  document.title = `${main.querySelector("h2#codename-heading")?.textContent ?? ""} – ${document.title.split(" – ").pop()}`;
  main.querySelector("h1")?.focus();

  const confirm = document.getElementById("codename-confirm");
  let busy = false;
  confirm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) return;
    const typed = String(confirm.elements.namedItem("codename").value);
    const problems = c.codenameProblems(typed, codename);
    const sentences = problemSentences(problems);
    markCodenameField(sentences);
    if (problems.length) {
      showProblem("codename-problem", sentences.join(" "));
      return;
    }
    showProblem("codename-problem", null);
    busy = true;
    setBusy(confirm, true);
    logInWithToken(page, keys.loginToken)
      .then((loggedIn) => {
        if (loggedIn !== caseId) throw new ShownError(text("server-failed"));
        saveKeys(caseId, keys, keyIds);
        window.location.assign(page.caseUrl);
      })
      .catch((error) => {
        clearKeys();
        showProblem("codename-problem", sentenceFor(error, "server-failed"));
        busy = false;
        setBusy(confirm, false);
      });
  });
}
