// The proof-of-work stamp a browser-sealed report or follow-up carries (portal/flood.py).
//
// The portal hands out a challenge (GET /report/challenge): random bytes, a difficulty and
// a coarse expiry, MACed by the server. This finds a counter such that
// BLAKE2b-256(challenge ‖ counter as 8 bytes big-endian) has at least `difficulty` leading
// zero bits: at the default difficulty about 65,000 hashes, well under a second. It costs
// an honest reporter a moment once per submission and a flood the same for every message.
// The stamp proves work only: it carries nothing about the reporter.
//
// A stamp is made in advance (when the page loads), used once, and replaced when it is
// older than half its lifetime: a reporter may take hours to write.

import * as c from "./candour-crypto.js";
import { ShownError, text } from "./browser-common.js";

const COUNTER_BYTES = 8;
// The solver runs on the page's thread in slices of about this many milliseconds, then
// lets the page handle input and paint (a reporter types while it works). Yielding on a
// time budget, not every few thousand hashes, keeps the cost of yielding small on any
// device (bench/pow_browser.py measures it, docs/performance.md).
const SLICE_MS = 40;
// Hashes between looks at the clock (reading it is not free either).
const CLOCK_EVERY = 256;

/**
 * Let the page run (input, painting, its timers) before the next slice: a zero-delay
 * timer, clamped to ~4 ms, which a 40 ms slice keeps near a tenth of the time.
 * (scheduler.yield() would cost less but runs ahead of timers: a page timer could then
 * wait for the whole solve, seconds on a slow phone.)
 */
function yieldToPage() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Leading zero bits of a digest. @param {Uint8Array} digest @returns {number} */
export function leadingZeroBits(digest) {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/**
 * The smallest counter whose hash has `difficulty` leading zero bits.
 * @param {Uint8Array} challenge the decoded challenge token
 * @param {number} difficulty
 * @returns {Promise<number>}
 */
export async function solve(challenge, difficulty) {
  const input = new Uint8Array(challenge.length + COUNTER_BYTES);
  input.set(challenge, 0);
  const view = new DataView(input.buffer, challenge.length, COUNTER_BYTES);
  let sliceStart = performance.now();
  for (let counter = 0; counter < Number.MAX_SAFE_INTEGER; counter += 1) {
    view.setUint32(0, Math.floor(counter / 2 ** 32));
    view.setUint32(4, counter >>> 0);
    if (leadingZeroBits(c.hash256(input)) >= difficulty) return counter;
    if (counter % CLOCK_EVERY === CLOCK_EVERY - 1 && performance.now() - sliceStart >= SLICE_MS) {
      await yieldToPage();
      sliceStart = performance.now();
    }
  }
  throw new Error("no counter found");
}

/**
 * Fetch a challenge and solve it.
 * @param {string} url @returns {Promise<{challenge: string, counter: string, freshUntil: number}>}
 */
async function makeStamp(url) {
  let answer;
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    answer = await response.json();
  } catch {
    throw new ShownError(text("stamp-failed"));
  }
  if (typeof answer?.challenge !== "string" || typeof answer?.difficulty !== "number") {
    throw new ShownError(text("stamp-failed"));
  }
  const ttl = typeof answer.ttl === "number" ? answer.ttl : 300;
  const freshUntil = performance.now() + (ttl * 1000) / 2;
  const counter = await solve(c.unb64u(answer.challenge), answer.difficulty);
  return { challenge: answer.challenge, counter: String(counter), freshUntil };
}

/** Makes stamps ahead of time, one per submission. */
export class Stamper {
  /** @param {string} url the challenge endpoint */
  constructor(url) {
    this.url = url;
    /** @type {Promise<{challenge: string, counter: string, freshUntil: number}>|null} */
    this.pending = null;
  }

  /** Start working on the next stamp (call once libsodium is ready). */
  prepare() {
    if (this.pending) return;
    this.pending = makeStamp(this.url);
    this.pending.catch(() => {}); // reported when the stamp is taken, not before
  }

  /** A stamp to use once: the prepared one if still fresh, else a new one. */
  async take() {
    this.prepare();
    let stamp;
    try {
      stamp = await this.pending;
    } catch {
      stamp = null;
    }
    this.pending = null;
    if (!stamp || performance.now() > stamp.freshUntil) stamp = await makeStamp(this.url);
    return stamp;
  }

  /**
   * Put the stamp fields into a FormData (right after the CSRF token: the portal checks
   * them before it stores any part).
   * @param {FormData} body
   */
  async appendTo(body) {
    const stamp = await this.take();
    body.append("pow_challenge", stamp.challenge);
    body.append("pow_counter", stamp.counter);
  }
}
