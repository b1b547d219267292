// Load the vendored libsodium.js (the exact files the portal serves) into Node, the way a
// browser's classic <script src> would run them, and initialise candour-crypto with it.
//
// The UMD core picks its environment from globalThis.process / window / self. Run as-is in
// Node it would take its Node branch (require("node:fs")), which a browser never runs; so the
// two files run unmodified inside a function whose `globalThis` and `self` parameters show a
// browser-like view (no process, no window; self.crypto is the Web Crypto API). They attach
// `libsodium` and `sodium` to a private holder, never to Node's real global object.

import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

import * as candour from "../../static/js/candour-crypto.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const VENDOR = path.join(REPO, "static", "vendor", "libsodium");

function runClassicScript(file, holder, browserGlobal) {
  const source = fs.readFileSync(path.join(VENDOR, file), "utf8");
  const wrapped = vm.runInThisContext(`(function (globalThis, self) {${source}\n})`, { filename: file });
  wrapped.call(holder, browserGlobal, browserGlobal);
}

let loading = null;

/** The vendored libsodium, ready, with candour-crypto initialised on it. */
export function loadSodium() {
  loading ??= (async () => {
    const holder = {};
    const browserGlobal = {
      crypto: globalThis.crypto,
      TextDecoder: globalThis.TextDecoder,
      window: undefined,
      WorkerGlobalScope: undefined,
      document: undefined,
      process: undefined,
    };
    // CANDOUR_SODIUM_BUILD=standard: the smaller build most pages serve (no crypto_pwhash);
    // otherwise the sumo build, which the follow-up login page serves while version 1
    // cases exist and which every vector needs.
    const build = process.env.CANDOUR_SODIUM_BUILD === "standard" ? "" : "-sumo";
    runClassicScript(`libsodium${build}.js`, holder, browserGlobal);
    runClassicScript(`libsodium-wrappers${build}.js`, holder, browserGlobal);
    if (!holder.sodium) throw new Error("the vendored wrappers did not define sodium");
    await candour.ready(holder.sodium);
    // The WebAssembly build, not the plain-JS fallback the core switches to when wasm fails.
    // (WebAssembly exports print as native code; the fallback's functions are JavaScript.)
    if (!/\[native code\]/.test(String(holder.libsodium._crypto_generichash))) {
      throw new Error("libsodium fell back to its plain-JavaScript build: WebAssembly did not start");
    }
    return holder.sodium;
  })();
  return loading;
}

export { candour };
