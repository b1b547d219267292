// Hashing and subkeys (§1, crypto/kdf.py).

import { na } from "./sodium.js";
import { ascii } from "./bytes.js";

/** H(x): unkeyed BLAKE2b-256. @param {Uint8Array} data @returns {Uint8Array} */
export function hash256(data) {
  return na().crypto_generichash(32, data, null);
}

/** H_k(x): BLAKE2b-256 keyed with `key` (16..64 bytes). */
export function keyedHash256(key, data) {
  return na().crypto_generichash(32, data, key);
}

/** subkey(K, label) = H_K(label), label an ASCII string. @returns {Uint8Array} */
export function subkey(parentKey, label) {
  if (parentKey.length < 16 || parentKey.length > 64) throw new RangeError("BLAKE2b keys are 16 to 64 bytes");
  return keyedHash256(parentKey, ascii(label));
}
