// Padding (§3, crypto/padding.py).

import { PaddingError } from "./errors.js";

export const MIN_PADDED_SIZE = 16 * 1024;
export const PAD_MARKER = 0x80;
const RELEASE_PIECE_BYTES = 64 * 1024;

function bitLength(n) {
  let bits = 0;
  while (2 ** bits <= n) bits += 1;
  return bits;
}

/** PADMÉ(L): round up so only the top bits of the length remain. @param {number} length */
export function padme(length) {
  if (length < 2) return length;
  const exponent = bitLength(length) - 1;
  const mantissaBits = bitLength(exponent);
  const step = 2 ** (exponent - mantissaBits);
  return Math.ceil(length / step) * step;
}

/** max(16 KiB, PADMÉ(n + 1)): plaintext + marker + zeros. @param {number} plaintextSize */
export function paddedSize(plaintextSize) {
  return Math.max(MIN_PADDED_SIZE, padme(plaintextSize + 1));
}

/** ISO/IEC 7816-4 padding of a whole message. @param {Uint8Array} content @returns {Uint8Array} */
export function pad(content) {
  const out = new Uint8Array(paddedSize(content.length));
  out.set(content, 0);
  out[content.length] = PAD_MARKER;
  return out;
}

/** Remove padding from a whole buffer. @param {Uint8Array} padded @throws {PaddingError} */
export function unpad(padded) {
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end -= 1;
  if (end === 0 || padded[end - 1] !== PAD_MARKER) {
    throw new PaddingError("the message has no valid padding: it was not made by Candour");
  }
  const content = padded.subarray(0, end - 1);
  if (padded.length !== paddedSize(content.length)) {
    throw new PaddingError("the message's padded length does not match its content length");
  }
  return content;
}

/** Strips padding from a stream, holding a possible padding run only as a count. */
export class StreamingUnpadder {
  constructor() {
    this.heldMarker = false;
    this.heldZeros = 0;
    this.contentSize = 0;
    this.totalSize = 0;
  }

  /**
   * The bytes of `data` (and any held run) that are certainly content, in pieces.
   * @param {Uint8Array} data @returns {Uint8Array[]}
   */
  feed(data) {
    const pieces = [];
    if (data.length === 0) return pieces;
    this.totalSize += data.length;
    let last = data.length - 1;
    while (last >= 0 && data[last] === 0) last -= 1;
    if (last < 0) {
      this.heldZeros += data.length;
      return pieces;
    }
    for (const piece of this.releaseHeld()) pieces.push(piece);
    let released;
    if (data[last] === PAD_MARKER) {
      released = data.subarray(0, last);
      this.heldMarker = true;
      this.heldZeros = data.length - last - 1;
    } else {
      released = data;
    }
    if (released.length) pieces.push(released);
    for (const piece of pieces) this.contentSize += piece.length;
    return pieces;
  }

  *releaseHeld() {
    let zeros = this.heldZeros;
    const marker = this.heldMarker;
    this.heldMarker = false;
    this.heldZeros = 0;
    if (marker) yield Uint8Array.of(PAD_MARKER);
    while (zeros) {
      const size = Math.min(zeros, RELEASE_PIECE_BYTES);
      yield new Uint8Array(size);
      zeros -= size;
    }
  }

  /** @throws {PaddingError} unless the held run is exactly the padding */
  finish() {
    if (!this.heldMarker) throw new PaddingError("the part has no valid padding: it was not made by Candour");
    if (this.totalSize !== paddedSize(this.contentSize)) {
      throw new PaddingError("the part's padded length does not match its content length");
    }
  }
}
