// Every committed structure vector with a browser counterpart (tests/vectors/<family>/*.json,
// docs/format.md §13.2) gives exactly its expected outcome through static/js/crypto/, on the
// vendored libsodium.js: identity and .pub lines, organisation lines and signed lists,
// codenames and every derived key, envelope streams, and replies as the reporter's browser
// checks them. tests/vectors/test_structures.py runs the same files against crypto/.
//
// Families the browser has no reader for are the kit's alone (tests/vectors/README.md):
// keyfile, replyfile and bundle. The browser writes submissions and never opens one, so the
// submission family checks its writer instead: each accepted manifest is rebuilt byte for
// byte by buildManifest, and each manifest that breaks a rule a writer can break is refused
// by it with the vector's error (the other refusals are of bytes a writer cannot produce:
// duplicate or unknown keys, another version, a broken signature or binding).

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";

import { REPO, candour as c, loadSodium } from "./sodium-node.mjs";

const VECTOR_DIR = path.join(REPO, "tests", "vectors");
const BROWSER_FAMILIES = ["identity", "org", "list", "codename", "stream", "reply"];
const WRITER_FAMILIES = ["submission"];
const KIT_ONLY_FAMILIES = ["keyfile", "replyfile", "bundle"];
// Submission vectors whose manifest breaks a rule the browser's writer checks before signing.
const WRITER_REFUSES = [
  "attachment-name-256", "attachment-name-empty", "attachment-name-rlo", "attachment-part-2",
  "attachment-size-2-34", "attachment-size-negative", "case-uppercase-hex", "category-rlo",
  "day-not-a-day", "field-100001", "what-empty",
].map((name) => `submission/${name}`);
// The errors a vector may name (docs/format.md §12), most specific first is not needed:
// `specError` walks the prototype chain like tests/vectors/structure_runners.py's spec_error.
const SPEC_ERRORS = new Set([
  "FormatError", "UnsupportedVersionError", "LimitError", "TruncatedError", "TruncatedPayloadError",
  "TrailingDataError", "NotARecipientError", "HeaderMacError", "PayloadError", "PaddingError",
  "KeyFileError", "WrongPassphraseError", "IdentityError", "CodenameError", "SignatureError",
  "BindingError", "SequenceError", "BundleError", "ReplyFileError",
]);

function load(family) {
  const folder = path.join(VECTOR_DIR, family);
  return fs.readdirSync(folder).filter((name) => name.endsWith(".json")).sort()
    .map((name) => ({ file: name, document: JSON.parse(fs.readFileSync(path.join(folder, name), "utf8")) }));
}

function specError(error) {
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = proto.constructor.name;
    if (SPEC_ERRORS.has(name)) return name;
  }
  throw new Error(`${error.name} is not one of the §12 errors: ${error.message}`);
}

const hex = (bytes) => c.toHex(bytes);
const utf8 = (text) => new TextEncoder().encode(text);

// --- one runner per family, in the vector's own terms (structure_runners.py) ------------------

function runIdentity(given) {
  if ("seed" in given) {
    const keys = c.reviewerKeysFromSeed(given.name, c.fromHex(given.seed));
    return {
      box_secret_key: hex(keys.boxSecretKey),
      box_public_key: hex(keys.boxPublicKey),
      sign_seed: hex(keys.signSecretKey.subarray(0, 32)),
      sign_public_key: hex(keys.signPublicKey),
      key_id: keys.keyIdHex,
      fingerprint: keys.fingerprint,
      line: keys.line,
    };
  }
  const identity = c.parsePublicIdentity(given.pub);
  return {
    name: identity.name,
    box_public_key: hex(identity.boxPublicKey),
    sign_public_key: hex(identity.signPublicKey),
    key_id: identity.keyIdHex,
    fingerprint: identity.fingerprint,
  };
}

function runOrg(given) {
  if ("seed" in given) {
    const keys = c.orgKeysFromSeed(given.name, c.fromHex(given.seed));
    return { sign_public_key: hex(keys.signPublicKey), fingerprint: keys.fingerprint, line: keys.line };
  }
  const org = c.parseOrgIdentity(given.org);
  return { name: org.name, sign_public_key: hex(org.signPublicKey), fingerprint: org.fingerprint };
}

function runList(given) {
  const list = c.verifyReviewerList(utf8(given.list), given.expected_org_fingerprint ?? null);
  if ("loaded_serial" in given) c.checkNewerList(list, given.loaded_serial);
  return {
    organisation: list.organisation,
    serial: list.serial,
    issued: list.issued,
    reviewers: list.reviewers.map((entry) => ({
      key_id: entry.keyIdHex,
      display_name: entry.displayName,
      role: entry.role,
      required: entry.required,
    })),
  };
}

function runCodename(given) {
  const normal = c.normaliseCodename(given.typed);
  if (!("instance_salt" in given)) return { normal_form: normal };
  const master = c.deriveMasterKey(given.typed, c.fromHex(given.instance_salt), 1); // the structure family is version 1
  const keys = c.reporterKeysFromMaster(master);
  const values = {
    normal_form: normal,
    master_key: hex(master),
    login_token: hex(keys.loginToken),
    reply_secret_key: hex(keys.replySecretKey),
    reply_public_key: hex(keys.replyPublicKey),
    sign_seed: hex(keys.signSeed),
    sign_public_key: hex(keys.signPublicKey),
  };
  if ("pepper" in given) values.login_lookup = hex(c.keyedHash256(c.fromHex(given.pepper), keys.loginToken));
  return values;
}

function runStream(given) {
  const keys = c.reviewerKeysFromSeed(given.reviewer.name, c.fromHex(given.reviewer.seed));
  const { plaintext } = c.openEnvelope(c.unb64u(given.envelope), keys);
  return { plaintext: c.b64u(plaintext) };
}

// The server's acceptance, then the reporter's, in the order of docs/format.md §16, as far as
// a browser holds the inputs (it never receives `for_reviewers`, whose hash only the server checks).
function runReply(given) {
  const known = new Map(given.known_reviewers.map((line) => c.parsePublicIdentity(line)).map((id) => [id.keyIdHex, id]));
  const copy = given.reply;
  const reply = {
    statement: c.unb64u(copy.statement),
    signature: c.unb64u(copy.signature),
    forReporter: c.unb64u(copy.for_reporter),
  };
  const { statement } = c.verifyStatementSignature(reply.statement, reply.signature, known);
  c.checkRecipient(statement, given.case_recipients);
  const reporterKey = c.unb64u(given.reporter_reply_key);
  c.checkReplyBinding(statement, given.case, reporterKey);
  c.checkSequence(new Map(Object.entries(given.last_seq)), statement);
  const body = c.openReplyForReporter(reply, c.fromHex(given.reporter_reply_secret_key), reporterKey);
  return {
    seq: statement.seq,
    reviewer_key_id: hex(statement.reviewerKeyId),
    status: statement.status,
    text: body.text,
  };
}

const RUNNERS = { identity: runIdentity, org: runOrg, list: runList, codename: runCodename, stream: runStream, reply: runReply };

function run(document) {
  try {
    return { outcome: "accepted", ...RUNNERS[document.family](document.input) };
  } catch (error) {
    if (!(error instanceof c.CandourError)) throw error;
    return { outcome: "refused", error: specError(error) };
  }
}

before(loadSodium);

test("every family is either run here or named as the kit's alone", () => {
  const present = fs.readdirSync(VECTOR_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.readdirSync(path.join(VECTOR_DIR, entry.name)).some((name) => name.endsWith(".json")))
    .map((entry) => entry.name)
    // primitives/, codename-derivation/ and recipients/ have runners of their own
    // (codename.test.mjs, recipients.test.mjs).
    .filter((name) => !["primitives", "codename-derivation", "recipients"].includes(name));
  assert.deepEqual(new Set(present), new Set([...BROWSER_FAMILIES, ...WRITER_FAMILIES, ...KIT_ONLY_FAMILIES]));
});

test("the matcher can fail", () => {
  assert.notDeepEqual({ outcome: "refused", error: "FormatError" }, { outcome: "refused", error: "IdentityError" });
});

for (const family of BROWSER_FAMILIES) {
  describe(family, () => {
    const vectors = load(family);
    test("has accepted and refused cases", () => {
      assert.deepEqual(new Set(vectors.map((v) => v.document.expected.outcome)), new Set(["accepted", "refused"]));
    });
    for (const { file, document } of vectors) {
      test(document.name, () => {
        assert.equal(file, `${document.name.split("/")[1]}.json`);
        const result = run(document);
        const expected = document.expected;
        assert.equal(result.outcome, expected.outcome, `expected ${JSON.stringify(expected)}, the browser code gave ${JSON.stringify(result)}`);
        if (expected.outcome === "refused") {
          assert.equal(result.error, expected.error, document.description);
        } else {
          for (const [key, value] of Object.entries(expected)) assert.deepEqual(result[key], value, `${key}: ${document.description}`);
        }
      });
    }
  });
}

// The manifest a submission vector signed, rebuilt by the browser's writer from its values.
function rebuildManifest(given) {
  const wrapper = JSON.parse(new TextDecoder().decode(c.unb64u(given.part0)));
  const signed = c.unb64u(wrapper.signed);
  const manifest = JSON.parse(new TextDecoder().decode(signed));
  const build = () =>
    c.buildManifest({
      submissionId: c.fromHex(manifest.submission.toLowerCase()),
      kind: manifest.kind,
      caseId: manifest.case,
      day: manifest.day,
      reporter: { replyPublicKey: c.unb64u(manifest.reporter.reply_key), signPublicKey: c.unb64u(manifest.reporter.sign_key) },
      fields: manifest.fields,
      attachments: manifest.attachments.map((item) => ({ part: item.part, name: item.name, type: item.type, size: item.size, headerHash: c.unb64u(item.header_hash) })),
    });
  return { signed, build };
}

describe("submission (the browser's writer)", () => {
  const vectors = load("submission").filter(({ document }) => !("parts" in document.input));
  for (const { document } of vectors) {
    if (document.expected.outcome === "accepted") {
      test(`${document.name}: rebuilt byte for byte`, () => {
        const { signed, build } = rebuildManifest(document.input);
        assert.equal(c.toHex(build()), c.toHex(signed));
      });
    } else if (WRITER_REFUSES.includes(document.name)) {
      test(`${document.name}: refused before signing`, () => {
        const { build } = rebuildManifest(document.input);
        let error = null;
        try {
          build();
        } catch (caught) {
          if (!(caught instanceof c.CandourError)) throw caught;
          error = specError(caught);
        }
        assert.equal(error, document.expected.error, document.description);
      });
    }
  }
  test("every writer-refused name is a committed refused vector", () => {
    const refused = new Set(vectors.filter((v) => v.document.expected.outcome === "refused").map((v) => v.document.name));
    assert.deepEqual(WRITER_REFUSES.filter((name) => !refused.has(name)), []);
  });
});

// What the browser writes is what every reader accepts (§1.3, §7; crypto.submission.check_fields).
describe("the sealer writes only what the vectors' readers accept", () => {
  test("line ends become LF, tabs spaces, the category loses its outer white space", () => {
    const fields = c.checkFields("report", { category: " Bullying ", what: "one\r\ntwo\rthree\tfour" });
    assert.equal(fields.category, "Bullying");
    assert.equal(fields.what, "one\ntwo\nthree   four");
    assert.throws(() => c.checkFields("report", { category: "a\tb", what: "x" }), c.FormatError);
    assert.throws(() => c.checkFields("followup", { message: "x\u202ey" }), c.FormatError);
  });

  test("a device's file name is made a label", () => {
    const sealed = { partIndex: 1, plaintextSize: 3, headerHash: new Uint8Array(32) };
    assert.equal(c.attachmentInfoFromSealed(sealed, " gpj.\u202eexe ", "image/jpeg").name, "gpj.exe");
    assert.equal(c.attachmentInfoFromSealed(sealed, "\u200e", "").name, "attachment");
  });
});
