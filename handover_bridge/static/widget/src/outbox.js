// @ts-check
// Sending: what the customer sends goes into the outbox (kept in localStorage) and is resent on every
// reconnect until the bridge has stored it (its client_msg_id comes back); a failure can be retried
// with a tap. The quick replies and the suggestion chips send from here too.
import {T} from "./words.js";
import {env} from "./config.js";
import {el, isObject, newId, store} from "./util.js";
import {W, emit, ui} from "./state.js";
import {sendFrame} from "./connection.js";
import {ensureConversation, scheduleCreateRetry} from "./conversation.js";
import {refreshTyping, scrollToEnd} from "./controls.js";

/** @typedef {import("./state.js").OutboxItem} OutboxItem */

export function saveOutbox() {
  store.set(env.storeKey + ":outbox", W.outbox.map(({client_msg_id, text, payload}) => ({client_msg_id, text, payload})));
}

/**
 * @param {string} clientMsgId
 */
export function removeFromOutbox(clientMsgId) {
  if (!clientMsgId) return;
  const before = W.outbox.length;
  W.outbox = W.outbox.filter((m) => m.client_msg_id !== clientMsgId);
  if (W.outbox.length !== before) saveOutbox();
}

/**
 * @param {string} clientMsgId
 */
export function pendingNode(clientMsgId) {
  return [...ui.log.querySelectorAll(".jl-msg--pending, .jl-msg--failed")].find((n) => n.dataset.clientMsgId === clientMsgId);
}

/**
 * @param {OutboxItem} item
 */
export function renderPending(item) {
  const node = el("div", {class: "jl-msg jl-msg--customer jl-msg--pending", "data-sender": "customer"},
    el("div", {class: "jl-bubble", text: displayText({sender: "customer", text: item.text})}),
    el("div", {class: "jl-meta", text: T.sending}));
  node.dataset.clientMsgId = item.client_msg_id;
  ui.log.append(node);
  ui.welcome && W.messages.size && ui.welcome.remove();
  scrollToEnd();
  return node;
}

/**
 * @param {HTMLElement} node
 * @param {OutboxItem} item
 */
export function markFailed(node, item) {
  node.classList.remove("jl-msg--pending");
  node.classList.add("jl-msg--failed");
  node.querySelector(".jl-meta").textContent = item.error ? `${item.error} ${T.sendFailed}` : T.sendFailed;
  node.onclick = () => {
    item.failed = false;
    node.classList.remove("jl-msg--failed");
    node.classList.add("jl-msg--pending");
    node.querySelector(".jl-meta").textContent = T.sending;
    node.onclick = null;
    sendFromOutbox(item);
  };
}

/**
 * @param {OutboxItem} item
 */
export function sendFromOutbox(item) {
  if (item.failed) return;
  if (W.state === "bot") {
    W.botTypingUntil = Date.now() + 15000;
    refreshTyping();
  }
  const frame = {type: "message", text: item.text, client_msg_id: item.client_msg_id};
  if (typeof item.payload === "string") frame.payload = item.payload;
  sendFrame(frame);
}

/** A quick-reply button of the bot: its title is what the customer says, its payload
 * ("/intent{…}") goes as `payload`, the one field the bridge lets reach Rasa as an intent
 * @param {{title?: string, payload?: string}} button a button of the bot's message
 * (text from the customer is always text, a leading "/" included). */
export function pressButton(button) {
  const payload = typeof button.payload === "string" && button.payload.startsWith("/") ? button.payload : null;
  return sendText(String(button.title || button.payload), payload ? {payload} : undefined);
}

export function flushOutbox() {
  W.outbox.forEach(sendFromOutbox);
}

export function sendTyping() {
  if (W.state !== "assigned" || Date.now() - W.lastTypingSent < 3000) return;
  if (sendFrame({type: "typing"})) W.lastTypingSent = Date.now();
}

export async function cancelWait() {
  if (!sendFrame({type: "cancel_wait"})) return;
}

/**
 * Send a message as the customer (Jieli.send, once the widget is mounted); `options.payload`: the
 * button payload ("/intent{…}") it stands for. Retry-safe: one client_msg_id each.
 * @param {unknown} text
 * @param {{payload?: unknown}} [options]
 * @returns {string | null} its client_msg_id (null: nothing to send, or the conversation expired)
 */
export function sendText(text, options) {
  const said = String(text || "");
  if (!said.trim() || W.expired) return null;     // expired: the banner offers a new conversation
  /** @type {OutboxItem} */
  const item = {client_msg_id: newId(), text: said.slice(0, 2000)};
  if (isObject(options) && typeof options.payload === "string") item.payload = options.payload.slice(0, 256);
  W.outbox.push(item);
  saveOutbox();
  renderPending(item);
  renderChips();
  if (W.conversation) sendFromOutbox(item);
  else ensureConversation().catch(() => scheduleCreateRetry());
  return item.client_msg_id;
}

/** The 转人工 button. */
export function requestHuman() {
  emit("handover", {phase: "requested"});
  return sendText(T.human, {payload: "/request_human"});
}

/**
 * @param {Object<string, any>} message
 */
export function displayText(message) {
  if (message.sender === "customer" && W.buttonTitles.has(message.text)) return W.buttonTitles.get(message.text);
  if (message.sender === "customer" && message.text === "/request_human") return T.human;
  return typeof message.text === "string" ? message.text : "";
}

/** Suggestion chips: the newest bot message's buttons live under it; before any talk, starters. */
export function renderChips() {
  ui.chips.replaceChildren();
  if (W.messages.size || W.outbox.length) return;
  const starters = Array.isArray(W.options.suggestions) ? W.options.suggestions : T.suggestions;
  for (const text of starters.slice(0, 6)) {
    ui.chips.append(el("button", {class: "jl-qr", type: "button", onclick: () => sendText(String(text))}, String(text)));
  }
}

export function refreshChips() {
  renderChips();
  // quick replies of older bot messages are spent once the customer has answered after them
  const lastCustomer = Math.max(0, ...[...W.messages.values()].filter((m) => m.sender === "customer").map((m) => Number(m.seq)));
  ui.log.querySelectorAll('.jl-msg--bot[data-seq] .jl-buttons .jl-qr').forEach((b) => {
    const seq = Number(b.closest(".jl-msg").dataset.seq);
    b.disabled = seq < lastCustomer;
  });
}
