// Coming back with a codename, on the browser path (docs/format.md §6).
//
// With WebAssembly the codename never leaves this device: the browser derives the login
// token and the reporter's keys (Argon2id), posts only the token to /followup/token, keeps
// the keys in this tab's sessionStorage for the case page, and opens the case. Without
// WebAssembly a notice says what the server path means and the normal form is sent.

import * as c from "./candour-crypto.js";
import {
  RefusedError,
  ShownError,
  clearKeys,
  logInWithToken,
  pageValues,
  saveKeys,
  sentenceFor,
  setBusy,
  showProblem,
  text,
} from "./browser-common.js";
import { markCodenameField, problemSentences } from "./codename-problems.js";

const form = document.getElementById("followup-login-form");
const values = pageValues();
if (form && values) start(form, values);

function start(loginForm, page) {
  if (!c.browserSealingSupported()) {
    document.getElementById("server-login-notice").hidden = false;
    loginForm.dataset.sealing = "server";
    return;
  }
  loginForm.dataset.sealing = "device";
  document.getElementById("device-login-note").hidden = false;
  const sodium = c.ready();
  sodium.catch(() => {});
  const status = document.getElementById("login-status");
  let busy = false;
  loginForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    setBusy(loginForm, true);
    showProblem("login-problem", null);
    markCodenameField([]);
    status.textContent = text("checking-codename");
    logIn(loginForm, page, sodium)
      .then(() => window.location.assign(page.caseUrl))
      .catch((error) => {
        if (!(error instanceof ShownError)) console.error(error);
        clearKeys();
        status.textContent = "";
        const sentence = sentenceFor(error, "seal-failed");
        showProblem("login-problem", sentence);
        // The codename's own fault (a word, the count, or no case for it): marked on the field.
        if (error instanceof CodenameRefused || error instanceof RefusedError) markCodenameField([sentence]);
        busy = false;
        setBusy(loginForm, false);
      });
  });
}

/** What is wrong with the typed codename, named word by word. */
class CodenameRefused extends ShownError {}

async function logIn(loginForm, page, sodium) {
  await sodium;
  const typed = String(loginForm.elements.namedItem("codename").value);
  const problems = c.codenameProblems(typed);
  if (problems.length) throw new CodenameRefused(problemSentences(problems).join(" "));
  const codename = c.normaliseCodename(typed);
  await new Promise((resolve) => setTimeout(resolve, 30)); // paint the status first
  const salt = c.fromHex(page.salt);
  let keys = c.deriveReporterKeys(codename, salt, c.CODENAME_VERSION);
  let caseId;
  try {
    caseId = await logInWithToken(page, keys.loginToken);
  } catch (error) {
    if (error?.legacyCodenames !== true) throw error;
    // A case made before codename version 2: derive its version 1 keys here, on the
    // device (Argon2id, a moment), so the codename still never leaves it.
    keys = c.deriveReporterKeys(codename, salt, 1);
    caseId = await logInWithToken(page, keys.loginToken);
  }
  saveKeys(caseId, keys);
}
