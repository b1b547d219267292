// The recipients statement (docs/format.md §7.1) in the browser code: the vectors in
// tests/vectors/recipients/ give exactly what tests/crypto/test_recipients.py gets from the
// Python reference (signature bytes included: Ed25519 is deterministic).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, test } from "node:test";

import { REPO, candour as c, loadSodium } from "./sodium-node.mjs";

const VECTOR_DIR = path.join(REPO, "tests", "vectors", "recipients");
const vectors = fs
  .readdirSync(VECTOR_DIR)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, name), "utf8")));

let sodium;
before(async () => {
  sodium = await loadSodium();
});

test("the family holds a valid and a tampered statement", () => {
  assert.deepEqual(vectors.map((vector) => vector.expected.outcome).sort(), ["accepted", "refused"]);
});

for (const vector of vectors) {
  test(`recipients vector: ${vector.description}`, () => {
    const keys = sodium.crypto_sign_seed_keypair(c.fromHex(vector.sign_seed));
    assert.equal(c.b64u(keys.publicKey), vector.sign_public_key);
    const statement = c.unb64u(vector.statement);
    const signature = c.unb64u(vector.signature);
    if (vector.expected.outcome === "accepted") {
      const signed = c.signRecipients(keys.privateKey, vector.case, vector.recipients);
      assert.equal(c.b64u(signed.statement), vector.statement);
      assert.equal(c.b64u(signed.signature), vector.signature);
      assert.deepEqual(c.verifyRecipients(statement, signature, keys.publicKey, vector.case), vector.expected.recipients);
    } else {
      assert.throws(() => c.verifyRecipients(statement, signature, keys.publicKey, vector.case), c[vector.expected.error]);
    }
  });
}

test("another case, a reordered or repeated list are refused even when signed", () => {
  const keys = sodium.crypto_sign_seed_keypair(new Uint8Array(32));
  const caseId = "ab".repeat(16);
  const { statement, signature } = c.signRecipients(keys.privateKey, caseId, ["1111111111111111", "0000000000000000"]);
  assert.throws(() => c.verifyRecipients(statement, signature, keys.publicKey, "cd".repeat(16)), c.FormatError);
  const context = c.utf8("candour/v1 recipients\0");
  for (const list of [["1111111111111111", "0000000000000000"], ["0000000000000000", "0000000000000000"]]) {
    const bytes = c.utf8(JSON.stringify({ format: "candour-recipients", version: 1, case: caseId, recipients: list }));
    const signed = sodium.crypto_sign_detached(c.concatBytes(context, bytes), keys.privateKey);
    assert.throws(() => c.verifyRecipients(bytes, signed, keys.publicKey, caseId), c.FormatError);
  }
});
