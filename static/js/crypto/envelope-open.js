// Reading and opening an envelope (§2, crypto/envelope.py).

import { FormatError, HeaderMacError, LimitError, NotARecipientError, PayloadError, TrailingDataError, TruncatedError, TruncatedPayloadError, UnsupportedVersionError } from "./errors.js";
import { na } from "./sodium.js";
import { bytesEqual, concatBytes, toHex } from "./bytes.js";
import { hash256, keyedHash256, subkey } from "./kdf.js";
import { StreamingUnpadder } from "./padding.js";
import { CHUNK_OVERHEAD, CHUNK_SIZE, CONTENT_KEY_BYTES, KEY_ID_BYTES, LABEL_MAC_KEY, LABEL_PAYLOAD_KEY, MAC_BYTES, MAGIC, MAX_PADDED_PART_SIZE, MAX_PARTS, MAX_STANZAS, PREFIX_BYTES, SEALED_CHUNK_SIZE, STANZA_BYTES, STREAM_HEADER_BYTES, SUITE, TAG_FINAL, TAG_MESSAGE, VERSION } from "./envelope.js";

class ByteSource {
  constructor(bytes) {
    this.bytes = bytes;
    this.position = 0;
  }

  readUpTo(size) {
    const end = Math.min(this.position + size, this.bytes.length);
    const out = this.bytes.subarray(this.position, end);
    this.position = end;
    return out;
  }

  readExact(size, what) {
    const out = this.readUpTo(size);
    if (out.length !== size) throw new TruncatedError(`the envelope ends inside its ${what}: it was cut short in transfer`);
    return out;
  }
}

/**
 * Parse an envelope header and check its structure and caps, with no keys (§2.3 steps 1–2).
 * @param {Uint8Array} bytes the envelope (or at least its header)
 */
export function readHeader(bytes) {
  return readHeaderFrom(new ByteSource(bytes));
}

function readHeaderFrom(source) {
  const prefix = source.readUpTo(PREFIX_BYTES);
  if (prefix.length < MAGIC.length || !bytesEqual(prefix.subarray(0, MAGIC.length), MAGIC)) {
    throw new FormatError("this is not a Candour envelope (the first bytes are not 'CANDOUR')");
  }
  if (prefix.length < PREFIX_BYTES) throw new TruncatedError("the envelope ends inside its header: it was cut short in transfer");
  const version = prefix[7];
  const suite = prefix[8];
  const submissionId = prefix.slice(9, 25);
  const partIndex = (prefix[25] << 8) | prefix[26];
  const stanzaCount = prefix[27];
  if (version !== VERSION) {
    throw new UnsupportedVersionError(`this envelope is format version ${version}; this tool reads version ${VERSION}`);
  }
  if (suite !== SUITE) throw new UnsupportedVersionError(`this envelope uses cipher suite ${suite}; this tool knows suite ${SUITE}`);
  if (stanzaCount < 1 || stanzaCount > MAX_STANZAS) {
    throw new LimitError(`the envelope claims ${stanzaCount} recipients; the format allows 1 to ${MAX_STANZAS}`);
  }
  if (partIndex >= MAX_PARTS) throw new LimitError(`the envelope claims part ${partIndex}; the format allows 0 to ${MAX_PARTS - 1}`);
  const body = source.readExact(stanzaCount * STANZA_BYTES + STREAM_HEADER_BYTES + MAC_BYTES, "header");
  const stanzas = [];
  for (let i = 0; i < stanzaCount; i += 1) {
    const at = i * STANZA_BYTES;
    stanzas.push({ keyId: body.slice(at, at + KEY_ID_BYTES), sealedKey: body.slice(at + KEY_ID_BYTES, at + STANZA_BYTES) });
  }
  if (new Set(stanzas.map((s) => toHex(s.keyId))).size !== stanzaCount) {
    throw new FormatError("the envelope lists the same recipient twice: it was tampered with");
  }
  const offset = stanzaCount * STANZA_BYTES;
  const raw = concatBytes(prefix, body);
  return {
    submissionId,
    partIndex,
    stanzas,
    streamHeader: body.slice(offset, offset + STREAM_HEADER_BYTES),
    mac: body.slice(offset + STREAM_HEADER_BYTES),
    raw,
    headerHash: hash256(raw),
    recipientKeyIds: stanzas.map((s) => s.keyId),
  };
}

function unsealContentKey(header, opener) {
  const s = na();
  const candidates = header.stanzas.filter((stanza) => bytesEqual(stanza.keyId, opener.keyId));
  if (!candidates.length) {
    throw new NotARecipientError("this envelope was not sealed to your key (no recipient stanza has your key id)");
  }
  let contentKey = null;
  for (const stanza of candidates) {
    try {
      contentKey = s.crypto_box_seal_open(stanza.sealedKey, opener.boxPublicKey, opener.boxSecretKey);
      break;
    } catch {
      // try the next stanza with this key id
    }
  }
  if (contentKey === null || contentKey.length !== CONTENT_KEY_BYTES) {
    throw new NotARecipientError("the recipient stanza with your key id does not open with your key");
  }
  const expected = keyedHash256(subkey(contentKey, LABEL_MAC_KEY), header.raw.subarray(0, header.raw.length - MAC_BYTES));
  if (!s.memcmp(expected, header.mac)) {
    throw new HeaderMacError("the envelope's header was altered (or recipients were given different keys): do not trust it");
  }
  return contentKey;
}

/**
 * Verify and decrypt one envelope held in memory, with the checks and order of
 * crypto.envelope.open_envelope (§2.3).
 * @param {Uint8Array} bytes the envelope
 * @param {{keyId: Uint8Array, boxPublicKey: Uint8Array, boxSecretKey: Uint8Array}} opener
 * @param {{maxPlaintextBytes?: number}} [options] refuse (LimitError) beyond this much plaintext
 * @returns {{part: object, plaintext: Uint8Array}}
 * @throws {CandourError} FormatError, UnsupportedVersionError, LimitError, TruncatedError,
 *   NotARecipientError, HeaderMacError, PayloadError, TruncatedPayloadError,
 *   TrailingDataError, PaddingError
 */
export function openEnvelope(bytes, opener, { maxPlaintextBytes = Infinity } = {}) {
  const s = na();
  const source = new ByteSource(bytes);
  const header = readHeaderFrom(source);
  const contentKey = unsealContentKey(header, opener);
  let state;
  try {
    state = s.crypto_secretstream_xchacha20poly1305_init_pull(header.streamHeader, subkey(contentKey, LABEL_PAYLOAD_KEY));
  } catch {
    throw new PayloadError("the envelope's stream header is invalid");
  }
  const ad = header.headerHash;
  const unpadder = new StreamingUnpadder();
  const pieces = [];
  let written = 0;
  let chunkIndex = 0;
  const maxChunks = MAX_PADDED_PART_SIZE / CHUNK_SIZE;
  for (;;) {
    const sealed = source.readUpTo(SEALED_CHUNK_SIZE);
    if (!sealed.length) {
      throw new TruncatedPayloadError(
        chunkIndex
          ? "the envelope ends without its final chunk: it was cut short in transfer"
          : "the envelope has a header but no content: it was cut short in transfer",
      );
    }
    if (sealed.length <= CHUNK_OVERHEAD) throw new TruncatedPayloadError("the envelope ends inside a chunk: it was cut short in transfer");
    const pulled = s.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad);
    if (!pulled) {
      const damage = sealed.length !== SEALED_CHUNK_SIZE ? "cut short, extended with extra bytes, or altered" : "altered, reordered or mixed with another envelope";
      throw new PayloadError(`chunk ${chunkIndex} of the envelope failed authentication: it was ${damage}`);
    }
    for (const piece of unpadder.feed(pulled.message)) {
      written += piece.length;
      if (written > maxPlaintextBytes) throw new LimitError(`the part is larger than the ${maxPlaintextBytes} bytes allowed here`);
      pieces.push(piece.slice());
    }
    chunkIndex += 1;
    if (pulled.tag === TAG_FINAL) break;
    if (pulled.tag !== TAG_MESSAGE) throw new PayloadError(`chunk ${chunkIndex - 1} carries an unknown tag ${pulled.tag}`);
    if (sealed.length !== SEALED_CHUNK_SIZE) throw new TruncatedPayloadError("the envelope ends without its final chunk: it was cut short in transfer");
    if (chunkIndex > maxChunks) throw new LimitError("the envelope is larger than the format allows (16 GiB)");
  }
  if (source.readUpTo(1).length) throw new TrailingDataError("there are extra bytes after the envelope's final chunk: it was tampered with");
  unpadder.finish();
  return {
    part: {
      submissionId: header.submissionId,
      partIndex: header.partIndex,
      headerHash: ad,
      plaintextSize: unpadder.contentSize,
      recipientKeyIds: header.recipientKeyIds,
    },
    plaintext: concatBytes(...pieces),
  };
}
