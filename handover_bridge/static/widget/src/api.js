// @ts-check
// The public API, window.Jieli (docs/widget.md): init, open, close, toggle, send, requestHuman,
// login, logout, reset, and the read-only conversationId, identity, state, online.
import {T} from "./words.js";
import {VERSION, env} from "./config.js";
import {isObject, newId, store} from "./util.js";
import {W, emit, ui} from "./state.js";
import {cancelCreateRetry, ensureConversation, http, scheduleCreateRetry, setIdentity, syncIdentity} from "./conversation.js";
import {socket} from "./connection.js";
import {mount} from "./mount.js";
import {refreshBadge, refreshControls, renderChips, renderWelcome, markSeen, scrollToEnd} from "./controls.js";
import {removeTicketForm} from "./ticket.js";
import {renderPending, saveOutbox, sendFromOutbox} from "./outbox.js";

export const api = {
  version: VERSION,
  /** Shop metadata (customer, order, page …) and appearance. Call once, before or after load. */
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
    if (W.open) return;
    W.open = true;
    ui.root.classList.add("jl--open");
    store.set(env.storeKey + ":open", true);
    markSeen();
    scrollToEnd();
    if (!ui.input.disabled) ui.input.focus({preventScroll: true});
    emit("open", {conversation_id: W.conversation && W.conversation.id});
  },
  close() {
    if (!W.open) return;
    W.open = false;
    ui.root.classList.remove("jl--open");
    store.set(env.storeKey + ":open", false);
    ui.launcher.focus({preventScroll: true});
    emit("close", {conversation_id: W.conversation && W.conversation.id});
  },
  toggle() { return W.open ? api.close() : api.open(); },
  /** Send a message as the customer; `options.payload`: the button payload ("/intent{…}") it
   * stands for. Retry-safe: one client_msg_id each. */
  send(text, options) {
    if (!W.mounted) mount();
    text = String(text || "");
    if (!text.trim() || W.expired) return null;     // expired: the banner offers a new conversation
    const item = {client_msg_id: newId(), text: text.slice(0, 2000)};
    if (isObject(options) && typeof options.payload === "string") item.payload = options.payload.slice(0, 256);
    W.outbox.push(item);
    saveOutbox();
    renderPending(item);
    renderChips();
    if (W.conversation) sendFromOutbox(item);
    else ensureConversation().catch(() => scheduleCreateRetry());
    return item.client_msg_id;
  },
  /** The 转人工 button. */
  requestHuman() {
    emit("handover", {phase: "requested"});
    return api.send(T.human, {payload: "/request_human"});
  },
  /** The shop's signed identity token for the logged-in customer (docs/security.md): a running
   * conversation is logged in at once, a new one starts with it. Resolves to the verified
   * identity (null until a conversation exists); rejects with {code, message} when refused. */
  login(token) {
    W.options = {...W.options, identityToken: typeof token === "string" && token ? token : null};
    W.identitySent = W.options.identityToken;
    if (!W.conversation || !W.options.identityToken) return Promise.resolve(null);
    return http("POST", `/api/conversations/${encodeURIComponent(W.conversation.id)}/identity`,
      {identity_token: W.options.identityToken})
      .then((data) => { setIdentity(data.identity); return W.identity; },
        (error) => {
          emit("identity", {verified: Boolean(W.identity), identity: W.identity, error: {code: error.code, message: error.message}});
          if (error.code !== "identity_mismatch") throw error;
          api.reset(W.open);            // another customer's chat: theirs stays theirs, this one starts afresh
          return null;
        });
  },
  /** The customer logged out of the shop: forget the token and start a new, anonymous conversation. */
  logout(open) {
    W.options = {...W.options, identityToken: null};
    W.identity = null;
    api.reset(open);
  },
  /** Forget the stored conversation (the next message starts a new one). */
  reset(open) {
    socket.close();
    cancelCreateRetry();
    store.remove(env.storeKey);
    store.remove(env.storeKey + ":outbox");
    store.remove(env.storeKey + ":seen");
    Object.assign(W, {conversation: null, state: "bot", agent: null, online: false, maxSeq: 0, outbox: [],
      queue: null, unread: 0, seenSeq: 0, createFailed: false, replaying: false, expired: false});
    socket.attempt = 0;
    socket.failures = 0;
    W.messages.clear();
    if (ui.log) {
      ui.log.replaceChildren();
      removeTicketForm();
      renderWelcome();
      renderChips();
      ui.root.dataset.online = "false";
      refreshControls();
      refreshBadge();
    }
    emit("state", {state: "bot", previous: null, agent: null});
    if (open) api.open();
  },
  get conversationId() { return W.conversation ? W.conversation.id : null; },
  get identity() { return W.identity || null; },
  get state() { return W.state; },
  get online() { return W.online; },
};
