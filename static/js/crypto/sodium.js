// The libsodium.js instance every other module uses, set once by ready().

let sodium = null;

/**
 * Wait for libsodium and keep it for every other function. Call once, before anything else.
 * @param {object} [instance] the libsodium.js wrappers object (default: `globalThis.sodium`,
 *   set by the vendored UMD scripts).
 * @returns {Promise<object>} the ready libsodium instance
 */
export async function ready(instance = globalThis.sodium) {
  if (!instance || typeof instance !== "object" || !("ready" in instance)) {
    throw new Error("libsodium.js is not loaded: include the vendored libsodium scripts before this module");
  }
  await instance.ready;
  // Either vendored build will do: the standard one lacks only crypto_pwhash, which
  // version 1 codenames alone need (codename.js checks for it there).
  sodium = instance;
  return instance;
}

/**
 * True when this browser can seal reports itself at a usable speed. Without WebAssembly
 * (Tor Browser "Safer") libsodium.js falls back to plain JS, ~400× slower: use the server path.
 * @returns {boolean}
 */
export function browserSealingSupported() {
  return (
    typeof WebAssembly === "object" &&
    typeof WebAssembly.instantiate === "function" &&
    typeof globalThis.crypto?.getRandomValues === "function" &&
    typeof Blob === "function" &&
    typeof Blob.prototype.arrayBuffer === "function"
  );
}

export function na() {
  if (sodium === null) throw new Error("call ready() before using candour-crypto");
  return sodium;
}
