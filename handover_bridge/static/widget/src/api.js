// @ts-check
// The public API, window.Jieli (docs/widget.md): init, open, close, toggle, send, requestHuman,
// login, logout, reset, and the read-only conversationId, identity, state, online. Each call may
// come before the widget is mounted: those that need it mount it first.
import {T} from "./words.js";
import {VERSION} from "./config.js";
import {isObject} from "./util.js";
import {W, emit, ui} from "./state.js";
import {closePanel, openPanel} from "./controls.js";
import {sendText} from "./outbox.js";
import {login, reset, syncIdentity} from "./session.js";
import {mount} from "./mount.js";

export const api = {
  version: VERSION,
  /**
   * Shop metadata (customer, order, page …) and appearance. Call once, before or after load.
   * @param {Object<string, any>} [options]
   */
  init(options) {
    W.options = {...W.options, ...(isObject(options) ? options : {})};
    if (W.mounted) {
      syncIdentity();
      if (W.options.title) ui.title.textContent = W.options.title;
      if (W.options.color) ui.root.style.setProperty("--jl-brand", String(W.options.color));
      if (W.options.open) api.open();
    } else if (document.body) {
      mount();
    }
    return api;
  },
  open() {
    if (!W.mounted) mount();
    openPanel();
  },
  close() {
    closePanel();
  },
  toggle() { return W.open ? api.close() : api.open(); },
  /**
   * Send a message as the customer; `options.payload`: the button payload ("/intent{…}") it
   * stands for. Retry-safe: one client_msg_id each.
   * @param {unknown} text
   * @param {{payload?: unknown}} [options]
   */
  send(text, options) {
    if (!W.mounted) mount();
    return sendText(text, options);
  },
  /** The 转人工 button. */
  requestHuman() {
    emit("handover", {phase: "requested"});
    return api.send(T.human, {payload: "/request_human"});
  },
  /**
   * The shop's signed identity token for the logged-in customer (docs/security.md): a running
   * conversation is logged in at once, a new one starts with it. Resolves to the verified
   * identity (null until a conversation exists); rejects with {code, message} when refused.
   * @param {unknown} token
   */
  login(token) {
    return login(token);
  },
  /**
   * The customer logged out of the shop: forget the token and start a new, anonymous conversation.
   * @param {boolean} [open]
   */
  logout(open) {
    W.options = {...W.options, identityToken: null};
    W.identity = null;
    api.reset(open);
  },
  /**
   * Forget the stored conversation (the next message starts a new one).
   * @param {boolean} [open]
   */
  reset(open) {
    reset(false);
    if (open) api.open();
  },
  get conversationId() { return W.conversation ? W.conversation.id : null; },
  get identity() { return W.identity || null; },
  get state() { return W.state; },
  get online() { return W.online; },
};
