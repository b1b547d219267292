// How the case page orders and checks the replies it verified (no DOM: tests/js/ run it).
//
// The server chooses the order and the number of the replies it lists. The page shows them
// in (reviewer, sequence) order whatever the server's order was, says when that order
// differed, and marks a reply as missing when a reviewer's sequence has a gap
// (classifyReplies) or when a reply this visit already verified is no longer listed
// (`seen`: the highest number verified per reviewer in this visit).

import * as c from "./candour-crypto.js";

function keyHexOf(view) {
  if (view.state === "verified") return c.toHex(view.statement.reviewerKeyId);
  return view.reviewerKeyId ? c.toHex(view.reviewerKeyId) : "";
}

function seqOf(view) {
  if (view.state === "verified") return view.statement.seq;
  if (view.state === "missing") return view.first;
  return view.seq ?? 0;
}

/**
 * Order classified views for display.
 * @param {object[]} views what classifyReplies returned (the server's order)
 * @param {(keyHex: string) => string} nameOf a reviewer's display name, for ordering
 * @param {Record<string, number>} [seen] highest reply number per reviewer verified earlier in this visit
 * @returns {{views: object[], reordered: boolean, seen: Record<string, number>}}
 *   `views`: verified replies and missing markers by reviewer then number, rejected ones
 *   last (in the server's order); `reordered`: the server listed the verified replies in
 *   another order; `seen`: the updated highest numbers.
 */
export function orderReplyViews(views, nameOf, seen = {}) {
  const verified = views.filter((view) => view.state === "verified");
  const markers = views.filter((view) => view.state === "missing");
  const rejected = views.filter((view) => view.state === "rejected");
  const highest = {};
  for (const view of verified) {
    const keyHex = keyHexOf(view);
    highest[keyHex] = Math.max(highest[keyHex] ?? 0, view.statement.seq);
  }
  // A reply this visit verified earlier that the server no longer lists (the newest ones
  // dropped): a gap classifyReplies cannot see, since no later reply remains above it.
  for (const [keyHex, number] of Object.entries(seen)) {
    if (!/^[0-9a-f]{16}$/.test(keyHex) || !Number.isSafeInteger(number)) continue;
    const now = highest[keyHex] ?? 0;
    if (number > now) markers.push({ state: "missing", reviewerKeyId: c.fromHex(keyHex), first: now + 1, last: number, known: true });
  }
  const byReviewerThenNumber = (a, b) => {
    const ka = keyHexOf(a);
    const kb = keyHexOf(b);
    if (ka !== kb) {
      const byName = nameOf(ka).localeCompare(nameOf(kb));
      return byName !== 0 ? byName : ka < kb ? -1 : 1;
    }
    // A missing marker comes just before the reply above its run.
    return seqOf(a) - seqOf(b) || (a.state === "missing" ? -1 : 1);
  };
  const ordered = [...verified, ...markers].sort(byReviewerThenNumber);
  const servedOrder = verified.map((view) => `${keyHexOf(view)}:${view.statement.seq}`);
  const shownOrder = ordered.filter((view) => view.state === "verified").map((view) => `${keyHexOf(view)}:${view.statement.seq}`);
  const updated = { ...seen };
  for (const [keyHex, number] of Object.entries(highest)) updated[keyHex] = Math.max(updated[keyHex] ?? 0, number);
  return {
    views: [...ordered, ...rejected],
    reordered: servedOrder.some((marker, index) => marker !== shownOrder[index]),
    seen: updated,
  };
}

/**
 * The key ids a reply's author must be among, kept only where they are on the trusted
 * (signed) list: the reviewers the reporter signed as the report's recipients (§7.1),
 * checked with the reporter's own key; for a case without that statement (stored before
 * it existed) the reviewers this device sealed the report to when it did (this visit),
 * else the case's reviewers as the portal lists them. A statement that does not verify
 * gives nobody ("tampered"): no reply is then shown as verified.
 * @param {{statement: string, signature: string}|null|undefined} signed the replies JSON's `recipients`
 * @param {{caseId: string, signPublicKey: Uint8Array}} reporter
 * @param {string[]|null} sealedTo @param {string[]} serverList @param {Map<string, object>} trustedByKeyId
 * @returns {{recipients: Set<string>, source: "signed"|"tampered"|"device"|"server", problem?: string}}
 */
export function caseRecipients(signed, reporter, sealedTo, serverList, trustedByKeyId) {
  if (signed !== null && signed !== undefined) {
    try {
      if (typeof signed.statement !== "string" || typeof signed.signature !== "string") throw new c.FormatError("the recipients statement is not b64u");
      const ids = c.verifyRecipients(c.unb64u(signed.statement), c.unb64u(signed.signature), reporter.signPublicKey, reporter.caseId);
      return { recipients: new Set(ids.filter((keyHex) => trustedByKeyId.has(keyHex))), source: "signed" };
    } catch (error) {
      return { recipients: new Set(), source: "tampered", problem: String(error?.message ?? error) };
    }
  }
  const source = Array.isArray(sealedTo) && sealedTo.length ? "device" : "server";
  const chosen = source === "device" ? sealedTo : serverList;
  return { recipients: new Set(chosen.filter((keyHex) => trustedByKeyId.has(keyHex))), source };
}
