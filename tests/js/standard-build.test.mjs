// The standard libsodium.js build, which every browser-path page but one serves (the
// follow-up login page serves the sumo build while version 1 cases exist): it lacks
// only crypto_pwhash. Every structure vector, the recipients statement, the trust rules
// and the proof of work pass on it; a version 1 codename says plainly what is missing.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";

import { REPO } from "./sodium-node.mjs";

const ON_STANDARD = ["vectors", "recipients", "trust", "pow"].map((name) => path.join(REPO, "tests", "js", `${name}.test.mjs`));

test("the suites that need no Argon2id pass on the standard build", () => {
  // A child test runner of its own: without the parent's NODE_TEST_CONTEXT it reports as a top-level run.
  const { NODE_TEST_CONTEXT: _parent, ...env } = process.env;
  const run = spawnSync(process.execPath, ["--test", ...ON_STANDARD], {
    env: { ...env, CANDOUR_SODIUM_BUILD: "standard" },
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stdout.split("\n").filter((line) => /not ok|error/.test(line)).join("\n"));
  assert.match(run.stdout, /# fail 0/);
  assert.match(run.stdout, /# pass [1-9]\d+/);
});

test("a version 1 codename on the standard build fails with a sentence that says why", async () => {
  process.env.CANDOUR_SODIUM_BUILD = "standard";
  const { candour: c, loadSodium } = await import("./sodium-node.mjs");
  const sodium = await loadSodium();
  assert.equal(typeof sodium.crypto_pwhash, "undefined");
  const codename = c.generateCodename();
  assert.ok(c.deriveReporterKeys(codename, new Uint8Array(16), 2).loginToken.length > 0);
  assert.throws(() => c.deriveReporterKeys(codename, new Uint8Array(16), 1), /without crypto_pwhash.*reload the page/);
});
