// @ts-check
// The composer: the reply box (Enter sends; over the socket, else the same message over HTTP), telling
// the customer the agent is typing, and the canned replies (insert one; edit the list in a dialog).
import {$, $$, h, newId} from "./dom.js";
import {DEFAULT_CANNED, resetCanned, saveCanned} from "./canned.js";
import {toast} from "./session.js";
import {S, api, currentChat} from "./state.js";
import {addMessage, onError} from "./chats.js";
import {pendingNode, scrollChat} from "./transcript.js";
import {send} from "./connection.js";
import {noteSent} from "./suggest.js";

async function sendReply() {
  const chat = currentChat();
  const box = $("#reply");
  const text = box.value;
  if (!chat || chat.readonly || chat.ended || !text.trim()) return;
  box.value = "";
  chat.draft = "";
  const cid = newId("agent");
  chat.pending.set(cid, text);
  $("#live-messages").append(pendingNode(cid, text));
  scrollChat();
  noteSent(chat, text);                              // which suggested reply it used, if any
  if (send({type: "message", conversation_id: chat.id, text, client_msg_id: cid})) return;
  try {                                              // no socket: the same message over HTTP
    const data = await api("POST", `/conversations/${encodeURIComponent(chat.id)}/messages`, {text, client_msg_id: cid});
    for (const message of data.messages || []) addMessage(chat, message, false);
  } catch (failure) {
    onError({client_msg_id: cid, message: failure.message});
  }
}

$("#send").addEventListener("click", sendReply);
$("#reply").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    sendReply();
  }
});
$("#reply").addEventListener("input", () => {
  const chat = currentChat();
  if (!chat || chat.readonly || Date.now() - S.lastTyping < 3000) return;
  if (send({type: "typing", conversation_id: chat.id})) S.lastTyping = Date.now();
});

// ---- canned replies ------------------------------------------------------------------------------
export function renderCanned() {
  $("#canned-list").replaceChildren(...S.canned.map((c) => h("button", {class: "chip canned", type: "button", title: c.text,
    onclick: () => insertCanned(c.text)}, c.title)));
}

/**
 * @param {string} text
 */
function insertCanned(text) {
  const box = $("#reply");
  if (box.disabled) return;
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.focus();
  box.selectionStart = box.selectionEnd = start + text.length;
}

/**
 * @param {{title: string, text: string}} item
 */
function cannedRow(item) {
  return h("div", {class: "canned-row"},
    h("input", {class: "canned-title", value: item.title, maxlength: "12", "aria-label": "标题", placeholder: "标题"}),
    h("textarea", {class: "canned-text", rows: "2", maxlength: "500", "aria-label": "内容", placeholder: "内容"}, item.text),
    h("button", {class: "btn small", type: "button", "aria-label": "删除", onclick: (e) => e.target.closest(".canned-row").remove()}, "删除"));
}

function openCannedEditor() {
  $("#canned-rows").replaceChildren(...S.canned.map(cannedRow));
  $("#canned-dialog").showModal();
}

$("#canned-edit").addEventListener("click", openCannedEditor);
$("#canned-edit-top").addEventListener("click", openCannedEditor);
$("#canned-add").addEventListener("click", () => $("#canned-rows").append(cannedRow({title: "", text: ""})));
$("#canned-reset").addEventListener("click", () => {
  $("#canned-rows").replaceChildren(...DEFAULT_CANNED.map(cannedRow));
});
$("#canned-dialog").addEventListener("close", () => {
  if ($("#canned-dialog").returnValue !== "save") return;
  const list = $$(".canned-row", $("#canned-rows")).map((r) => ({title: $(".canned-title", r).value.trim(),
    text: $(".canned-text", r).value.trim()})).filter((c) => c.title && c.text);
  S.canned = list.length ? list : resetCanned();
  saveCanned(S.canned);
  renderCanned();
  toast("常用语已保存");
});
