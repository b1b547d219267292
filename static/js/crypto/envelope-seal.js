// Sealing an envelope as its bytes arrive (§2, crypto/envelope.py).

import { FormatError, LimitError } from "./errors.js";
import { na } from "./sodium.js";
import { concatBytes, toHex } from "./bytes.js";
import { hash256, keyedHash256, subkey } from "./kdf.js";
import { PAD_MARKER, paddedSize } from "./padding.js";
import { checkHeaderFields, CHUNK_SIZE, CONTENT_KEY_BYTES, KEY_ID_BYTES, LABEL_MAC_KEY, LABEL_PAYLOAD_KEY, MAGIC, MAX_PADDED_PART_SIZE, PREFIX_BYTES, sealedSize, SUITE, TAG_FINAL, TAG_MESSAGE, VERSION } from "./envelope.js";

/**
 * Seals one part as its bytes arrive (crypto.envelope.EnvelopeSealer). Every sealed piece
 * (the header first, then each chunk) goes to `emit` as soon as it exists.
 */
export class EnvelopeSealer {
  /**
   * @param {{keyId: Uint8Array, boxPublicKey: Uint8Array}[]} recipients 1..16 reviewers
   * @param {Uint8Array} submissionId 16 bytes, the same in every part of a submission
   * @param {number} partIndex 0..63
   * @param {(piece: Uint8Array) => void} emit receives the envelope in order
   */
  constructor(recipients, submissionId, partIndex, emit) {
    const s = na();
    checkHeaderFields(submissionId, partIndex, recipients.length);
    const keyIds = recipients.map((r) => toHex(r.keyId));
    if (new Set(keyIds).size !== keyIds.length) throw new LimitError("the same reviewer is listed twice among the recipients");
    if (recipients.some((r) => r.keyId.length !== KEY_ID_BYTES || r.boxPublicKey.length !== 32)) {
      throw new FormatError("a recipient needs an 8-byte key id and a 32-byte X25519 public key");
    }
    const contentKey = s.randombytes_buf(CONTENT_KEY_BYTES);
    const stanzas = recipients.map((r) => concatBytes(r.keyId, s.crypto_box_seal(contentKey, r.boxPublicKey)));
    const pushed = s.crypto_secretstream_xchacha20poly1305_init_push(subkey(contentKey, LABEL_PAYLOAD_KEY));
    const prefix = new Uint8Array(PREFIX_BYTES);
    prefix.set(MAGIC, 0);
    prefix[7] = VERSION;
    prefix[8] = SUITE;
    prefix.set(submissionId, 9);
    prefix[25] = partIndex >> 8;
    prefix[26] = partIndex & 255;
    prefix[27] = recipients.length;
    const unauthenticated = concatBytes(prefix, ...stanzas, pushed.header);
    const mac = keyedHash256(subkey(contentKey, LABEL_MAC_KEY), unauthenticated);
    s.memzero(contentKey);
    const header = concatBytes(unauthenticated, mac);
    this.state = pushed.state;
    this.ad = hash256(header);
    this.emit = emit;
    this.pending = new Uint8Array(CHUNK_SIZE);
    this.fill = 0;
    this.plaintextSize = 0;
    this.sealedSize = header.length;
    this.finished = false;
    this.submissionId = submissionId;
    this.partIndex = partIndex;
    emit(header);
  }

  /** BLAKE2b-256 of the whole header: part 0's manifest lists it for each attachment. */
  get headerHash() {
    return this.ad;
  }

  pushChunk(chunk, tag) {
    const sealed = na().crypto_secretstream_xchacha20poly1305_push(this.state, chunk, this.ad, tag);
    this.sealedSize += sealed.length;
    this.emit(sealed);
  }

  /** Seal more plaintext. @param {Uint8Array} data */
  write(data) {
    if (this.finished) throw new Error("this part is already sealed");
    this.plaintextSize += data.length;
    if (paddedSize(this.plaintextSize) > MAX_PADDED_PART_SIZE) {
      throw new LimitError("the part is larger than the format allows (16 GiB)");
    }
    let offset = 0;
    while (offset < data.length) {
      // A full chunk always goes out as MESSAGE: padding (at least one byte) follows it.
      if (this.fill === CHUNK_SIZE) {
        this.pushChunk(this.pending, TAG_MESSAGE);
        this.fill = 0;
      }
      const take = Math.min(CHUNK_SIZE - this.fill, data.length - offset);
      this.pending.set(data.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
    }
    if (this.fill === CHUNK_SIZE) {
      this.pushChunk(this.pending, TAG_MESSAGE);
      this.fill = 0;
    }
  }

  /**
   * Pad, seal the final chunk (TAG_FINAL) and describe the part.
   * @returns {{submissionId: Uint8Array, partIndex: number, headerHash: Uint8Array,
   *   plaintextSize: number, sealedSize: number}}
   */
  finish() {
    if (this.finished) throw new Error("this part is already sealed");
    this.finished = true;
    let remaining = paddedSize(this.plaintextSize) - this.plaintextSize;
    let marker = true;
    while (remaining > 0) {
      if (this.fill === CHUNK_SIZE) {
        this.pushChunk(this.pending, TAG_MESSAGE);
        this.fill = 0;
      }
      const take = Math.min(CHUNK_SIZE - this.fill, remaining);
      this.pending.fill(0, this.fill, this.fill + take);
      if (marker) {
        this.pending[this.fill] = PAD_MARKER;
        marker = false;
      }
      this.fill += take;
      remaining -= take;
    }
    this.pushChunk(this.pending.subarray(0, this.fill), TAG_FINAL);
    this.pending = null;
    return {
      submissionId: this.submissionId,
      partIndex: this.partIndex,
      headerHash: this.ad,
      plaintextSize: this.plaintextSize,
      sealedSize: this.sealedSize,
    };
  }
}

/**
 * Seal bytes held in memory (part 0, tests). @returns {Uint8Array} the whole envelope
 */
export function sealBytes(data, recipients, submissionId, partIndex) {
  const pieces = [];
  const sealer = new EnvelopeSealer(recipients, submissionId, partIndex, (piece) => pieces.push(piece));
  sealer.write(data);
  sealer.finish();
  return concatBytes(...pieces);
}

const COLLECT_BYTES = 8 * 1024 * 1024;

/**
 * Gathers sealed pieces into a Blob a few MiB at a time, so a large envelope lives in the
 * browser's blob store rather than in JavaScript memory.
 */
export class BlobCollector {
  constructor() {
    this.blobs = [];
    this.buffered = [];
    this.bufferedBytes = 0;
    this.size = 0;
    this.push = this.push.bind(this);
  }

  /** @param {Uint8Array} piece */
  push(piece) {
    this.buffered.push(piece);
    this.bufferedBytes += piece.length;
    this.size += piece.length;
    if (this.bufferedBytes >= COLLECT_BYTES) this.flush();
  }

  flush() {
    if (this.buffered.length) this.blobs.push(new Blob(this.buffered));
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  /** @returns {Blob} everything pushed so far, in order */
  toBlob() {
    this.flush();
    return new Blob(this.blobs, { type: "application/octet-stream" });
  }
}

const READ_SLICE_BYTES = 16 * CHUNK_SIZE; // 1 MiB per read

/**
 * Seal a Blob or File as one envelope, reading it in 1 MiB slices so a large file is never
 * in memory whole.
 * @param {Blob} file
 * @param {{keyId: Uint8Array, boxPublicKey: Uint8Array}[]} recipients
 * @param {Uint8Array} submissionId
 * @param {number} partIndex
 * @param {(done: number, total: number) => void} [onProgress] plaintext bytes sealed so far
 * @param {(piece: Uint8Array) => void} [onPiece] receives the envelope's pieces in order;
 *   without it they are gathered into `blob`
 * @returns {Promise<{part: object, blob: Blob|null}>}
 */
export async function sealFile(file, recipients, submissionId, partIndex, onProgress = undefined, onPiece = undefined) {
  const collector = onPiece ? null : new BlobCollector();
  const sealer = new EnvelopeSealer(recipients, submissionId, partIndex, onPiece ?? collector.push);
  const total = file.size;
  for (let offset = 0; offset < total; offset += READ_SLICE_BYTES) {
    const end = Math.min(offset + READ_SLICE_BYTES, total);
    const slice = new Uint8Array(await file.slice(offset, end).arrayBuffer());
    if (slice.length !== end - offset) throw new Error("the file changed while it was being read");
    sealer.write(slice);
    onProgress?.(end, total);
  }
  const part = sealer.finish();
  if (total === 0) onProgress?.(0, 0);
  return { part, blob: collector ? collector.toBlob() : null };
}
