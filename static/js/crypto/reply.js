// Replies as the reporter reads them (§8, crypto/reply.py).

import { BindingError, CandourError, FormatError, LimitError, NotARecipientError, SequenceError, SignatureError, TextError } from "./errors.js";
import { checkMultiline } from "./text.js";
import { na } from "./sodium.js";
import { ascii, bytesEqual, concatBytes, toHex } from "./bytes.js";
import { hash256 } from "./kdf.js";
import { isJsonInteger, JsonReader } from "./strict-json.js";
import { paddedSize, unpad } from "./padding.js";
import { KEY_ID_BYTES, SUBMISSION_ID_BYTES } from "./envelope.js";
import { verifySignature } from "./identity.js";

const REPLY_CONTEXT = ascii("candour/v1 reply\0");
const MAX_TEXT_CHARS = 100000;
const MAX_REASON_CHARS = 2000;
const MAX_STATUS_CHARS = 64;
const MAX_SEQ = 999999999;
const MAX_STATEMENT_BYTES = 32 * 1024;
const MAX_BODY_BYTES = 6 * MAX_TEXT_CHARS + 1024;
const MAX_FOR_REPORTER_BYTES = paddedSize(MAX_BODY_BYTES) + 48;
const STATEMENT_KEYS_V1 = ["format", "version", "case", "reporter_reply_key", "reviewer", "reviewer_key_id", "seq", "day", "status", "for_reporter_hash", "for_reviewers_hash"];
// Version 2 adds "feedback" (after "status"): the reviewer marks the reply as the feedback
// the reporter is owed (crypto/deadlines.py). Version 1 reads as feedback = false.
const STATEMENT_KEYS_V2 = [...STATEMENT_KEYS_V1.slice(0, 9), "feedback", ...STATEMENT_KEYS_V1.slice(9)];
const STATEMENT_VERSIONS = [1, 2];
const statementJson = new JsonReader("the reply's statement");
const bodyJson = new JsonReader("the reply's text");

// Status and outcome names are the workflow's identifiers (§15, crypto.strict_json.JsonReader.name).
function workflowName(r, text, where) {
  if (!/^[a-z][a-z0-9_]*$/.test(text)) throw r.fail(`${where} must be a name of a-z, 0-9 and _ starting with a letter, not '${text}'`);
  return text;
}

// Multi-line text as a reader sees it (§1.3, JsonReader.multiline): LF only among the
// forbidden characters; a CR is refused (writers turn line ends into LF before signing).
function multiline(r, text, where) {
  if (text.includes("\r")) throw r.fail(`${where} contains a carriage return (CR); only line feeds (LF) end its lines`);
  try {
    return checkMultiline(text, { field: where, maxChars: Infinity });
  } catch (error) {
    if (error instanceof TextError) throw r.fail(error.message);
    throw error;
  }
}

/**
 * Parse a reply statement strictly (no signature check). @param {Uint8Array} statementBytes
 * @throws {FormatError|LimitError}
 */
export function parseStatement(statementBytes) {
  const r = statementJson;
  const loaded = r.loads(statementBytes, MAX_STATEMENT_BYTES);
  const version = loaded instanceof Map ? loaded.get("version") : undefined;
  const v2 = isJsonInteger(version) && Number(version) === 2;
  const document = r.obj(loaded, "the statement", v2 ? STATEMENT_KEYS_V2 : STATEMENT_KEYS_V1);
  r.header(document, "the statement", "candour-reply", STATEMENT_VERSIONS);
  const feedback = v2 ? r.boolean(document.get("feedback"), "'feedback'") : false;
  let status = null;
  if (document.get("status") !== null) {
    const json = r.obj(document.get("status"), "'status'", ["status", "outcome", "reason"]);
    const outcome = r.optionalText(json.get("outcome"), "'status.outcome'", MAX_STATUS_CHARS);
    status = {
      status: workflowName(r, r.text(json.get("status"), "'status.status'", MAX_STATUS_CHARS, true), "'status.status'"),
      outcome: outcome === null || outcome === "" ? outcome : workflowName(r, outcome, "'status.outcome'"),
      reason: multiline(r, r.text(json.get("reason"), "'status.reason'", MAX_REASON_CHARS), "'status.reason'"),
    };
    if (status.outcome === "") throw r.fail("'status.outcome' is a name or null, not empty");
  }
  return {
    case: r.hexId(document.get("case"), "'case'", SUBMISSION_ID_BYTES),
    reporterReplyKey: r.raw(document.get("reporter_reply_key"), "'reporter_reply_key'", { byteCount: 32 }),
    reviewer: r.raw(document.get("reviewer"), "'reviewer'", { byteCount: 32 }),
    reviewerKeyId: r.hexBytes(document.get("reviewer_key_id"), "'reviewer_key_id'", KEY_ID_BYTES),
    seq: r.integer(document.get("seq"), "'seq'", 1, MAX_SEQ),
    day: r.day(document.get("day"), "'day'"),
    status,
    feedback,
    version: Number(version),
    forReporterHash: r.raw(document.get("for_reporter_hash"), "'for_reporter_hash'", { byteCount: 32 }),
    forReviewersHash: r.raw(document.get("for_reviewers_hash"), "'for_reviewers_hash'", { byteCount: 32 }),
    raw: statementBytes,
  };
}

/** Parse a reply body strictly. @param {Uint8Array} bodyBytes @throws {FormatError|LimitError} */
export function parseReplyBody(bodyBytes) {
  const r = bodyJson;
  const document = r.obj(r.loads(bodyBytes, MAX_BODY_BYTES), "the body", ["format", "version", "case", "seq", "reviewer_key_id", "text"]);
  r.header(document, "the body", "candour-reply-body", 1);
  return {
    case: r.hexId(document.get("case"), "'case'", SUBMISSION_ID_BYTES),
    seq: r.integer(document.get("seq"), "'seq'", 1, MAX_SEQ),
    reviewerKeyId: r.hexBytes(document.get("reviewer_key_id"), "'reviewer_key_id'", KEY_ID_BYTES),
    text: multiline(r, r.text(document.get("text"), "'text'", MAX_TEXT_CHARS), "'text'"),
  };
}

function findReviewer(knownReviewers, keyId) {
  return knownReviewers.get(toHex(keyId)) ?? null;
}

/**
 * Parse a statement and check it is signed by the known reviewer it names.
 * @param {Uint8Array} statementBytes @param {Uint8Array} signature
 * @param {Map<string, object>} knownReviewers key id hex → identity (the org-signed list)
 * @returns {{statement: object, identity: object}}
 * @throws {FormatError|LimitError|SignatureError|BindingError}
 */
export function verifyStatementSignature(statementBytes, signature, knownReviewers) {
  const statement = parseStatement(statementBytes);
  const identity = findReviewer(knownReviewers, statement.reviewerKeyId);
  if (identity === null) {
    throw new SignatureError(`the reply is signed by key id ${toHex(statement.reviewerKeyId)}, which is not a known reviewer`);
  }
  if (!bytesEqual(identity.keyId, statement.reviewerKeyId) || !bytesEqual(identity.signPublicKey, statement.reviewer)) {
    throw new BindingError(`the reply names reviewer key id ${toHex(statement.reviewerKeyId)} but carries another reviewer's signing key`);
  }
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw new SignatureError("the reply's signature is not 64 bytes");
  if (!verifySignature(signature, concatBytes(REPLY_CONTEXT, statement.raw), identity.signPublicKey)) {
    throw new SignatureError(`the reply's signature by ${identity.name} (${identity.keyIdHex}) does not verify: it was altered or forged`);
  }
  return { statement, identity };
}

/** The statement is for this case and this reporter's reply key. @throws {BindingError} */
export function checkReplyBinding(statement, caseId, reporterReplyKey) {
  if (statement.case !== caseId) throw new BindingError(`the reply is for case ${statement.case}, not for case ${caseId}`);
  if (!bytesEqual(statement.reporterReplyKey, reporterReplyKey)) {
    throw new BindingError("the reply is sealed to a different reporter key than this case's: it was made for another reporter (or the key was swapped)");
  }
}

/**
 * The signer is one of the case's recipients (crypto.reply.check_recipient, §8).
 * @param {Iterable<string>} caseRecipientKeyIds key ids (hex) the report was sealed to
 * @throws {BindingError}
 */
export function checkRecipient(statement, caseRecipientKeyIds) {
  const keyHex = toHex(statement.reviewerKeyId);
  if (!new Set(caseRecipientKeyIds).has(keyHex)) {
    throw new BindingError(`the reply is signed by reviewer ${keyHex}, who is not a recipient of case ${statement.case}: only the reviewers the report was sealed to can reply on it`);
  }
}

/**
 * `statement.seq` is greater than the reviewer's last accepted reply on the case
 * (crypto.reply.check_sequence, §8): equal or lower is a replay; a skip is accepted.
 * @param {Map<string, number>} previousSeqByReviewer key id (hex) → last accepted seq
 * @throws {SequenceError}
 */
export function checkSequence(previousSeqByReviewer, statement) {
  const keyHex = toHex(statement.reviewerKeyId);
  const last = previousSeqByReviewer.get(keyHex) ?? 0;
  if (statement.seq <= last) {
    throw new SequenceError(`reply ${statement.seq} from ${keyHex} is not newer than the last accepted (${last}): it is a replay or an old reply`);
  }
}

function checkBodyMatches(body, statement) {
  if (body.case !== statement.case || body.seq !== statement.seq || !bytesEqual(body.reviewerKeyId, statement.reviewerKeyId)) {
    throw new BindingError("the reply's text names another case, number or reviewer than its signed statement: it was moved from another reply");
  }
  if (body.text === "" && statement.status === null) throw new FormatError("the reply has no text and no status change");
}

/**
 * Open the reporter's copy of a reply and bind it to its statement (no signature check:
 * use classifyReplies, which does both).
 * @param {{statement: Uint8Array, signature: Uint8Array, forReporter: Uint8Array}} reply
 * @throws {BindingError|LimitError|NotARecipientError|PaddingError|FormatError}
 */
export function openReplyForReporter(reply, reporterReplySecretKey, reporterReplyPublicKey) {
  const statement = parseStatement(reply.statement);
  if (!bytesEqual(statement.reporterReplyKey, reporterReplyPublicKey)) throw new BindingError("the reply was sealed to another reporter's key");
  if (reply.forReporter.length > MAX_FOR_REPORTER_BYTES) throw new LimitError("the reporter's copy of the reply is larger than the format allows");
  if (!bytesEqual(hash256(reply.forReporter), statement.forReporterHash)) {
    throw new BindingError("the reporter's copy of the reply does not match the hash in the signed statement: it belongs to another reply");
  }
  let padded;
  try {
    padded = na().crypto_box_seal_open(reply.forReporter, reporterReplyPublicKey, reporterReplySecretKey);
  } catch {
    throw new NotARecipientError("the reply does not open with your codename's key");
  }
  const body = parseReplyBody(unpad(padded));
  checkBodyMatches(body, statement);
  return body;
}

function bestEffortIdentity(statementBytes) {
  try {
    const statement = parseStatement(statementBytes);
    return { reviewerKeyId: statement.reviewerKeyId, seq: statement.seq };
  } catch {
    return { reviewerKeyId: null, seq: null };
  }
}

/**
 * The reporter's view of a case's replies, by the rules of crypto.reply.classify_replies.
 * Returns views in display order: `{state: "verified", statement, body, reviewer}`,
 * `{state: "rejected", position, reason, error, reviewerKeyId, seq}` (never show its
 * content) and `{state: "missing", reviewerKeyId, first, last}` gap markers.
 * @param {{statement: Uint8Array, signature: Uint8Array, forReporter: Uint8Array}[]} replies
 *   in the order the server lists them
 * @param {{caseId: string, reporterReplySecretKey: Uint8Array, reporterReplyPublicKey: Uint8Array,
 *   knownReviewers: Map<string, object>, recipients?: Set<string>|null}} context
 *   `recipients`: key ids (hex) of the reviewers the case was sealed to; when given, a reply
 *   signed by a listed reviewer who is not one of them is rejected (a listed colleague the
 *   reporter left out cannot answer as if they were on the case).
 * @returns {object[]}
 */
export function classifyReplies(replies, { caseId, reporterReplySecretKey, reporterReplyPublicKey, knownReviewers, recipients = null }) {
  const checked = [];
  const seen = new Set();
  const present = new Map();
  replies.forEach((reply, position) => {
    let statement;
    let identity;
    let body;
    try {
      ({ statement, identity } = verifyStatementSignature(reply.statement, reply.signature, knownReviewers));
      checkReplyBinding(statement, caseId, reporterReplyPublicKey);
      if (recipients !== null && !recipients.has(identity.keyIdHex)) {
        throw new BindingError(`the reply is signed by ${identity.name} (${identity.keyIdHex}), who is not one of the reviewers your report was sealed to`);
      }
      body = openReplyForReporter(reply, reporterReplySecretKey, reporterReplyPublicKey);
    } catch (error) {
      if (!(error instanceof CandourError)) throw error;
      checked.push({ state: "rejected", position, reason: error.message, error: error.name, ...bestEffortIdentity(reply.statement) });
      return;
    }
    const keyHex = toHex(statement.reviewerKeyId);
    const marker = `${keyHex}:${statement.seq}`;
    if (seen.has(marker)) {
      checked.push({
        state: "rejected",
        position,
        reason: `this is a second copy of reply ${statement.seq} from ${identity.name}: a replay`,
        error: "SequenceError",
        reviewerKeyId: statement.reviewerKeyId,
        seq: statement.seq,
      });
      return;
    }
    seen.add(marker);
    if (!present.has(keyHex)) present.set(keyHex, []);
    present.get(keyHex).push(statement.seq);
    checked.push({ state: "verified", statement, body, reviewer: identity });
  });
  for (const numbers of present.values()) numbers.sort((a, b) => a - b);
  const consideredBelow = new Map();
  const views = [];
  for (const view of checked) {
    if (view.state === "verified") {
      const keyHex = toHex(view.statement.reviewerKeyId);
      const seq = view.statement.seq;
      const start = consideredBelow.get(keyHex) ?? 1;
      if (seq > start) {
        let expected = start;
        for (const number of present.get(keyHex)) {
          if (number < start) continue;
          if (number > seq) break;
          if (number > expected) views.push({ state: "missing", reviewerKeyId: view.statement.reviewerKeyId, first: expected, last: number - 1 });
          expected = number + 1;
        }
        consideredBelow.set(keyHex, seq);
      }
    }
    views.push(view);
  }
  return views;
}
