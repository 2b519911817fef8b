// @ts-check
/*
 * Jieli 接力 — customer-service chat widget: the entry of the bundle (widget.js, built by esbuild:
 * make widget). One global (`window.Jieli`), a Shadow DOM root whose styles live inside it, and typed
 * CustomEvents (`jieli:*`, dispatched on the host element; they bubble to `document` and `window`).
 * Everything a customer, the bot or an agent wrote is put on the page with `textContent`, never as
 * HTML. See docs/widget.md.
 */
"use strict";                      // modules are strict anyway; esbuild keeps it at the top of the bundle

import {configure, env} from "./config.js";
import {store} from "./util.js";
import {W} from "./state.js";
import {wireConnection} from "./connection.js";
import {socketHandlers} from "./session.js";
import {mount} from "./mount.js";
import {api} from "./api.js";

const global = /** @type {Window & {Jieli?: typeof api}} */ (window);

if (!(global.Jieli && global.Jieli.version)) {             // loaded twice: keep the first
  // where the bridge is: read while this script runs (document.currentScript is gone afterwards)
  configure(/** @type {HTMLScriptElement | null} */ (document.currentScript));
  wireConnection(socketHandlers);          // what the socket says and hears: session.js
  try {
    Object.defineProperty(window, "Jieli", {value: Object.freeze(api), writable: false, configurable: false, enumerable: true});
  } catch (_) {
    global.Jieli = api;
  }
  W.seenSeq = store.get(env.storeKey + ":seen", 0);

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => setTimeout(mount, 0));
  else setTimeout(mount, 0);
}
