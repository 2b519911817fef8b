// @ts-check
// Closing a chat (how it was resolved, back to the bot or not, what the customer really asked, an
// answer to reuse) and transferring it to a colleague or a skill group.
import {$, h, isObject} from "./dom.js";
import {toast} from "./session.js";
import {S, api, currentChat} from "./state.js";
import {removeChat} from "./chats.js";
import {prefillClose} from "./wrapup.js";

export function openClose() {
  $("#close-error").textContent = "";
  $("#close-note").value = "";
  $("#close-return").checked = true;
  $("#close-intent").value = "";
  $("#close-reusable").checked = false;
  $("#close-answer-box").hidden = true;
  const chat = currentChat();
  // the answer to reuse: by default the agent's longest reply in this chat
  const replies = chat ? [...chat.messages.values()].filter((m) => m.sender === "agent" && typeof m.text === "string") : [];
  $("#close-answer").value = replies.reduce((best, m) => (m.text.length > best.length ? m.text : best), "");
  const intents = loadIntents();
  $("#close-dialog").showModal();
  if (chat) prefillClose(chat, intents);   // the intent and a summary from the chat (wrapup.js)
}

// The intents of the bot's domain, for 「顾客其实想问的是」 (loaded once per page).
async function loadIntents() {
  if (S.intentsLoaded) return;
  try {
    const data = await api("GET", "/review/intents");
    const select = $("#close-intent");
    select.replaceChildren(h("option", {value: ""}, "— 不标注 —"),
      ...(data.items || []).filter(isObject).map((i) => h("option", {value: i.name}, `${i.label}（${i.name}）`)));
    S.intentsLoaded = true;
  } catch (_) { /* the dialog still closes without a tag */ }
}

$("#close-reusable").addEventListener("change", (event) => {
  $("#close-answer-box").hidden = !event.target.checked;
  if (event.target.checked) $("#close-answer").focus();
});

$("#close-form").addEventListener("submit", async (event) => {
  if (event.submitter && event.submitter.value !== "confirm") return;
  event.preventDefault();
  const chat = currentChat();
  if (!chat) return;
  const note = $("#close-note").value.trim();
  const resolution = $("#close-resolution").value + (note ? `：${note}` : "");
  const returnToBot = $("#close-return").checked;
  const body = {return_to_bot: returnToBot, resolution};
  if ($("#close-intent").value) body.intent = $("#close-intent").value;
  if ($("#close-reusable").checked) {
    const answer = $("#close-answer").value.trim();
    if (!answer) { $("#close-error").textContent = "请填写可复用的答复，或取消勾选「答复可复用」"; return; }
    body.reusable = true;
    body.answer = answer;
  }
  $("#close-confirm").disabled = true;
  try {
    await api("POST", `/conversations/${encodeURIComponent(chat.id)}/close`, body);
    $("#close-dialog").close();
    chat.ended = returnToBot ? "已结束，已交还机器人" : "已结束";
    toast(returnToBot ? "会话已结束，已交还智能助手" : "会话已结束");
    removeChat(chat.id);
  } catch (failure) {
    $("#close-error").textContent = failure.message;
  } finally {
    $("#close-confirm").disabled = false;
  }
});

export async function openTransfer() {
  $("#transfer-error").textContent = "";
  $("#transfer-category").value = "";
  const box = $("#transfer-agents");
  box.replaceChildren(h("span", {class: "muted", text: "加载中…"}));
  $("#transfer-dialog").showModal();
  try {
    const data = await api("GET", "/agents");
    const others = (data.items || []).filter((a) => isObject(a) && S.me && a.id !== S.me.id);
    box.replaceChildren(...(others.length ? others.map((a) => h("label", {class: "check"},
      h("input", {type: "radio", name: "transfer-agent", value: a.username, disabled: a.presence !== "online"}),
      ` ${a.display_name}（${a.username}）`, h("span", {class: `badge presence-${a.presence}`, text: {online: "在线", away: "离开", offline: "离线"}[a.presence] || a.presence})))
      : [h("span", {class: "muted", text: "没有其他同事"})]));
  } catch (failure) {
    box.replaceChildren(h("span", {class: "error", text: failure.message}));
  }
}

$("#transfer-form").addEventListener("submit", async (event) => {
  if (event.submitter && event.submitter.value !== "confirm") return;
  event.preventDefault();
  const chat = currentChat();
  if (!chat) return;
  const picked = $("input[name=transfer-agent]:checked");
  const category = $("#transfer-category").value;
  if (!picked && !category) { $("#transfer-error").textContent = "请选择一位同事或一个专员组"; return; }
  try {
    await api("POST", `/conversations/${encodeURIComponent(chat.id)}/transfer`, picked ? {agent: picked.value} : {category});
    $("#transfer-dialog").close();
    toast(picked ? "已转接给同事" : `已转给${category}专员组`);
    removeChat(chat.id);
  } catch (failure) {
    $("#transfer-error").textContent = failure.message;
  }
});
