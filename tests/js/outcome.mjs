// docs/format.md §13: the JS reader's errors as outcome words, exactly as `outcome_of` in
// tests/vectors/test_vectors.py maps the Python ones. Subclasses first.

import { candour } from "./sodium-node.mjs";

export const OUTCOMES = ["success", "header failure", "no match", "mac failure", "payload failure", "padding failure"];

/** @param {Error|null} error @returns {string} */
export function outcomeOf(error) {
  const c = candour;
  if (error === null) return "success";
  if (error instanceof c.PayloadError || error instanceof c.TruncatedPayloadError || error instanceof c.TrailingDataError) {
    return "payload failure";
  }
  if (error instanceof c.FormatError) return "header failure";
  if (error instanceof c.NotARecipientError) return "no match";
  if (error instanceof c.HeaderMacError) return "mac failure";
  if (error instanceof c.PaddingError) return "padding failure";
  throw new Error(`the envelope reader raised ${error?.name}, which no outcome covers: ${error?.message}`);
}
