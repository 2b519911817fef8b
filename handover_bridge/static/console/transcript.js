// @ts-check
// The open chat's live parts: each message of the transcript (masked when it may be abusive; the
// bot's part set apart from the live chat), replies being sent, the typing notice, the reply box's
// state, and keeping the newest in view.
import {$, $$, clock, h, isObject, show} from "./dom.js";
import {isAbusive} from "./protect.js";
import {S, currentChat} from "./state.js";
import {maskedText} from "./mask.js";

/** @typedef {import("./state.js").Chat} Chat */

/**
 * @param {Chat} chat
 * @param {Object<string, any>} message
 */
export function isBotPart(chat, message) {
  const ho = isObject(chat.handover) ? chat.handover : null;
  if (!ho || !ho.queued_at) return false;
  const queuedAt = Date.parse(ho.queued_at);
  const at = Date.parse(message.created_at);
  return Number.isFinite(queuedAt) && Number.isFinite(at) && at < queuedAt;
}

/**
 * @param {Chat} chat
 * @param {Object<string, any>} message
 */
export function appendToView(chat, message) {
  const node = renderMessage(chat, message);
  const container = isBotPart(chat, message) ? $("#bot-messages") : $("#live-messages");
  const later = $$(".msg[data-seq]", container).find((n) => Number(n.dataset.seq) > Number(message.seq));
  const firstPending = $(".msg.pending", container);
  container.insertBefore(node, later || firstPending || null);
  scrollChat();
}

export function scrollChat() {
  const chat = currentChat();
  const box = $("#chat-scroll");
  const bot = $("#bot-messages");
  requestAnimationFrame(() => {
    bot.scrollTop = bot.scrollHeight;
    if (chat && chat.seen) box.scrollTop = box.scrollHeight;
  });
}

/**
 * @param {Object<string, any>} message
 */
function senderLabel(message) {
  const payload = isObject(message.payload) ? message.payload : {};
  if (message.sender === "customer") return "顾客";
  if (message.sender === "bot") return "智能助手";
  if (message.sender === "agent") {
    const agent = isObject(payload.agent) ? payload.agent : {};
    if (S.me && agent.id === S.me.id) return `我（${S.me.display_name}）`;
    return `客服 ${agent.display_name || ""}`.trim();
  }
  return "系统";
}

/**
 * @param {Chat} chat
 * @param {Object<string, any>} message
 */
export function renderMessage(chat, message) {
  const sender = ["customer", "bot", "agent", "system"].includes(message.sender) ? message.sender : "system";
  const payload = isObject(message.payload) ? message.payload : {};
  const node = h("div", {class: `msg msg-${sender}`, dataset: {seq: message.seq, sender}});
  if (sender === "system") {
    node.append(h("div", {class: "note", text: message.text || ""}));
    return node;
  }
  node.append(h("div", {class: "who", text: `${senderLabel(message)} · ${clock(message.created_at)}`}));
  const abusive = sender === "customer" && (message.abusive === true || isAbusive(message, chat.flagged));
  const revealed = chat.revealed.has(message.seq);
  const bubble = h("div", {class: "bubble"});
  bubble.append(maskedText(String(message.text ?? ""), abusive && !revealed, () => chat.revealed.add(message.seq)));
  if (abusive && revealed) bubble.append(h("span", {class: "badge warn small", text: "不当言辞"}));
  node.append(bubble);
  if (sender === "customer" && payload.type === "image" && typeof payload.media_id === "string") {
    const holder = h("div", {class: "media"});
    holder.append(h("button", {class: "btn small", type: "button", text: "查看图片",
      onclick: () => showPicture(chat.id, message.seq, holder)}));
    node.append(holder);
  }
  const buttons = Array.isArray(payload.buttons) ? payload.buttons.filter((b) => isObject(b) && b.title) : [];
  if (buttons.length) {
    node.append(h("div", {class: "buttons"}, h("span", {class: "muted small", text: "按钮："}),
      buttons.map((b) => h("span", {class: "chip", title: show(b.payload, 100), text: show(b.title, 40)}))));
  }
  return node;
}

/**
 * A picture a WeChat customer sent: fetched with the agent's token, shown from a blob: URL as an
 * <img> (only image/* answers; nothing the customer sent is ever parsed as HTML).
 * @param {string} conversationId
 * @param {number} seq
 * @param {HTMLElement} holder
 */
export async function showPicture(conversationId, seq, holder) {
  holder.replaceChildren(h("span", {class: "muted small", text: "正在加载图片…"}));
  try {
    const response = await fetch(`/api/agent/conversations/${encodeURIComponent(conversationId)}/media/${Number(seq)}`,
      {headers: {Authorization: `Bearer ${S.token}`}, cache: "no-store"});
    const blob = response.ok ? await response.blob() : null;
    if (!blob || !blob.type.startsWith("image/")) throw new Error("not a picture");
    const url = URL.createObjectURL(blob);
    holder.replaceChildren(h("img", {class: "thumb", src: url, alt: "顾客发送的图片"}),
      h("a", {href: url, target: "_blank", rel: "noopener", class: "small", text: "打开原图"}));
  } catch (_) {
    holder.replaceChildren(h("span", {class: "muted small", text: "图片暂时取不到，请稍后再试。"}));
  }
}

/**
 * @param {string} cid
 * @param {string} text
 */
export function pendingNode(cid, text) {
  return h("div", {class: "msg msg-agent pending", dataset: {clientMsgId: cid}},
    h("div", {class: "who", text: "发送中…"}), h("div", {class: "bubble"}, h("span", {class: "text", text})));
}

export function refreshComposer() {
  const chat = currentChat();
  const usable = Boolean(chat && !chat.readonly && !chat.ended && chat.loaded);
  $("#reply").disabled = !usable;
  $("#send").disabled = !usable;
  $("#reply").placeholder = !chat ? "" : chat.ended ? "会话已结束" :
    S.online ? "输入回复，Enter 发送，Shift+Enter 换行" : "连接已断开，消息将通过 HTTP 发送";
}

export function renderTyping() {
  const chat = currentChat();
  const box = $("#typing");
  const typing = chat && chat.typingUntil > Date.now();
  box.hidden = !typing;
  box.textContent = typing ? "顾客正在输入…" : "";
}
