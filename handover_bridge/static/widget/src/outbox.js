// @ts-check
// Sending: what the customer sends goes into the outbox (kept in localStorage) and is resent on every
// reconnect until the bridge has stored it (its client_msg_id comes back); a failure can be retried
// with a tap.
import {T} from "./words.js";
import {env} from "./config.js";
import {el, store} from "./util.js";
import {W, ui} from "./state.js";
import {sendFrame} from "./connection.js";
import {autosize} from "./mount.js";
import {displayText} from "./messages.js";
import {refreshTyping, scrollToEnd} from "./controls.js";
import {api} from "./api.js";

/** @typedef {import("./state.js").OutboxItem} OutboxItem */

export function submitInput() {
  const text = ui.input.value;
  if (!text.trim() || ui.input.disabled) return;
  ui.input.value = "";
  autosize();
  api.send(text);
}

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
  return api.send(String(button.title || button.payload), payload ? {payload} : undefined);
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
