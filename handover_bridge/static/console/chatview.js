// @ts-check
// The chat view: the tabs (queue, tickets, chat), opening a chat or a read-only preview, and drawing
// the open chat: its head, its handover card, the transcript (the bot's part set apart from the live
// chat; each message drawn by transcript.js).
import {$, $$, h, isObject} from "./dom.js";
import {toast} from "./session.js";
import {S, api, currentChat} from "./state.js";
import {claimsOf, handoverCard, verifiedIdentity} from "./card.js";
import {stateLabel} from "./contract.js";
import {isBotPart, pendingNode, refreshComposer, renderMessage, renderTyping, scrollChat} from "./transcript.js";
import {applyTranscript, customerName, newChat, renderChatList} from "./chats.js";
import {openClose, openTransfer} from "./dialogs.js";
import {refreshTickets} from "./tickets.js";
import {showSuggestions} from "./suggest.js";
import {endForAbuse} from "./cooldown.js";
import {renderOrders} from "./orders.js";

/** @typedef {import("./state.js").Chat} Chat */

/** The queue's 接入 (accept), for a preview's head (queue.js imports this module; console.js wires it in). */
let accept = /** @type {(conversationId: string, button?: HTMLButtonElement | null) => Promise<void>} */ (async () => {});

/** @param {{accept: typeof accept}} handlers */
export function wireChatView(handlers) {
  accept = handlers.accept;
}

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
      h("span", {class: "badge state", text: chat.ended ? chat.ended : chat.readonly ? `预览 · ${stateLabel(chat.state)}` : stateLabel(chat.state)}),
      h("span", {class: "muted small", text: `会话 ${chat.id}`})),
    h("div", {class: "chat-actions"},
      chat.readonly
        ? h("button", {class: "btn primary", id: "preview-accept", type: "button", onclick: (e) => accept(chat.id, e.target)}, "接入")
        : [h("button", {class: "btn", id: "transfer-open", type: "button", disabled: Boolean(chat.ended), onclick: openTransfer}, "转接"),
          h("button", {class: "btn danger", id: "close-open", type: "button", disabled: Boolean(chat.ended), onclick: openClose}, "结束会话"),
          h("button", {class: "btn danger", id: "end-abusive", type: "button", disabled: Boolean(chat.ended), title: "顾客辱骂：一键结束，系统向顾客说明并记录原因",
            onclick: (/** @type {Event} */ e) => endForAbuse(chat.id, /** @type {HTMLButtonElement} */ (e.currentTarget))}, "结束会话（辱骂）")]));
  // handover card
  $("#handover-card").replaceChildren(handoverCard(chat, ho, ctx, meta, ident));
  renderOrders(chat);   // the order beside the chat (orders.js)
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
  showSuggestions(chat);
  renderTyping();
  scrollChat();
}

