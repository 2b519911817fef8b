// @ts-check
// The chats this agent has (several at once): take a chat in and load its transcript once, add each
// message by seq (the shared SeqLog: a resend after a reconnect is not shown twice), a failed send,
// end and remove a chat, and the list of chats.
import {$, $$, h, isObject, show} from "./dom.js";
import {countAbusiveChat, flaggedTexts, isAbusive} from "./protect.js";
import {toast} from "./session.js";
import {takeBySeq} from "../shared/socket.js";
import {S, api} from "./state.js";
import {notify, refreshAbuseCount} from "./alerts.js";
import {claimsOf, verifiedIdentity} from "./card.js";
import {appendToView} from "./transcript.js";
import {send} from "./connection.js";
import {customerSaid} from "./suggest.js";

/** @typedef {import("./state.js").Chat} Chat */

/** The chat view's part (chatview.js imports this module; console.js wires these in). */
const view = {
  /** @type {() => void} draw the open chat again */
  renderChat: () => {},
  /** @type {(view: string) => void} */
  showView: () => {},
  /** @type {(conversationId: string) => void} */
  openChat: () => {},
};

/** @param {typeof view} handlers */
export function wireChats(handlers) {
  Object.assign(view, handlers);
}

/**
 * @param {string} id
 * @returns {Chat}
 */
export function newChat(id) {
  return {id, state: "assigned", handover: null, metadata: {}, messages: new Map(), maxSeq: 0, unread: 0,
    loaded: false, loading: null, pending: new Map(), flagged: new Set(), abusive: false, ended: null,
    typingUntil: 0, draft: "", revealed: new Set(), readonly: false};
}

/**
 * A chat that is (now) mine: load its whole transcript once.
 * @param {string} conversationId
 * @param {boolean} announce
 * @param {Object<string, any>} [info]
 */
export function adoptChat(conversationId, announce, info) {
  if (!conversationId) return Promise.resolve();
  let chat = S.chats.get(conversationId);
  if (chat && !chat.ended) return chat.loading || Promise.resolve();
  if (!chat || chat.ended) {
    chat = newChat(conversationId);
    S.chats.set(conversationId, chat);
    if (announce) notify("新会话");
  }
  if (info && info.handover) chat.handover = info.handover;
  if (info && typeof info.channel === "string") chat.channel = info.channel;
  chat.loading = loadTranscript(chat).finally(() => { chat.loading = null; });
  renderChatList();
  return chat.loading;
}

/**
 * @param {Chat} chat
 */
async function loadTranscript(chat) {
  const data = await api("GET", `/conversations/${encodeURIComponent(chat.id)}`);
  applyTranscript(chat, data);
  chat.loaded = true;
  send({type: "sync", conversation_id: chat.id, last_seq: chat.maxSeq});
  if (S.active === chat.id) view.renderChat();
  renderChatList();
}

/**
 * @param {Chat} chat
 * @param {Object<string, any>} data
 */
export function applyTranscript(chat, data) {
  chat.state = data.state || chat.state;
  chat.handover = data.handover || chat.handover;
  chat.metadata = isObject(data.metadata) ? data.metadata : {};
  if (typeof data.channel === "string") chat.channel = data.channel;
  const ctx = chat.handover && isObject(chat.handover.context) ? chat.handover.context : {};
  chat.flagged = flaggedTexts(ctx);
  for (const message of Array.isArray(data.messages) ? data.messages : []) addMessage(chat, message, true);
}

/**
 * @param {Chat} chat
 * @param {Object<string, any>} message
 * @param {boolean} initial
 */
export function addMessage(chat, message, initial) {
  if (takeBySeq(chat, message) === null) return false;      // dedupe by seq
  if (message.client_msg_id && chat.pending.has(message.client_msg_id)) {
    chat.pending.delete(message.client_msg_id);
    $$(`.msg.pending`).filter((n) => n.dataset.clientMsgId === message.client_msg_id).forEach((n) => n.remove());
  }
  if (isAbusive(message, chat.flagged) && !chat.abusive) {
    chat.abusive = true;
    if (!chat.readonly && S.me) { countAbusiveChat(S.me.username, chat.id); refreshAbuseCount(); }
  }
  if (message.sender === "customer") { chat.typingUntil = 0; if (!initial) customerSaid(chat); }
  const visible = S.active === chat.id && S.view === "chat";
  if (visible) appendToView(chat, message);
  if (!initial && message.sender === "customer" && !(visible && document.hasFocus())) {
    chat.unread += 1;
    renderChatList();
  }
  return true;
}

/**
 * @param {Object<string, any>} frame
 */
export function onError(frame) {
  const text = frame.message || "操作失败";
  if (frame.client_msg_id) {
    for (const chat of S.chats.values()) {
      if (chat.pending.has(frame.client_msg_id)) {
        $$(".msg.pending").filter((n) => n.dataset.clientMsgId === frame.client_msg_id)
          .forEach((n) => { n.classList.add("failed"); n.querySelector(".who").textContent = `发送失败：${text}`; });
        chat.pending.delete(frame.client_msg_id);
      }
    }
  }
  toast(text, "error");
}

/**
 * @param {string} conversationId
 * @param {string} why
 */
export function endChat(conversationId, why) {
  const chat = S.chats.get(conversationId);
  if (!chat || chat.ended) return;
  chat.ended = why;
  chat.state = "ended";
  if (S.active === conversationId) {
    view.renderChat();
    toast(why);
  }
  renderChatList();
}

/**
 * @param {string} conversationId
 */
export function removeChat(conversationId) {
  S.chats.delete(conversationId);
  if (S.active === conversationId) {
    S.active = null;
    view.showView("queue");
  }
  renderChatList();
}

export function renderChatList() {
  const list = $("#chat-list");
  const chats = [...S.chats.values()];
  $("#no-chats").hidden = chats.length > 0;
  list.replaceChildren(...chats.map((chat) => {
    const ho = isObject(chat.handover) ? chat.handover : {};
    const ctx = isObject(ho.context) ? ho.context : {};
    const meta = claimsOf({...(isObject(ctx.metadata) ? ctx.metadata : {}), ...chat.metadata});
    const last = [...chat.messages.values()].filter((m) => m.sender !== "system").pop();
    const lastText = last ? (isAbusive(last, chat.flagged) ? "（可能含有不当言辞）" : show(last.text, 40)) : "";
    return h("li", {class: `chat-item${S.active === chat.id ? " active" : ""}${chat.ended ? " ended" : ""}`,
      dataset: {conversationId: chat.id}},
    h("button", {type: "button", class: "chat-open", onclick: () => view.openChat(chat.id)},
      h("span", {class: "chat-name", text: customerName(meta, chat.id, verifiedIdentity(chat.metadata))}),
      chat.unread ? h("span", {class: "unread", "aria-label": `${chat.unread} 条未读`, text: String(chat.unread)}) : null,
      chat.abusive ? h("span", {class: "badge warn small", text: "不当言辞"}) : null,
      h("span", {class: "chat-last", text: chat.ended ? chat.ended : lastText})),
    chat.ended ? h("button", {type: "button", class: "chat-remove", "aria-label": "移除", title: "移除",
      onclick: () => removeChat(chat.id)}, "×") : null);
  }));
}

/**
 * @param {Object<string, any>} meta
 * @param {string} id
 * @param {Object<string, any>} ident
 */
export function customerName(meta, id, ident) {
  if (ident) return `${show(ident.name || `顾客 ${ident.customer_id}`, 20)} ✓`;
  if (meta.customer_name) return `${show(meta.customer_name, 20)}（自述）`;
  if (meta.customer_id) return `顾客 ${show(meta.customer_id, 20)}（自述）`;
  return `顾客 ${id.slice(0, 6)}`;
}
