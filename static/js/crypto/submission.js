// Submissions: fields, manifest, signed part 0 (§7, crypto/submission.py).

import { FormatError, LimitError } from "./errors.js";
import { na } from "./sodium.js";
import { checkLabel, checkMultiline, codePointLength, expandTabs, isForbiddenChar, isWellFormed, pyStrip } from "./text.js";
import { ascii, b64u, concatBytes, isDay, isHex, toHex, utcDay } from "./bytes.js";
import { dumpsCompact } from "./strict-json.js";
import { MAX_PADDED_PART_SIZE, MAX_PARTS, newSubmissionId, SUBMISSION_ID_BYTES } from "./envelope.js";
import { EnvelopeSealer, sealFile } from "./envelope-seal.js";

const SUBMISSION_CONTEXT = ascii("candour/v1 submission\0");
const REPORT_FIELDS = ["category", "what", "when", "where", "who", "outcome"];
const LABEL_FIELD = "category"; // a label (§1.3); the other report fields are multi-line text
const FIELDS_BY_KIND = { report: REPORT_FIELDS, followup: ["message"] };
const REQUIRED_FIELD = { report: "what", followup: "message" };
export const MAX_FIELD_CHARS = 100000;
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_ATTACHMENTS = MAX_PARTS - 1;
const MAX_ATTACHMENT_NAME_CHARS = 255;
const MAX_ATTACHMENT_TYPE_CHARS = 255;
const MAX_ATTACHMENT_SIZE = MAX_PADDED_PART_SIZE - 1;

/**
 * Check a submission's fields and return all of them in format order (missing optional
 * report fields become ""). @throws {FormatError|LimitError}
 */
export function checkFields(kind, fields) {
  if (!Object.hasOwn(FIELDS_BY_KIND, kind)) throw new FormatError(`a submission is a 'report' or a 'followup', not '${kind}'`);
  const allowed = FIELDS_BY_KIND[kind];
  const unknown = Object.keys(fields).filter((name) => !allowed.includes(name)).sort();
  if (unknown.length) throw new FormatError(`a ${kind} has no field '${unknown[0]}' (its fields are ${allowed.join(", ")})`);
  const complete = {};
  for (const name of allowed) {
    const value = Object.hasOwn(fields, name) ? fields[name] : "";
    if (typeof value !== "string") throw new FormatError(`the field '${name}' must be text`);
    const length = codePointLength(value);
    if (length > MAX_FIELD_CHARS) throw new LimitError(`the field '${name}' has ${length} characters; at most ${MAX_FIELD_CHARS} are allowed`);
    if (!isWellFormed(value)) throw new FormatError(`the field '${name}' is not valid Unicode`);
    // §1.3 (crypto.submission.check_fields): the category is a label (white space at its ends
    // removed once); the other fields are multi-line text, CR LF and lone CR read as LF and each
    // TAB turned into spaces before signing (a table pasted from an e-mail is kept, not refused).
    // Any other control or formatting character is refused.
    if (name === LABEL_FIELD) {
      complete[name] = checkLabel(pyStrip(value), { field: `field '${name}'`, maxChars: MAX_FIELD_CHARS, allowEmpty: true });
      continue;
    }
    const text = expandTabs(value.replaceAll("\r\n", "\n").replaceAll("\r", "\n"));
    const expanded = codePointLength(text);
    if (expanded > MAX_FIELD_CHARS) {
      throw new LimitError(`the field '${name}' has ${expanded} characters once its tabs are spaces; at most ${MAX_FIELD_CHARS} are allowed`);
    }
    complete[name] = checkMultiline(text, { field: `field '${name}'`, maxChars: MAX_FIELD_CHARS });
  }
  if (complete[REQUIRED_FIELD[kind]] === "") throw new FormatError(`a ${kind} needs its '${REQUIRED_FIELD[kind]}' field filled in`);
  return complete;
}

function checkAttachmentInfo(info) {
  if (!Number.isInteger(info.part) || info.part < 1 || info.part > MAX_ATTACHMENTS) {
    throw new LimitError(`an attachment is part 1 to ${MAX_ATTACHMENTS}, not ${info.part}`);
  }
  if (typeof info.name !== "string" || typeof info.type !== "string") throw new FormatError("an attachment's name and type must be strings");
  if (codePointLength(info.name) > MAX_ATTACHMENT_NAME_CHARS) throw new LimitError(`an attachment's name is at most ${MAX_ATTACHMENT_NAME_CHARS} characters`);
  if (codePointLength(info.type) > MAX_ATTACHMENT_TYPE_CHARS) throw new LimitError(`an attachment's type is at most ${MAX_ATTACHMENT_TYPE_CHARS} characters`);
  if (!Number.isSafeInteger(info.size) || info.size < 0 || info.size > MAX_ATTACHMENT_SIZE) {
    throw new LimitError(`an attachment's size ${info.size} is outside what the format allows`);
  }
  if (!(info.headerHash instanceof Uint8Array) || info.headerHash.length !== 32) throw new FormatError("an attachment's header hash must be 32 bytes");
  if (!isWellFormed(info.name) || !isWellFormed(info.type)) throw new FormatError("an attachment's name or type is not valid Unicode");
  checkLabel(info.name, { field: "attachment's name", maxChars: MAX_ATTACHMENT_NAME_CHARS });
  checkLabel(info.type, { field: "attachment's type", maxChars: MAX_ATTACHMENT_TYPE_CHARS, allowEmpty: true });
}

// A file name or media type as the device gave it, made a label (§7, crypto.submission.seal.device_label):
// forbidden characters and white space at either end removed; a name left empty becomes "attachment".
function deviceLabel(text) {
  if (typeof text !== "string") return text;
  return pyStrip([...text].filter((ch) => !isForbiddenChar(ch)).join(""));
}

/**
 * Describe a sealed attachment for part 0's manifest.
 * @param {object} sealedPart what EnvelopeSealer.finish / sealFile returned
 * @param {string} name the file's name on the device @param {string} type its media type
 */
export function attachmentInfoFromSealed(sealedPart, name, type) {
  const info = {
    part: sealedPart.partIndex,
    name: deviceLabel(name) || "attachment",
    type: deviceLabel(type),
    size: sealedPart.plaintextSize,
    headerHash: sealedPart.headerHash,
  };
  checkAttachmentInfo(info);
  return info;
}

/**
 * The manifest JSON bytes part 0 signs (§7), after every check; no cryptography.
 * @param {{submissionId: Uint8Array, kind: "report"|"followup", caseId?: string|null, day: string,
 *   reporter: {replyPublicKey: Uint8Array, signPublicKey: Uint8Array}, fields: object,
 *   attachments: object[]}} args
 * @returns {Uint8Array}
 */
export function buildManifest({ submissionId, kind, caseId = null, day, reporter, fields, attachments = [] }) {
  if (!(submissionId instanceof Uint8Array) || submissionId.length !== SUBMISSION_ID_BYTES) {
    throw new FormatError(`a submission id is ${SUBMISSION_ID_BYTES} bytes`);
  }
  const completeFields = checkFields(kind, fields);
  const submissionHex = toHex(submissionId);
  let caseHex = caseId;
  if (kind === "report") {
    if (caseId !== null && caseId !== undefined && caseId !== submissionHex) {
      throw new FormatError("a report's case id is its submission id; pass caseId=null or the same value");
    }
    caseHex = submissionHex;
  } else if (!isHex(caseId, SUBMISSION_ID_BYTES)) {
    throw new FormatError("a follow-up must name its case (32 lowercase hex characters)");
  }
  if (caseHex === submissionHex && kind === "followup") throw new FormatError("a follow-up needs a fresh submission id, not the case id");
  if (!isDay(day)) throw new FormatError(`the day must be written YYYY-MM-DD, not '${day}'`);
  if (reporter.replyPublicKey.length !== 32 || reporter.signPublicKey.length !== 32) {
    throw new FormatError("the reporter's keys must be 32 bytes each");
  }
  if (attachments.length > MAX_ATTACHMENTS) throw new LimitError(`a submission has at most ${MAX_ATTACHMENTS} attachments`);
  attachments.forEach((info, index) => {
    checkAttachmentInfo(info);
    if (info.part !== index + 1) throw new FormatError(`attachments must be parts 1..n in order; entry ${index + 1} is part ${info.part}`);
  });
  const manifest = {
    format: "candour-submission",
    version: 1,
    kind,
    case: caseHex,
    submission: submissionHex,
    day,
    reporter: { reply_key: b64u(reporter.replyPublicKey), sign_key: b64u(reporter.signPublicKey) },
    fields: completeFields,
    attachments: attachments.map((info) => ({
      part: info.part,
      name: info.name,
      type: info.type,
      size: info.size,
      header_hash: b64u(info.headerHash),
    })),
  };
  const encoded = dumpsCompact(manifest);
  if (encoded.length > MAX_MANIFEST_BYTES) {
    throw new LimitError(`the submission's text is ${encoded.length} bytes once encoded; at most ${MAX_MANIFEST_BYTES} fit in one submission: move long text into an attached file`);
  }
  return encoded;
}

/**
 * Build, sign and seal part 0 of a submission (crypto.submission.seal_submission_text_part).
 * @param {{recipients: object[], submissionId: Uint8Array, kind: "report"|"followup",
 *   caseId?: string|null, day: string, reporterKeys: object, fields: object, attachments?: object[]}} args
 * @returns {{envelope: Uint8Array, part: object, manifest: Uint8Array}}
 */
export function sealSubmissionTextPart({ recipients, submissionId, kind, caseId = null, day, reporterKeys, fields, attachments = [] }) {
  const manifest = buildManifest({ submissionId, kind, caseId, day, reporter: reporterKeys, fields, attachments });
  const signature = na().crypto_sign_detached(concatBytes(SUBMISSION_CONTEXT, manifest), reporterKeys.signSecretKey);
  const plaintext = dumpsCompact({ signed: b64u(manifest), signature: b64u(signature) });
  const pieces = [];
  const sealer = new EnvelopeSealer(recipients, submissionId, 0, (piece) => pieces.push(piece));
  sealer.write(plaintext);
  const part = sealer.finish();
  return { envelope: concatBytes(...pieces), part, manifest };
}

/**
 * Seal a whole submission in the browser: every file as parts 1..n (read in slices), then
 * the signed part 0 listing them.
 * @param {{recipients: object[], kind: "report"|"followup", caseId?: string|null,
 *   day?: string, reporterKeys: object, fields: object, files?: File[],
 *   submissionId?: Uint8Array, onProgress?: (done: number, total: number) => void}} args
 * @returns {Promise<{submissionId: Uint8Array, submissionHex: string,
 *   parts: {index: number, blob: Blob, part: object}[]}>} parts in index order, part 0 first
 */
export async function sealSubmission({ recipients, kind, caseId = null, day = utcDay(), reporterKeys, fields, files = [], submissionId = newSubmissionId(), onProgress = undefined }) {
  // Check the text before sealing any file: a bad field should fail in milliseconds.
  checkFields(kind, fields);
  if (files.length > MAX_ATTACHMENTS) throw new LimitError(`a submission has at most ${MAX_ATTACHMENTS} attachments`);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let before = 0;
  const sealedFiles = [];
  const infos = [];
  for (const [index, file] of files.entries()) {
    const partIndex = index + 1;
    const progress = onProgress ? (done) => onProgress(before + done, total) : undefined;
    const { part, blob } = await sealFile(file, recipients, submissionId, partIndex, progress);
    before += file.size;
    infos.push(attachmentInfoFromSealed(part, file.name ?? "", file.type ?? ""));
    sealedFiles.push({ index: partIndex, blob, part });
  }
  const textPart = sealSubmissionTextPart({ recipients, submissionId, kind, caseId, day, reporterKeys, fields, attachments: infos });
  return {
    submissionId,
    submissionHex: toHex(submissionId),
    parts: [{ index: 0, blob: new Blob([textPart.envelope], { type: "application/octet-stream" }), part: textPart.part }, ...sealedFiles],
  };
}
