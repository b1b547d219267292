// Unit tests of candour-crypto.js against values the Python reference computed
// (tests/js/fixtures.json, written by tests/js/make_fixtures.py), plus round trips.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";

import { WORDLIST } from "../../static/js/wordlist-english.js";
import { REPO, candour as c, loadSodium } from "./sodium-node.mjs";

const fixtures = JSON.parse(fs.readFileSync(path.join(REPO, "tests", "js", "fixtures.json"), "utf8"));
const utf8 = (text) => new TextEncoder().encode(text);

function outcome(call) {
  try {
    return { ok: call() };
  } catch (error) {
    if (!(error instanceof c.CandourError)) throw error;
    return { error: error.name };
  }
}

function expected(entry) {
  return "error" in entry ? { error: entry.error } : { ok: entry.ok };
}

function fromRuns(runs) {
  return Uint8Array.from(runs.flatMap(([hex, count]) => Array(count).fill(parseInt(hex, 16))));
}

function pseudoRandom(size, seed = 1) {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i += 1) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

before(loadSodium);

describe("word list", () => {
  test("is the Python list, word for word", () => {
    const source = fs.readFileSync(path.join(REPO, "crypto", "wordlist_bip39_english.txt"), "utf8").split(/\s+/).filter(Boolean);
    assert.equal(WORDLIST.length, 2048);
    assert.deepEqual([...WORDLIST], source);
    assert.equal(new Set(WORDLIST).size, 2048);
    assert.ok(Object.isFrozen(WORDLIST));
  });

  test("bits to words matches Python", () => {
    for (const [hex, count, words] of fixtures.bits_to_words) assert.equal(c.bitsToWords(c.fromHex(hex), count), words);
  });
});

describe("encodings", () => {
  test("base64url round trips and refuses non-canonical text", () => {
    for (let n = 0; n < 70; n += 1) {
      const data = pseudoRandom(n, n + 7);
      const text = c.b64u(data);
      assert.equal(text, Buffer.from(data).toString("base64url"));
      assert.deepEqual(c.unb64u(text), data);
    }
    for (const bad of ["AB=", "A", "AB C", "AB+/", "AR", "AAB"]) assert.throws(() => c.unb64u(bad), c.FormatError, bad);
    assert.deepEqual(c.unb64u("AQ"), Uint8Array.of(1));
  });

  test("hex is lowercase only", () => {
    assert.equal(c.toHex(Uint8Array.of(0, 171, 255)), "00abff");
    assert.deepEqual(c.fromHex("00abff"), Uint8Array.of(0, 171, 255));
    for (const bad of ["00ABFF", "0", "zz"]) assert.throws(() => c.fromHex(bad), c.FormatError);
  });

  test("days exist in the calendar", () => {
    for (const day of ["2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"]) assert.ok(c.isDay(day), day);
    for (const day of ["2023-02-29", "1900-02-29", "0000-01-01", "2026-13-01", "2026-04-31", "2026-1-01", "２０２６-01-01", " 2026-01-01"]) {
      assert.ok(!c.isDay(day), day);
    }
  });

  test("white space and line breaks are Python's", () => {
    const spaces = new Set(fixtures.whitespace.isspace);
    const breaks = new Set(fixtures.whitespace.line_breaks);
    for (let cp = 0; cp < 0x110000; cp += 1) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      const ch = String.fromCodePoint(cp);
      assert.equal(c.pySplit(`a${ch}b`).length === 2, spaces.has(cp), `U+${cp.toString(16)} split`);
      assert.equal(c.pyStrip(`${ch}a${ch}`) === "a", spaces.has(cp), `U+${cp.toString(16)} strip`);
      assert.equal(c.pySplitLines(`a${ch}b`).length === 2, breaks.has(cp), `U+${cp.toString(16)} splitlines`);
    }
    assert.deepEqual(c.pySplitLines("a\r\nb\n"), ["a", "b"]);
  });
});

describe("strict JSON", () => {
  test("loads refuses what Python's strict reader refuses", () => {
    const reader = new c.JsonReader("t");
    for (const entry of fixtures.json.loads) {
      const bytes = utf8(entry.text);
      const got = outcome(() => (reader.loads(bytes), true));
      assert.deepEqual("error" in got ? got : { ok: true }, "error" in entry ? { error: entry.error } : { ok: true }, entry.text.slice(0, 40));
    }
  });

  test("reply bodies parse as in Python (integers, hex, keys, duplicates, surrogates)", () => {
    for (const entry of fixtures.json.bodies) {
      const got = outcome(() => c.parseReplyBody(c.unb64u(entry.data)).text);
      assert.deepEqual(got, expected(entry), entry.name);
    }
  });

  test("text caps count code points, not UTF-16 units", () => {
    const reader = new c.JsonReader("t");
    assert.equal(reader.text("😀".repeat(10), "x", 10), "😀".repeat(10));
    assert.throws(() => reader.text("a".repeat(11), "x", 10), c.LimitError);
    const body = (text) => utf8(JSON.stringify({ format: "candour-reply-body", version: 1, case: "ab".repeat(16), seq: 1, reviewer_key_id: "cd".repeat(8), text }));
    assert.equal(c.parseReplyBody(body("😀".repeat(100000))).text.length, 200000);
    assert.throws(() => c.parseReplyBody(body("a".repeat(100001))), c.LimitError);
  });

  test("compact output matches Python's separators and escapes", () => {
    const text = new TextDecoder().decode(c.dumpsCompact({ a: "é\n\u0001\"\\/\u2028", b: [1, true, null] }));
    assert.equal(text, '{"a":"é\\n\\u0001\\"\\\\/\u2028","b":[1,true,null]}');
  });
});

// §1.3: a writer turns each TAB of multi-line text into spaces up to the next 8th column, so
// a table pasted from an e-mail is sealed as the text box showed it; a reader still refuses TAB.
describe("report text with tabs", () => {
  function withLead(fields, lead) {
    const name = "message" in fields ? "message" : "what";
    return { ...fields, [name]: "a".repeat(lead) + fields[name] };
  }
  function summarised(fields) {
    return Object.fromEntries(Object.entries(fields).map(([name, value]) => {
      const length = c.codePointLength(value);
      return [name, length < 1000 ? value : [length, Array.from(value).slice(-12).join("")]];
    }));
  }

  test("checkFields seals the characters Python's check_fields seals", () => {
    assert.ok(fixtures.tabbed_fields.length > 0);
    for (const entry of fixtures.tabbed_fields) {
      const got = outcome(() => summarised(c.checkFields(entry.kind, withLead(entry.fields, entry.lead))));
      assert.deepEqual(got, expected(entry), entry.name);
    }
  });

  test("what is sealed has no tab left and passes the reader's rule", () => {
    const fields = c.checkFields("report", { what: "Date\tWho\tWhat\r\n3 May\tA. Manager\tshouted" });
    assert.equal(fields.what, "Date    Who     What\n3 May   A. Manager      shouted");
    assert.equal(c.checkMultiline(fields.what, { field: "what", maxChars: c.MAX_FIELD_CHARS }), fields.what);
    assert.throws(() => c.checkMultiline("a\tb", { field: "what", maxChars: 10 }), c.TextError);
  });

  test("expandTabs counts code points, not UTF-16 units, and restarts each line", () => {
    assert.equal(c.expandTabs("\u{1F600}\t|"), "\u{1F600}       |");
    assert.equal(c.expandTabs("1234567\tx\n\ty"), "1234567 x\n        y");
    assert.equal(c.expandTabs("no tabs"), "no tabs");
  });
});

describe("padding", () => {
  test("padded sizes match Python", () => {
    for (const [n, size] of fixtures.padding.padded_size) assert.equal(c.paddedSize(n), size, `n=${n}`);
  });

  test("unpad agrees with Python on honest and broken buffers", () => {
    for (const entry of fixtures.padding.unpad) {
      const padded = fromRuns(entry.padded);
      assert.deepEqual(outcome(() => c.b64u(c.unpad(padded))), expected(entry), entry.name);
      const streaming = outcome(() => {
        const unpadder = new c.StreamingUnpadder();
        const pieces = [];
        for (let i = 0; i < padded.length; i += 1000) pieces.push(...unpadder.feed(padded.subarray(i, i + 1000)));
        unpadder.finish();
        return c.b64u(c.concatBytes(...pieces));
      });
      assert.deepEqual(streaming, expected(entry), `${entry.name} (streaming)`);
    }
  });

  test("streaming unpad gives the content for any split, and pad round trips", () => {
    const contents = [new Uint8Array(0), Uint8Array.of(0x80), Uint8Array.of(0x80, 0, 0), new Uint8Array(70000), pseudoRandom(20000)];
    for (const content of contents) {
      const padded = c.pad(content);
      assert.equal(padded.length, c.paddedSize(content.length));
      assert.deepEqual(c.unpad(padded), content);
      for (const step of [1, 7, 4096, 65536, padded.length]) {
        const unpadder = new c.StreamingUnpadder();
        const pieces = [];
        for (let i = 0; i < padded.length; i += step) pieces.push(...unpadder.feed(padded.slice(i, i + step)));
        unpadder.finish();
        assert.deepEqual(c.concatBytes(...pieces), content);
        assert.equal(unpadder.contentSize, content.length);
      }
    }
  });
});

describe("codenames", () => {
  test("normalisation matches Python", () => {
    for (const entry of fixtures.codename.normalise) {
      assert.deepEqual(outcome(() => c.normaliseCodename(entry.input)), expected(entry), JSON.stringify(entry.input));
    }
  });

  test("derived keys match Python", () => {
    const d = fixtures.codename.derive;
    const keys = c.deriveReporterKeys(d.codename, c.fromHex(d.salt), 1); // fixtures.json holds version 1
    assert.equal(c.toHex(keys.loginToken), d.login_token);
    assert.equal(c.toHex(keys.replyPublicKey), d.reply_public_key);
    assert.equal(c.toHex(keys.signPublicKey), d.sign_public_key);
    assert.throws(() => c.deriveMasterKey(d.codename, new Uint8Array(15)), RangeError);
  });

  test("generated codenames are eight list words and differ", () => {
    const seen = new Set();
    for (let i = 0; i < 50; i += 1) {
      const codename = c.generateCodename();
      assert.equal(c.normaliseCodename(codename), codename);
      seen.add(codename);
    }
    assert.equal(seen.size, 50);
  });
});

describe("identities", () => {
  test("reviewer keys from a seed give Python's line, key id and fingerprint", () => {
    for (const r of fixtures.reviewers) {
      const keys = c.reviewerKeysFromSeed(r.name, c.fromHex(r.seed));
      assert.equal(keys.line, r.line);
      assert.equal(keys.keyIdHex, r.key_id);
      assert.equal(keys.fingerprint, r.fingerprint);
      assert.equal(c.toHex(keys.boxPublicKey), r.box_public_key);
      assert.equal(c.toHex(keys.signPublicKey), r.sign_public_key);
      const parsed = c.parsePublicIdentity(r.line);
      assert.equal(parsed.fingerprint, r.fingerprint);
      assert.equal(parsed.keyIdHex, r.key_id);
    }
  });

  test("public lines parse or fail as in Python", () => {
    for (const entry of fixtures.identities) {
      const got = outcome(() => {
        const identity = c.parsePublicIdentity(entry.text);
        return { key_id: identity.keyIdHex, fingerprint: identity.fingerprint, name: identity.name };
      });
      assert.deepEqual(got, expected(entry), entry.name);
    }
  });

  test("organisation lines parse or fail as in Python (a padded name is refused)", () => {
    assert.ok(fixtures.org_identities.some((entry) => entry.error === "IdentityError"));
    for (const entry of fixtures.org_identities) {
      const got = outcome(() => {
        const org = c.parseOrgIdentity(entry.text);
        return { fingerprint: org.fingerprint, name: org.name };
      });
      assert.deepEqual(got, expected(entry), entry.name);
    }
  });

  test("signed reviewer lists verify or fail as in Python", () => {
    const rl = fixtures.reviewer_list;
    assert.equal(c.parseOrgIdentity(rl.org_line).fingerprint, rl.org_fingerprint);
    for (const entry of rl.cases) {
      const got = outcome(() => {
        const list = c.verifyReviewerList(c.unb64u(entry.data), entry.expected);
        return {
          organisation: list.organisation,
          serial: list.serial,
          issued: list.issued,
          org_fingerprint: list.org.fingerprint,
          reviewers: list.reviewers.map((r) => ({ key_id: r.keyIdHex, display_name: r.displayName, role: r.role, required: r.required })),
        };
      });
      assert.deepEqual(got, expected(entry), entry.name);
    }
  });
});

describe("envelopes", () => {
  const reviewers = () => fixtures.reviewers.map((r) => c.reviewerKeysFromSeed(r.name, c.fromHex(r.seed)));

  test("seal and open round trip at chunk boundaries, with the exact sealed size", () => {
    const [alice, bob, carol] = reviewers();
    const id = c.newSubmissionId();
    for (const size of [0, 1, 16383, 16384, 65535, 65536, 65537, 3 * 65536, 200001]) {
      const data = pseudoRandom(size, size + 3);
      const envelope = c.sealBytes(data, [alice, bob], id, 5);
      assert.equal(envelope.length, c.sealedSize(size, 2));
      for (const opener of [alice, bob]) {
        const { part, plaintext } = c.openEnvelope(envelope, opener);
        assert.deepEqual(plaintext, data);
        assert.equal(part.partIndex, 5);
        assert.deepEqual(part.submissionId, id);
        assert.deepEqual(part.headerHash, c.hash256(envelope.subarray(0, c.headerSize(2))));
      }
      assert.throws(() => c.openEnvelope(envelope, carol), c.NotARecipientError);
    }
  });

  test("the sealer gives the same plaintext whatever the write sizes", () => {
    const [alice] = reviewers();
    const data = pseudoRandom(300000, 9);
    for (const step of [1000, 65535, 65536, 65537, 131072]) {
      const pieces = [];
      const sealer = new c.EnvelopeSealer([alice], c.newSubmissionId(), 1, (piece) => pieces.push(piece));
      for (let i = 0; i < data.length; i += step) sealer.write(data.subarray(i, i + step));
      const part = sealer.finish();
      const envelope = c.concatBytes(...pieces);
      assert.equal(part.sealedSize, envelope.length);
      assert.equal(part.plaintextSize, data.length);
      assert.deepEqual(c.openEnvelope(envelope, alice).plaintext, data);
      assert.throws(() => sealer.write(data), Error);
    }
  });

  test("sealFile reads a Blob in slices and reports progress", async () => {
    const [alice, bob] = reviewers();
    const data = pseudoRandom(3 * 1024 * 1024 + 123, 4);
    const progress = [];
    const id = c.newSubmissionId();
    const { part, blob } = await c.sealFile(new Blob([data]), [alice, bob], id, 2, (done, total) => progress.push([done, total]));
    assert.equal(progress.length, 4);
    assert.deepEqual(progress.at(-1), [data.length, data.length]);
    assert.equal(blob.size, c.sealedSize(data.length, 2));
    const envelope = new Uint8Array(await blob.arrayBuffer());
    assert.deepEqual(part.headerHash, c.readHeader(envelope).headerHash);
    assert.deepEqual(c.openEnvelope(envelope, bob).plaintext, data);
    const pieces = [];
    await c.sealFile(new Blob([]), [alice], id, 3, undefined, (piece) => pieces.push(piece));
    assert.equal(c.openEnvelope(c.concatBytes(...pieces), alice).plaintext.length, 0);
  });

  test("caps are checked before any cryptography", () => {
    const [alice] = reviewers();
    const id = c.newSubmissionId();
    assert.throws(() => c.sealBytes(new Uint8Array(1), [], id, 0), c.LimitError);
    assert.throws(() => c.sealBytes(new Uint8Array(1), [alice, alice], id, 0), c.LimitError);
    assert.throws(() => c.sealBytes(new Uint8Array(1), [alice], id, 64), c.LimitError);
    assert.throws(() => c.sealBytes(new Uint8Array(1), [alice], new Uint8Array(15), 0), c.LimitError);
  });

  test("a part-0 cap stops decryption early", () => {
    const [alice] = reviewers();
    const envelope = c.sealBytes(pseudoRandom(200000), [alice], c.newSubmissionId(), 0);
    assert.throws(() => c.openEnvelope(envelope, alice, { maxPlaintextBytes: 100000 }), c.LimitError);
  });
});
