// The word list: codename words and fingerprints (crypto/wordlist.py).

import { WORDLIST } from "../wordlist-english.js";
import { pySplit } from "./text.js";

export const WORD_INDEX = new Map(WORDLIST.map((word, index) => [word, index]));
const WORD_BITS = 11;

/** The first count × 11 bits of `data` as space-separated words (wordlist.bits_to_words). */
export function bitsToWords(data, count) {
  if (data.length * 8 < count * WORD_BITS) throw new RangeError("not enough bytes for that many words");
  const words = [];
  for (let w = 0; w < count; w += 1) {
    let value = 0;
    for (let k = 0; k < WORD_BITS; k += 1) {
      const bit = w * WORD_BITS + k;
      value = value * 2 + ((data[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    words.push(WORDLIST[value]);
  }
  return words.join(" ");
}

export function foldTyped(text) {
  let folded = text.normalize("NFKC").toLowerCase();
  for (const separator of "-,.;:\n\t") folded = folded.split(separator).join(" ");
  return pySplit(folded);
}

/** Fold what a person types into six (or any number of) words (org.normalise_fingerprint). */
export function normaliseFingerprint(text) {
  return foldTyped(text).join(" ");
}
