// The recipients statement (§7.1, crypto/submission/recipients.py): the reviewers a report
// was sealed to, signed by the reporter when sealing, so a later visit checks them against
// the reporter's own signature instead of the server's list.

import { FormatError, SignatureError } from "./errors.js";
import { na } from "./sodium.js";
import { ascii, bytesEqual, concatBytes, strictDecoder } from "./bytes.js";
import { verifySignature } from "./identity.js";

const RECIPIENTS_CONTEXT = ascii("candour/v1 recipients\0");
const MAX_RECIPIENTS = 255;
const MAX_STATEMENT_BYTES = 8192;
const CASE = /^[0-9a-f]{32}$/;
const KEY_ID = /^[0-9a-f]{16}$/;

/** The canonical statement bytes: compact JSON, keys in this order, ids sorted, no repeats. */
export function recipientsStatement(caseId, keyIds) {
  if (typeof caseId !== "string" || !CASE.test(caseId)) throw new FormatError("the case id must be 32 lowercase hex digits");
  if (!Array.isArray(keyIds) || keyIds.length === 0 || keyIds.length > MAX_RECIPIENTS) throw new FormatError(`a report goes to 1..${MAX_RECIPIENTS} reviewers`);
  if (keyIds.some((id) => typeof id !== "string" || !KEY_ID.test(id)) || new Set(keyIds).size !== keyIds.length) {
    throw new FormatError("recipients must be distinct key ids of 16 lowercase hex digits");
  }
  // Hex strings of one length: code-unit order is Python's sorted() order.
  const sorted = [...keyIds].sort();
  return ascii(JSON.stringify({ format: "candour-recipients", version: 1, case: caseId, recipients: sorted }));
}

/** The statement and the reporter's Ed25519 signature over context ‖ statement. */
export function signRecipients(signSecretKey, caseId, keyIds) {
  const statement = recipientsStatement(caseId, keyIds);
  return { statement, signature: na().crypto_sign_detached(concatBytes(RECIPIENTS_CONTEXT, statement), signSecretKey) };
}

/**
 * The recipients' key ids (sorted) if the reporter signed this statement for this case;
 * SignatureError or FormatError otherwise.
 */
export function verifyRecipients(statement, signature, signPublicKey, caseId) {
  if (statement.length > MAX_STATEMENT_BYTES) throw new FormatError("the recipients statement is too long");
  if (signature.length !== 64) throw new SignatureError("the recipients statement's signature is not 64 bytes");
  if (!verifySignature(signature, concatBytes(RECIPIENTS_CONTEXT, statement), signPublicKey)) {
    throw new SignatureError("the recipients statement is not signed by this case's reporter");
  }
  let value;
  try {
    value = JSON.parse(strictDecoder.decode(statement));
  } catch {
    throw new FormatError("the recipients statement is not JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new FormatError("the recipients statement is not an object");
  if (value.case !== caseId) throw new FormatError("the recipients statement names another case");
  const recipients = value.recipients;
  if (!Array.isArray(recipients) || !recipients.every((id) => typeof id === "string")) {
    throw new FormatError("the recipients statement's list is not a list of key ids");
  }
  // A writer makes only canonical bytes: rebuild them and compare (keys, order, version).
  if (!bytesEqual(recipientsStatement(caseId, recipients), statement)) throw new FormatError("the recipients statement is not in its canonical form");
  return [...recipients];
}
