// @ts-check
// Where the bridge is: the script tag's data-bridge, else the origin the script came from. Set once by
// index.js while the script runs (document.currentScript is only there at that moment).

export const VERSION = "1.0.0";

export const env = {
  /** @type {HTMLScriptElement | null} the widget's own script tag (its data- attributes) */
  script: null,
  /** the bridge's base URL, e.g. https://bridge.example.com */
  bridge: "",
  /** the same as ws:// or wss:// */
  wsBase: "",
  /** this widget's localStorage key (one per bridge) */
  storeKey: "",
};

/**
 * The bridge's base URL for a script tag (null: take the page's address).
 * @param {{src?: string, dataset?: {bridge?: string}} | null} script
 * @param {{href: string, origin: string}} here the page's location
 * @returns {string}
 */
export function bridgeOf(script, here) {
  let origin;
  try { origin = new URL(script && script.src ? script.src : here.href, here.href).origin; }
  catch (_) { origin = here.origin; }
  return ((script && script.dataset && script.dataset.bridge) || origin).replace(/\/+$/, "");
}

/** @param {HTMLScriptElement | null} script */
export function configure(script) {
  env.script = script;
  env.bridge = bridgeOf(script, location);
  env.wsBase = env.bridge.replace(/^http/, "ws");
  env.storeKey = "jieli:v1:" + env.bridge;
}
