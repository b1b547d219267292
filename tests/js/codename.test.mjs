// Codename derivation versions 1 and 2 (docs/format.md §6): the browser code on the
// vendored libsodium.js gives exactly the committed vectors in
// tests/vectors/codename-derivation/ (tests/crypto/test_codename_derivation.py checks the
// Python reference against the same files).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";

import { REPO, candour as c, loadSodium } from "./sodium-node.mjs";

const VECTOR_DIR = path.join(REPO, "tests", "vectors", "codename-derivation");
const vectors = fs
  .readdirSync(VECTOR_DIR)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => ({ file: name, vector: JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, name), "utf8")) }));

before(loadSodium);

test("new cases get version 2; versions 1 and 2 are derivable", () => {
  assert.equal(c.CODENAME_VERSION, 2);
  assert.deepEqual([...c.CODENAME_VERSIONS], [1, 2]);
});

test("the vector set covers both versions", () => {
  for (const version of [1, 2]) {
    assert.ok(vectors.filter(({ vector }) => vector.version === version).length >= 5, `version ${version}`);
  }
});

describe("codename derivation vectors", () => {
  for (const { file, vector } of vectors) {
    test(vector.name, () => {
      assert.equal(file, `${vector.name}.json`);
      assert.equal(vector.kind, "codename-derivation");
      const salt = c.fromHex(vector.instance_salt);
      const want = vector.expected;
      assert.equal(c.normaliseCodename(vector.typed), want.normal_form);
      assert.equal(c.toHex(c.deriveMasterKey(vector.typed, salt, vector.version)), want.master_key);
      const keys = c.deriveReporterKeys(vector.typed, salt, vector.version);
      assert.equal(c.toHex(keys.loginToken), want.login_token);
      assert.equal(c.toHex(keys.replySecretKey), want.reply_secret_key);
      assert.equal(c.toHex(keys.replyPublicKey), want.reply_public_key);
      assert.equal(c.toHex(keys.signSeed), want.sign_seed);
      assert.equal(c.toHex(keys.signPublicKey), want.sign_public_key);
      assert.equal(c.toHex(c.keyedHash256(c.fromHex(vector.pepper), keys.loginToken)), want.login_lookup);
    });
  }
});

test("the default is version 2", () => {
  const codename = c.generateCodename();
  const salt = new Uint8Array(16);
  assert.deepEqual(c.deriveMasterKey(codename, salt), c.deriveMasterKey(codename, salt, 2));
  assert.notDeepEqual(c.deriveMasterKey(codename, salt), c.deriveMasterKey(codename, salt, 1));
});

test("unknown versions and bad inputs are refused", () => {
  const codename = c.generateCodename();
  for (const version of [0, 3, "2", -1]) {
    assert.throws(() => c.deriveMasterKey(codename, new Uint8Array(16), version), c.UnsupportedVersionError, String(version));
  }
  for (const version of [1, 2]) {
    assert.throws(() => c.deriveMasterKey(codename, new Uint8Array(15), version), RangeError);
    assert.throws(() => c.deriveMasterKey("abandon ability able", new Uint8Array(16), version), c.CodenameError);
  }
});
