// @ts-check
// The chat view: the tabs (queue, tickets, chat), opening a chat or a read-only preview, the chat's
// head, its handover card, the transcript (the bot's part set apart from the live chat) and each
// message, masked when it may be abusive.
import {$, $$, clock, h, isObject, show} from "./dom.js";
import {isAbusive} from "./protect.js";
import {toast} from "./session.js";
import {S, api, currentChat} from "./state.js";
import {STATES, claimsOf, handoverCard, verifiedIdentity} from "./card.js";
import {maskedText} from "./mask.js";
import {applyTranscript, customerName, newChat, renderChatList} from "./chats.js";
import {refreshComposer, renderTyping} from "./composer.js";
import {openClose, openTransfer} from "./dialogs.js";
import {accept} from "./queue.js";
import {refreshTickets} from "./tickets.js";

/** @typedef {import("./state.js").Chat} Chat */

/**
 * @param {string} view
 */
export function showView(view) {
  S.view = view;
  $("#view-queue").hidden = view !== "queue";
  $("#view-tickets").hidden = view !== "tickets";
  $("#view-chat").hidden = view !== "chat";
  for (const tab of $$(".tab")) tab.classList.toggle("active", tab.dataset.view === view);
  if (view !== "chat") { S.active = null; S.preview = null; renderChatList(); }
  if (view === "tickets") refreshTickets();
}

for (const tab of $$(".tab")) tab.addEventListener("click", () => showView(tab.dataset.view));

/**
 * @param {string} conversationId
 */
export function openChat(conversationId) {
  const chat = S.chats.get(conversationId);
  if (!chat) return;
  saveDraft();
  S.preview = null;
  S.active = conversationId;
  chat.unread = 0;
  showView("chat");
  S.active = conversationId;
  renderChat();
  renderChatList();
  if (!chat.seen) {                    // the first look: the handover card before anything else
    chat.seen = true;
    requestAnimationFrame(() => { $("#chat-scroll").scrollTop = 0; });
  }
  $("#reply").focus({preventScroll: true});
}

/**
 * @param {string} conversationId
 */
export async function openPreview(conversationId) {
  try {
    const data = await api("GET", `/conversations/${encodeURIComponent(conversationId)}`);
    const chat = newChat(conversationId);
    chat.readonly = true;
    chat.state = data.state;
    applyTranscript(chat, data);
    chat.loaded = true;
    saveDraft();
    showView("chat");
    S.preview = chat;
    S.active = null;
    renderChat();
    requestAnimationFrame(() => { $("#chat-scroll").scrollTop = 0; });
  } catch (failure) {
    toast(failure.message, "error");
  }
}

export function saveDraft() {
  const chat = S.active ? S.chats.get(S.active) : null;
  if (chat) chat.draft = $("#reply").value;
}

export function renderChat() {
  const chat = currentChat();
  if (!chat) return;
  const ho = isObject(chat.handover) ? chat.handover : {};
  const ctx = isObject(ho.context) ? ho.context : {};
  const meta = claimsOf({...(isObject(ctx.metadata) ? ctx.metadata : {}), ...chat.metadata});
  const ident = verifiedIdentity(chat.metadata);
  // head
  const head = $("#chat-head");
  head.replaceChildren(
    h("div", {class: "chat-title"}, h("strong", {text: customerName(meta, chat.id, ident)}),
      h("span", {class: "badge state", text: chat.ended ? chat.ended : chat.readonly ? `预览 · ${STATES[chat.state] || chat.state}` : STATES[chat.state] || chat.state}),
      h("span", {class: "muted small", text: `会话 ${chat.id}`})),
    h("div", {class: "chat-actions"},
      chat.readonly
        ? h("button", {class: "btn primary", id: "preview-accept", type: "button", onclick: (e) => accept(chat.id, e.target)}, "接入")
        : [h("button", {class: "btn", id: "transfer-open", type: "button", disabled: Boolean(chat.ended), onclick: openTransfer}, "转接"),
          h("button", {class: "btn danger", id: "close-open", type: "button", disabled: Boolean(chat.ended), onclick: openClose}, "结束会话")]));
  // handover card
  $("#handover-card").replaceChildren(handoverCard(chat, ho, ctx, meta, ident));
  // transcript: the bot's part set apart, then the live chat
  const bot = $("#bot-messages");
  const live = $("#live-messages");
  bot.replaceChildren();
  live.replaceChildren();
  const messages = [...chat.messages.values()].sort((a, b) => a.seq - b.seq);
  let botCount = 0;
  for (const message of messages) {
    if (isBotPart(chat, message)) { bot.append(renderMessage(chat, message)); botCount += 1; }
    else live.append(renderMessage(chat, message));
  }
  if (!botCount && Array.isArray(ctx.transcript) && ctx.transcript.length) {
    // the bridge has no bot part (e.g. the conversation began elsewhere): show the action's copy
    for (const turn of ctx.transcript) {
      if (!isObject(turn)) continue;
      bot.append(renderMessage(chat, {seq: `t${botCount}`, sender: turn.sender === "user" ? "customer" : turn.sender,
        text: turn.text, created_at: turn.timestamp, abusive: turn.abusive === true}));
      botCount += 1;
    }
  }
  $("#bot-part-title").textContent = `机器人对话记录（转人工前，${botCount} 条）`;
  $("#bot-part").hidden = botCount === 0;
  $("#live-title").textContent = chat.readonly ? "转人工之后" : "人工对话";
  if (!chat.readonly) {
    for (const [cid, text] of chat.pending) live.append(pendingNode(cid, text));
  }
  $("#composer").hidden = chat.readonly;
  $("#reply").value = chat.readonly ? "" : chat.draft || "";
  refreshComposer();
  renderTyping();
  scrollChat();
}

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
  const buttons = Array.isArray(payload.buttons) ? payload.buttons.filter((b) => isObject(b) && b.title) : [];
  if (buttons.length) {
    node.append(h("div", {class: "buttons"}, h("span", {class: "muted small", text: "按钮："}),
      buttons.map((b) => h("span", {class: "chip", title: show(b.payload, 100), text: show(b.title, 40)}))));
  }
  return node;
}

/**
 * @param {string} cid
 * @param {string} text
 */
export function pendingNode(cid, text) {
  return h("div", {class: "msg msg-agent pending", dataset: {clientMsgId: cid}},
    h("div", {class: "who", text: "发送中…"}), h("div", {class: "bubble"}, h("span", {class: "text", text})));
}
