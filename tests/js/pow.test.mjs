// The proof-of-work solver (static/js/pow.js) finds the same counter as the Python
// verifier's rule (portal/flood.py): BLAKE2b-256(challenge ‖ counter as 8 bytes
// big-endian) with at least `difficulty` leading zero bits, smallest counter first.

import assert from "node:assert/strict";
import { before, test } from "node:test";

import { leadingZeroBits, solve } from "../../static/js/pow.js";
import { loadSodium } from "./sodium-node.mjs";

before(loadSodium);

test("leading zero bits", () => {
  assert.equal(leadingZeroBits(Uint8Array.from([0x80])), 0);
  assert.equal(leadingZeroBits(Uint8Array.from([0x01, 0xff])), 7);
  assert.equal(leadingZeroBits(Uint8Array.from([0x00, 0x10])), 11);
  assert.equal(leadingZeroBits(Uint8Array.from([0, 0])), 16);
});

test("solve matches the Python reference", async () => {
  // python: raw = bytes(range(37)); smallest counter with 12 zero bits (tests/support/flood_support.py).
  const challenge = Uint8Array.from({ length: 37 }, (_, i) => i);
  assert.equal(await solve(challenge, 12), 972);
});
