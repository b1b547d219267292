// What the reporter's browser believes about replies and the reviewer list (issue 12):
// reply statements v1 and v2 (the feedback flag), a listed reviewer who is not one of the
// case's recipients, the page's (reviewer, number) order and its marks, and names that
// could reorder the text around them. Replies are made here with libsodium, as the
// reviewer's kit makes them (docs/format.md §8); the list as the organisation signs it (§5).

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { caseRecipients, orderReplyViews } from "../../static/js/case-replies.js";
import { candour as c, loadSodium } from "./sodium-node.mjs";

const utf8 = (text) => new TextEncoder().encode(text);
const CASE = "ab".repeat(16);
let sodium;

before(async () => {
  sodium = await loadSodium();
});

function seed(label) {
  return c.hash256(utf8(`trust test ${label}`));
}

function reporter() {
  const replySecretKey = seed("reporter reply");
  return { replySecretKey, replyPublicKey: sodium.crypto_scalarmult_base(replySecretKey) };
}

/** A reply as the kit writes it; `version` 1 has no feedback key. */
function makeReply(reviewer, rep, { seq, text = "Thank you.", version = 2, feedback = false, status = null, extra = {} }) {
  const keyIdHex = reviewer.keyIdHex;
  const body = c.dumpsCompact({ format: "candour-reply-body", version: 1, case: CASE, seq, reviewer_key_id: keyIdHex, text });
  const forReporter = sodium.crypto_box_seal(c.pad(body), rep.replyPublicKey);
  const fields = {
    format: "candour-reply",
    version,
    case: CASE,
    reporter_reply_key: c.b64u(rep.replyPublicKey),
    reviewer: c.b64u(reviewer.signPublicKey),
    reviewer_key_id: keyIdHex,
    seq,
    day: "2026-12-01",
    status,
  };
  if (version === 2) fields.feedback = feedback;
  Object.assign(fields, { for_reporter_hash: c.b64u(c.hash256(forReporter)), for_reviewers_hash: c.b64u(c.hash256(utf8("x"))) }, extra);
  const statement = c.dumpsCompact(fields);
  const signature = sodium.crypto_sign_detached(c.concatBytes(utf8("candour/v1 reply\0"), statement), reviewer.signSecretKey);
  return { statement, signature, forReporter };
}

function classify(replies, known, rep, recipients = null) {
  return c.classifyReplies(replies, {
    caseId: CASE,
    reporterReplySecretKey: rep.replySecretKey,
    reporterReplyPublicKey: rep.replyPublicKey,
    knownReviewers: new Map(known.map((r) => [r.keyIdHex, r.public])),
    recipients,
  });
}

describe("reply statements v1 and v2", () => {
  test("v1 reads as no feedback, v2 carries the flag", () => {
    const alice = c.reviewerKeysFromSeed("Alice", seed("alice"));
    const rep = reporter();
    const views = classify(
      [makeReply(alice, rep, { seq: 1, version: 1 }), makeReply(alice, rep, { seq: 2, feedback: true }), makeReply(alice, rep, { seq: 3 })],
      [alice],
      rep,
    );
    assert.deepEqual(
      views.map((v) => [v.state, v.statement.version, v.statement.feedback]),
      [
        ["verified", 1, false],
        ["verified", 2, true],
        ["verified", 2, false],
      ],
    );
  });

  test("a v2 statement without the flag, with a non-boolean flag, or a v1 with one, is refused", () => {
    const alice = c.reviewerKeysFromSeed("Alice", seed("alice"));
    const rep = reporter();
    const bad = [
      makeReply(alice, rep, { seq: 1, version: 2, extra: { feedback: undefined } }),
      makeReply(alice, rep, { seq: 2, version: 2, feedback: 1 }),
      makeReply(alice, rep, { seq: 3, version: 1, extra: { feedback: true } }),
      makeReply(alice, rep, { seq: 4, version: 3 }),
    ];
    const views = classify(bad, [alice], rep);
    assert.deepEqual(
      views.map((v) => [v.state, v.error]),
      bad.map(() => ["rejected", "FormatError"]),
    );
  });
});

describe("replies from reviewers not on the case", () => {
  test("a listed reviewer the report was not sealed to is rejected, with the reason", () => {
    const alice = c.reviewerKeysFromSeed("Alice", seed("alice"));
    const bob = c.reviewerKeysFromSeed("Bob", seed("bob"));
    const rep = reporter();
    const replies = [makeReply(alice, rep, { seq: 1 }), makeReply(bob, rep, { seq: 1, text: "Case closed." })];
    const views = classify(replies, [alice, bob], rep, new Set([alice.keyIdHex]));
    assert.equal(views[0].state, "verified");
    assert.equal(views[1].state, "rejected");
    assert.equal(views[1].error, "BindingError");
    assert.match(views[1].reason, /not one of the reviewers your report was sealed to/);
    // Without the recipients (the reference's classify_replies) both verify.
    assert.deepEqual(
      classify(replies, [alice, bob], rep).map((v) => v.state),
      ["verified", "verified"],
    );
  });

  test("the device's record of recipients wins over the server's list, and both keep to the signed list", () => {
    const trusted = new Map([
      ["aa".repeat(8), {}],
      ["bb".repeat(8), {}],
    ]);
    const reporter = { caseId: "ab".repeat(16), signPublicKey: new Uint8Array(32) };
    assert.deepEqual(caseRecipients(null, reporter, ["aa".repeat(8)], ["aa".repeat(8), "bb".repeat(8)], trusted), {
      recipients: new Set(["aa".repeat(8)]),
      source: "device",
    });
    assert.deepEqual(caseRecipients(undefined, reporter, null, ["bb".repeat(8), "cc".repeat(8)], trusted), {
      recipients: new Set(["bb".repeat(8)]),
      source: "server",
    });
  });

  test("the reporter-signed recipients (§7.1) win over the server's list; a tampered statement gives nobody", () => {
    const trusted = new Map([
      ["aa".repeat(8), {}],
      ["bb".repeat(8), {}],
      ["cc".repeat(8), {}],
    ]);
    const signing = sodium.crypto_sign_seed_keypair(new Uint8Array(32).fill(7));
    const caseId = "ab".repeat(16);
    const reporter = { caseId, signPublicKey: signing.publicKey };
    const made = c.signRecipients(signing.privateKey, caseId, ["cc".repeat(8), "aa".repeat(8)]);
    const signed = { statement: c.b64u(made.statement), signature: c.b64u(made.signature) };
    const server = ["aa".repeat(8), "bb".repeat(8), "cc".repeat(8)];
    assert.deepEqual(caseRecipients(signed, reporter, null, server, trusted), {
      recipients: new Set(["aa".repeat(8), "cc".repeat(8)]),
      source: "signed",
    });
    const swapped = c.utf8(new TextDecoder().decode(made.statement).replace("cc".repeat(8), "bb".repeat(8)));
    const tampered = { statement: c.b64u(swapped), signature: signed.signature };
    for (const [statement, who] of [
      [tampered, reporter],
      [signed, { caseId: "cd".repeat(16), signPublicKey: signing.publicKey }],
      [{ statement: 3, signature: signed.signature }, reporter],
    ]) {
      const result = caseRecipients(statement, who, ["aa".repeat(8)], server, trusted);
      assert.equal(result.source, "tampered");
      assert.equal(result.recipients.size, 0);
      assert.ok(result.problem);
    }
  });
});

describe("the order the page shows", () => {
  const alice = () => c.reviewerKeysFromSeed("Alice", seed("alice"));
  const bob = () => c.reviewerKeysFromSeed("Bob", seed("bob"));

  function shown(views) {
    return views.map((v) => (v.state === "verified" ? `${v.statement.reviewerKeyId[0]}:${v.statement.seq}` : `${v.state}:${v.first ?? ""}-${v.last ?? ""}`));
  }

  test("by reviewer then number, and a mark when the server's order differs", () => {
    const [a, b, rep] = [alice(), bob(), reporter()];
    const names = new Map([
      [a.keyIdHex, "Alice"],
      [b.keyIdHex, "Bob"],
    ]);
    const served = [makeReply(b, rep, { seq: 1 }), makeReply(a, rep, { seq: 2 }), makeReply(a, rep, { seq: 1 })];
    const ordered = orderReplyViews(classify(served, [a, b], rep), (k) => names.get(k));
    assert.equal(ordered.reordered, true);
    assert.deepEqual(shown(ordered.views), [`${a.keyId[0]}:1`, `${a.keyId[0]}:2`, `${b.keyId[0]}:1`]);
    const inOrder = orderReplyViews(classify([served[2], served[1], served[0]], [a, b], rep), (k) => names.get(k));
    assert.equal(inOrder.reordered, false);
    assert.deepEqual(inOrder.seen, { [a.keyIdHex]: 2, [b.keyIdHex]: 1 });
  });

  test("a gap, and a reply verified earlier in the visit that the server dropped, are marked missing", () => {
    const [a, rep] = [alice(), reporter()];
    const gap = orderReplyViews(classify([makeReply(a, rep, { seq: 1 }), makeReply(a, rep, { seq: 3 })], [a], rep), () => "Alice");
    assert.deepEqual(shown(gap.views), [`${a.keyId[0]}:1`, "missing:2-2", `${a.keyId[0]}:3`]);
    const dropped = orderReplyViews(classify([makeReply(a, rep, { seq: 1 })], [a], rep), () => "Alice", { [a.keyIdHex]: 3 });
    assert.deepEqual(shown(dropped.views), [`${a.keyId[0]}:1`, "missing:2-3"]);
    assert.equal(dropped.views[1].known, true);
    assert.deepEqual(dropped.seen, { [a.keyIdHex]: 3 });
  });

  test("rejected replies come last, in the server's order", () => {
    const [a, rep] = [alice(), reporter()];
    const forged = makeReply(a, rep, { seq: 2 });
    forged.signature = new Uint8Array(64);
    const ordered = orderReplyViews(classify([forged, makeReply(a, rep, { seq: 1 })], [a], rep), () => "Alice");
    assert.deepEqual(
      ordered.views.map((v) => v.state),
      ["verified", "rejected"],
    );
  });
});

describe("names in the signed reviewer list", () => {
  function signedList(displayName, role = "Adviser") {
    const org = sodium.crypto_sign_seed_keypair(seed("org"));
    const name = utf8("Test Union");
    const orgSigned = c.concatBytes(utf8("candour/v1 org identity\0"), org.publicKey, Uint8Array.of(name.length), name);
    const orgLine = "candour-org-1:" + c.b64u(c.concatBytes(org.publicKey, Uint8Array.of(name.length), name, sodium.crypto_sign_detached(orgSigned, org.privateKey)));
    const reviewer = c.reviewerKeysFromSeed("Alice", seed("alice"));
    const body = c.dumpsCompact({
      organisation: "Test Union",
      serial: 2,
      issued: "2026-12-01",
      reviewers: [{ identity: reviewer.line, display_name: displayName, role, required: true }],
    });
    const signature = sodium.crypto_sign_detached(c.concatBytes(utf8("candour/v1 reviewer list\0"), body), org.privateKey);
    return c.dumpsCompact({ format: "candour-reviewer-list", version: 1, org: orgLine, body: c.b64u(body), signature: c.b64u(signature) });
  }

  test("a plain name verifies", () => {
    const list = c.verifyReviewerList(signedList("Alice Smith"));
    assert.equal(list.reviewers[0].displayName, "Alice Smith");
    assert.equal(list.serial, 2);
  });

  for (const [what, displayName, role] of [
    ["a right-to-left override in a name", "Alice \u202eHTIMS", "Adviser"],
    ["an isolate in a name", "\u2067Alice\u2069", "Adviser"],
    ["a zero-width space in a name", "Ali\u200bce", "Adviser"],
    ["a left-to-right mark in a role", "Alice Smith", "Adviser\u200e"],
    ["white space at the end of a name", "Alice Smith ", "Adviser"],
  ]) {
    test(`${what} is refused`, () => {
      assert.throws(() => c.verifyReviewerList(signedList(displayName, role)), (error) => error instanceof c.FormatError);
    });
  }
});

describe("which reviewer list the page accepts", async () => {
  // browser-common.js reads the page only when asked (no DOM here: a sentence is its key).
  const { ShownError, trustedFromDocument } = await import("../../static/js/browser-common.js");
  const org = () => sodium.crypto_sign_seed_keypair(seed("org"));

  function orgLine() {
    const keys = org();
    const name = utf8("Test Union");
    const signed = c.concatBytes(utf8("candour/v1 org identity\0"), keys.publicKey, Uint8Array.of(name.length), name);
    return "candour-org-1:" + c.b64u(c.concatBytes(keys.publicKey, Uint8Array.of(name.length), name, sodium.crypto_sign_detached(signed, keys.privateKey)));
  }

  function listDocument(serial) {
    const reviewer = c.reviewerKeysFromSeed("Alice", seed("alice"));
    const body = c.dumpsCompact({ organisation: "Test Union", serial, issued: "2026-12-01", reviewers: [{ identity: reviewer.line, display_name: "Alice Smith", role: "", required: true }] });
    const signature = sodium.crypto_sign_detached(c.concatBytes(utf8("candour/v1 reviewer list\0"), body), org().privateKey);
    const list = new TextDecoder().decode(c.dumpsCompact({ format: "candour-reviewer-list", version: 1, org: orgLine(), body: c.b64u(body), signature: c.b64u(signature) }));
    return { signed: true, list };
  }

  function fingerprint() {
    return c.parseOrgIdentity(orgLine()).fingerprint;
  }

  const unsigned = () => ({ signed: false, reviewers: [{ identity: c.reviewerKeysFromSeed("Mallory", seed("mallory")).line, display_name: "Alice Smith", role: "", required: true }] });

  function refusal(call) {
    try {
      call();
    } catch (error) {
      if (error instanceof ShownError) return error.message;
      throw error;
    }
    return null;
  }

  test("with the organisation's fingerprint: the signed list at or above the page's serial", () => {
    const trusted = trustedFromDocument(listDocument(3), { orgFingerprint: fingerprint(), minListSerial: 3 });
    assert.equal(trusted.signed, true);
    assert.equal(trusted.serial, 3);
    assert.equal(trustedFromDocument(listDocument(4), { orgFingerprint: fingerprint(), minListSerial: 3 }).serial, 4);
  });

  test("with the organisation's fingerprint: an unsigned list (downgrade) and an older one (rollback) are refused", () => {
    assert.equal(refusal(() => trustedFromDocument(unsigned(), { orgFingerprint: fingerprint(), minListSerial: 0 })), "list-unverified");
    assert.equal(refusal(() => trustedFromDocument(listDocument(2), { orgFingerprint: fingerprint(), minListSerial: 3 })), "list-rolled-back");
    assert.equal(refusal(() => trustedFromDocument(listDocument(3), { orgFingerprint: "abandon ability able about above absent", minListSerial: 0 })), "list-unverified");
  });

  test("without an organisation key: the server's own list, marked unsigned, names checked", () => {
    const trusted = trustedFromDocument(unsigned(), { orgFingerprint: "", minListSerial: 0 });
    assert.equal(trusted.signed, false);
    const spoof = unsigned();
    spoof.reviewers[0].display_name = "Alice \u202eHTIMS";
    assert.equal(refusal(() => trustedFromDocument(spoof, { orgFingerprint: "", minListSerial: 0 })), "list-unverified");
  });
});
