// Every committed envelope vector (tests/vectors/*.json, docs/format.md §13) gives exactly
// its expected outcome, and on success exactly its plaintext, through the browser reader
// running on the vendored libsodium.js. The same files are checked by tests/vectors/test_vectors.py.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";

import { OUTCOMES, outcomeOf } from "./outcome.mjs";
import { REPO, candour, loadSodium } from "./sodium-node.mjs";

const VECTOR_DIR = path.join(REPO, "tests", "vectors");
const files = fs.readdirSync(VECTOR_DIR).filter((name) => name.endsWith(".json")).sort();
const vectors = files.map((name) => ({ file: name, document: JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, name), "utf8")) }));

function openVector(document) {
  const reviewers = document.reviewers.map((entry) => candour.reviewerKeysFromSeed(entry.name, candour.fromHex(entry.seed)));
  try {
    const { plaintext } = candour.openEnvelope(candour.unb64u(document.envelope), reviewers[document.opener]);
    return { outcome: "success", plaintext };
  } catch (error) {
    return { outcome: outcomeOf(error), plaintext: null };
  }
}

before(loadSodium);

test("the vector set is there and exercises every outcome", () => {
  assert.ok(vectors.length >= 77, `only ${vectors.length} vectors in ${VECTOR_DIR}`);
  assert.deepEqual(new Set(vectors.map((v) => v.document.expected)), new Set(OUTCOMES));
});

test("an error no outcome covers is not silently accepted", () => {
  assert.throws(() => outcomeOf(new candour.SignatureError("x")));
  assert.throws(() => outcomeOf(new TypeError("x")));
});

test("outcome mapping follows the Python one", () => {
  const cases = [
    [new candour.FormatError("x"), "header failure"],
    [new candour.UnsupportedVersionError("x"), "header failure"],
    [new candour.LimitError("x"), "header failure"],
    [new candour.TruncatedError("x"), "header failure"],
    [new candour.TruncatedPayloadError("x"), "payload failure"],
    [new candour.TrailingDataError("x"), "payload failure"],
    [new candour.PayloadError("x"), "payload failure"],
    [new candour.NotARecipientError("x"), "no match"],
    [new candour.HeaderMacError("x"), "mac failure"],
    [new candour.PaddingError("x"), "padding failure"],
    [null, "success"],
  ];
  for (const [error, outcome] of cases) assert.equal(outcomeOf(error), outcome);
});

describe("vectors", () => {
  for (const { file, document } of vectors) {
    test(document.name, () => {
      assert.equal(file, `${document.name}.json`);
      assert.equal(document.kind, "envelope");
      assert.ok(OUTCOMES.includes(document.expected));
      assert.equal("plaintext" in document, document.expected === "success");
      const { outcome, plaintext } = openVector(document);
      assert.equal(outcome, document.expected, document.description);
      if (outcome === "success") assert.deepEqual(plaintext, candour.unb64u(document.plaintext));
    });
  }
});
