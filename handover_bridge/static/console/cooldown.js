// @ts-check
// Protection that acts, the agent's side (docs/agents.md, "保护坐席 Protection"): the cool-down
// banner after a chat with abusive messages (the lead's note and the minutes left: no chat is
// auto-assigned until it ends; the bridge decides, this only shows it), and the one-click
// 「结束会话（辱骂）」, which ends the chat with the reason abuse and the system's closing line.
import {$, isObject} from "./dom.js";
import {toast} from "./session.js";
import {S, api} from "./state.js";
import {endChat} from "./chats.js";

/** @type {ReturnType<typeof setInterval> | undefined} */
let ticker;
let endsAt = 0;
let note = "";

/**
 * Show (or hide) the cool-down from a `cooldown` frame or GET /api/agent/cooldown.
 * @param {Object<string, any>} cooldown {active, until, seconds_left, note}
 */
export function showCooldown(cooldown) {
  if (!isObject(cooldown)) return;
  const left = Number.isInteger(cooldown.seconds_left) ? cooldown.seconds_left : 0;
  if (!cooldown.active || left <= 0) { hide(); return; }
  endsAt = Date.now() + left * 1000;
  note = typeof cooldown.note === "string" ? cooldown.note : "";
  render();
  if (ticker === undefined) ticker = setInterval(render, 1000);
}

function hide() {
  if (ticker !== undefined) clearInterval(ticker);
  ticker = undefined;
  endsAt = 0;
  const banner = $("#cooldown-banner");
  banner.hidden = true;
  delete banner.dataset.active;
}

function render() {
  const left = Math.ceil((endsAt - Date.now()) / 1000);
  if (left <= 0) { hide(); toast("休息结束，新会话会照常分配给您。"); return; }
  const banner = $("#cooldown-banner");
  $("#cooldown-note").textContent = note;   // the lead's words: text, never HTML
  const minutes = Math.floor(left / 60);
  $("#cooldown-left").textContent = `暂停派单 ${minutes ? `${minutes} 分 ` : ""}${left % 60} 秒`;
  banner.dataset.active = "true";
  banner.hidden = false;
}

/** At start-up (a reload during a cool-down): ask the bridge. */
export async function refreshCooldown() {
  try {
    showCooldown(await api("GET", "/cooldown"));
  } catch (_) { /* no banner: the bridge still withholds chats */ }
}

/**
 * 「结束会话（辱骂）」: one click ends the open chat for abuse.
 * @param {string} conversationId
 * @param {HTMLButtonElement | null} [button]
 */
export async function endForAbuse(conversationId, button) {
  if (button) button.disabled = true;
  try {
    const result = await api("POST", `/conversations/${encodeURIComponent(conversationId)}/end_abusive`, {});
    endChat(conversationId, "已因辱骂结束会话");
    if (isObject(result.cooldown)) showCooldown(result.cooldown);
  } catch (failure) {
    if (button) button.disabled = false;
    toast(failure.message, "error");
  }
}

/** Whether the signed-in agent is a lead (takeover.js shows its panel only then). */
export function isLead() {
  return Boolean(S.me && Array.isArray(S.me.roles) && S.me.roles.includes("lead"));
}
