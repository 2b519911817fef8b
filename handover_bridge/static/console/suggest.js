// @ts-check
// Suggested replies: for the open chat, the bridge's top three for the customer's own words (GET
// …/suggestions), each with where it comes from (政策 · 说明书 · 审核通过 · 同事回答) and its topic. One
// click puts the text in the reply box to edit — nothing is ever sent from here. When the agent
// sends, what the reply did with the suggestion is recorded (POST …/suggestions/usage): as_is,
// edited (the text differs), or none (written without one). Every text is set with textContent.
import {$, h, isObject} from "./dom.js";
import {api, currentChat} from "./state.js";

/**
 * @typedef {{id: string, text: string, source: string, source_label: string, title: string, score: number}} Suggestion
 * @typedef {{items: Suggestion[], forSeq: number, request: number, picked: Suggestion | null, failed: boolean, loaded: boolean}} Strip
 */

/** @type {Map<string, Strip>} conversation id → its suggestions */
const strips = new Map();
let requests = 0;

/**
 * @param {import("./state.js").Chat} chat
 * @returns {number} the seq of the customer's last message this console has
 */
function lastCustomerSeq(chat) {
  let last = 0;
  for (const message of chat.messages.values()) {
    if (message.sender === "customer" && typeof message.seq === "number" && message.seq > last) last = message.seq;
  }
  return last;
}

/**
 * @param {import("./state.js").Chat} chat
 * @returns {Strip}
 */
function stripOf(chat) {
  let strip = strips.get(chat.id);
  if (!strip) {
    strip = {items: [], forSeq: -1, request: 0, picked: null, failed: false, loaded: false};
    strips.set(chat.id, strip);
  }
  return strip;
}

/**
 * Draw the strip for the open chat, asking the bridge again when the customer said something new.
 * @param {import("./state.js").Chat | null} chat
 */
export function showSuggestions(chat) {
  const box = $("#suggestions");
  if (!chat || chat.readonly || chat.ended) { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  const strip = stripOf(chat);
  draw(chat, strip);
  const seq = lastCustomerSeq(chat);
  if (seq !== strip.forSeq) load(chat, strip, seq);
}

/**
 * @param {import("./state.js").Chat} chat
 * @param {Strip} strip
 * @param {number} seq
 */
async function load(chat, strip, seq) {
  const request = ++requests;
  strip.request = request;
  strip.forSeq = seq;
  try {
    const data = await api("GET", `/conversations/${encodeURIComponent(chat.id)}/suggestions`);
    if (strip.request !== request) return;              // a newer question was asked meanwhile
    strip.items = (Array.isArray(data.items) ? data.items : []).filter(isObject).slice(0, 3);
    strip.failed = false;
    strip.loaded = true;
  } catch (_) {
    if (strip.request !== request) return;
    strip.failed = true;
    strip.forSeq = -1;                                  // try again next time the chat is drawn
  }
  const open = currentChat();
  if (open && open.id === chat.id) draw(chat, strip);
}

/**
 * @param {import("./state.js").Chat} chat
 * @param {Strip} strip
 */
function draw(chat, strip) {
  const box = $("#suggestions");
  const head = h("div", {class: "suggestions-head"},
    h("strong", {text: "建议回复"}),
    h("span", {class: "muted small", text: "点一下放进输入框，改好再发送"}));
  let body;
  if (strip.failed && !strip.items.length) body = h("p", {class: "muted small", text: "建议暂时加载不出来，不影响正常回复。"});
  else if (!strip.loaded) body = h("p", {class: "muted small", text: "正在找建议…"});
  else if (!strip.items.length) body = h("p", {class: "muted small", text: "暂无合适的建议，请直接回复。"});
  else {
    body = h("div", {class: "suggestion-list"}, strip.items.map((item, index) =>
      h("button", {class: `suggestion${strip.picked && strip.picked.id === item.id ? " picked" : ""}`, type: "button",
        dataset: {suggestionId: String(item.id), source: String(item.source)},
        "aria-label": `建议 ${index + 1}：${item.source_label} · ${item.title}`,
        onclick: () => pick(chat, strip, item)},
      h("span", {class: "suggestion-meta"},
        h("span", {class: `badge source-${String(item.source)}`, text: String(item.source_label || item.source)}),
        h("span", {class: "suggestion-title", text: String(item.title || "")})),
      h("span", {class: "suggestion-text", text: String(item.text || "")}))));
  }
  box.replaceChildren(head, body);
}

/**
 * Put a suggestion in the reply box (replacing what is there) for the agent to edit; never send it.
 * @param {import("./state.js").Chat} chat
 * @param {Strip} strip
 * @param {Suggestion} item
 */
function pick(chat, strip, item) {
  const box = /** @type {HTMLTextAreaElement} */ ($("#reply"));
  if (box.disabled) return;
  box.value = String(item.text || "");
  chat.draft = box.value;
  strip.picked = item;
  box.focus();
  box.selectionStart = box.selectionEnd = box.value.length;
  draw(chat, strip);
}

/**
 * What a sent reply did with the suggestion picked in this chat (called by the composer on send).
 * @param {import("./state.js").Chat} chat
 * @param {string} text what was sent
 */
export function noteSent(chat, text) {
  const strip = strips.get(chat.id);
  const picked = strip ? strip.picked : null;
  if (strip) strip.picked = null;
  const body = picked
    ? {suggestion_id: picked.id, how: picked.text.trim() === text.trim() ? "as_is" : "edited", sent_text: text}
    : {how: "none", sent_text: text};
  api("POST", `/conversations/${encodeURIComponent(chat.id)}/suggestions/usage`, body).catch(() => {});
  const open = currentChat();
  if (strip && open && open.id === chat.id) draw(chat, strip);
}

/**
 * A new customer message in a chat: refresh its suggestions if it is the one on screen.
 * @param {import("./state.js").Chat} chat
 */
export function customerSaid(chat) {
  const open = currentChat();
  if (open && open.id === chat.id) showSuggestions(chat);
}
