// Envelope sizes, constants and header fields (§2, crypto/envelope.py).

import { LimitError } from "./errors.js";
import { na } from "./sodium.js";
import { ascii } from "./bytes.js";
import { paddedSize } from "./padding.js";

export const MAGIC = ascii("CANDOUR");
export const VERSION = 1;
export const SUITE = 1;
export const SUBMISSION_ID_BYTES = 16;
export const KEY_ID_BYTES = 8;
export const CONTENT_KEY_BYTES = 32;
const SEALED_KEY_BYTES = CONTENT_KEY_BYTES + 48;
export const STANZA_BYTES = KEY_ID_BYTES + SEALED_KEY_BYTES;
export const STREAM_HEADER_BYTES = 24;
export const MAC_BYTES = 32;
export const PREFIX_BYTES = 28;
export const MAX_STANZAS = 16;
export const MAX_PARTS = 64;
export const CHUNK_SIZE = 64 * 1024;
export const CHUNK_OVERHEAD = 17;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + CHUNK_OVERHEAD;
export const MAX_PADDED_PART_SIZE = 2 ** 34;
export const TAG_MESSAGE = 0;
export const TAG_FINAL = 3;
export const LABEL_MAC_KEY = "candour/v1 header mac";
export const LABEL_PAYLOAD_KEY = "candour/v1 payload";

/** Header size for n stanzas: 84 + 88·n. */
export function headerSize(stanzaCount) {
  return PREFIX_BYTES + stanzaCount * STANZA_BYTES + STREAM_HEADER_BYTES + MAC_BYTES;
}

/** Exact envelope size for a part of this many bytes. */
export function sealedSize(plaintextSize, stanzaCount) {
  const padded = paddedSize(plaintextSize);
  return headerSize(stanzaCount) + padded + Math.ceil(padded / CHUNK_SIZE) * CHUNK_OVERHEAD;
}

/** 16 random bytes: a submission id (and, for a report, its case id). */
export function newSubmissionId() {
  return na().randombytes_buf(SUBMISSION_ID_BYTES);
}

export function checkHeaderFields(submissionId, partIndex, stanzaCount) {
  if (!(submissionId instanceof Uint8Array) || submissionId.length !== SUBMISSION_ID_BYTES) {
    throw new LimitError(`a submission id is ${SUBMISSION_ID_BYTES} bytes`);
  }
  if (!Number.isInteger(partIndex) || partIndex < 0 || partIndex >= MAX_PARTS) {
    throw new LimitError(`part index ${partIndex} is outside 0..${MAX_PARTS - 1}`);
  }
  if (stanzaCount < 1 || stanzaCount > MAX_STANZAS) {
    throw new LimitError(`an envelope has 1 to ${MAX_STANZAS} recipients, not ${stanzaCount}`);
  }
}
