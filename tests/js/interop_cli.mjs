// Drives candour-crypto.js (on the vendored libsodium) for tests/js/test_js_interop.py.
//
//   node tests/js/interop_cli.mjs < command.json > result.json
//
// One JSON command on stdin, one JSON result on stdout; bytes travel as base64url.
// Commands ("op"): "seal" a submission, "classify" replies as a reporter, "derive"
// reporter keys from a codename, "forbidden" (the text rule's characters), "texts"
// (checkLabel / checkMultiline on each text). Any failure exits 1 with the error on stderr.

import { candour as c, loadSodium } from "./sodium-node.mjs";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** Seal a report or follow-up: attachments first (as Blobs, read in slices), then part 0. */
async function seal(command) {
  const recipients = command.recipients.map((line) => c.parsePublicIdentity(line));
  const reporterKeys = c.deriveReporterKeys(command.codename, c.fromHex(command.salt));
  // A File, as a page gets from <input type=file>; a named Blob where File is missing (Node < 20).
  const files = command.attachments.map((a) =>
    typeof File === "function"
      ? new File([c.unb64u(a.data)], a.name, { type: a.type })
      : Object.assign(new Blob([c.unb64u(a.data)], { type: a.type }), { name: a.name }),
  );
  const progress = [];
  const sealed = await c.sealSubmission({
    recipients,
    kind: command.kind,
    caseId: command.case ?? null,
    day: command.day,
    reporterKeys,
    fields: command.fields,
    files,
    onProgress: (done, total) => progress.push([done, total]),
  });
  const parts = {};
  for (const { index, blob } of sealed.parts) parts[index] = c.b64u(new Uint8Array(await blob.arrayBuffer()));
  return {
    submission: sealed.submissionHex,
    parts,
    progress_last: progress.at(-1) ?? null,
    reporter: { reply_key: c.b64u(reporterKeys.replyPublicKey), sign_key: c.b64u(reporterKeys.signPublicKey) },
  };
}

/** The reporter's view of replies, checked against an organisation-signed reviewer list. */
function classify(command) {
  const list = c.verifyReviewerList(c.unb64u(command.reviewer_list), command.org_fingerprint);
  const keys = c.deriveReporterKeys(command.codename, c.fromHex(command.salt));
  const replies = command.replies.map((r) => ({
    statement: c.unb64u(r.statement),
    signature: c.unb64u(r.signature),
    forReporter: c.unb64u(r.for_reporter),
  }));
  const views = c.classifyReplies(replies, {
    caseId: command.case,
    reporterReplySecretKey: keys.replySecretKey,
    reporterReplyPublicKey: keys.replyPublicKey,
    knownReviewers: c.knownReviewersFromList(list),
  });
  return views.map((view) => {
    if (view.state === "verified") {
      return { state: "verified", reviewer_key_id: c.toHex(view.statement.reviewerKeyId), seq: view.statement.seq, text: view.body.text, status: view.statement.status };
    }
    if (view.state === "missing") return { state: "missing", reviewer_key_id: c.toHex(view.reviewerKeyId), first: view.first, last: view.last };
    return { state: "rejected", position: view.position, error: view.error, reason: view.reason, reviewer_key_id: view.reviewerKeyId && c.toHex(view.reviewerKeyId), seq: view.seq };
  });
}

function derive(command) {
  const codename = command.codename ?? c.generateCodename();
  const keys = c.deriveReporterKeys(codename, c.fromHex(command.salt));
  return {
    codename,
    normal: c.normaliseCodename(codename),
    login_token: c.toHex(keys.loginToken),
    reply_public_key: c.toHex(keys.replyPublicKey),
    sign_public_key: c.toHex(keys.signPublicKey),
  };
}

/** Every code point the text rule forbids, as [first, last] ranges. */
function forbidden() {
  const ranges = [];
  for (let cp = 0; cp <= 0x10ffff; cp += 1) {
    if (!c.isForbiddenChar(String.fromCodePoint(cp))) continue;
    const last = ranges.at(-1);
    if (last && last[1] === cp - 1) last[1] = cp;
    else ranges.push([cp, cp]);
  }
  return ranges;
}

/** checkLabel / checkMultiline on each text: the accepted value or the error's name. */
function texts(command) {
  return command.texts.map(({ kind, text, max_chars: maxChars, allow_empty: allowEmpty }) => {
    try {
      const value = kind === "label" ? c.checkLabel(text, { field: "name", maxChars, allowEmpty }) : c.checkMultiline(text, { field: "text", maxChars });
      return { ok: value };
    } catch (error) {
      if (!(error instanceof c.CandourError)) throw error;
      return { error: error.name };
    }
  });
}

/** codenameProblems on each {typed, expected}: the list of problems, as Python's dataclass fields. */
function codenameProblems(command) {
  return command.cases.map(({ typed, expected }) => c.codenameProblems(typed, expected ?? null));
}

const OPERATIONS = { seal, classify, derive, forbidden, texts, codename_problems: codenameProblems };

try {
  await loadSodium();
  const command = await readStdin();
  const operation = OPERATIONS[command.op];
  if (!operation) throw new Error(`unknown op ${JSON.stringify(command.op)}`);
  process.stdout.write(JSON.stringify(await operation(command)));
} catch (error) {
  process.stderr.write(`${error?.name}: ${error?.message}\n${error?.stack ?? ""}\n`);
  process.exitCode = 1;
}
