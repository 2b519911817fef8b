// @ts-check
// The dashboard's 「今日坐席保护」 card (docs/agents.md): each agent's abuse load today (abusive
// messages received, chats with them, warnings and boundary messages the system sent, chats ended
// for abuse, chats a lead took over) and cool-downs, from GET /api/agent/protection/today.
// Names come from the store: set as text.
import {$, h, isObject} from "./dom.js";

/**
 * @param {(method: string, path: string, body?: any) => Promise<any>} api
 */
export async function loadProtection(api) {
  try {
    render(await api("GET", "/protection/today"));
  } catch (_) {
    $("#protection-empty").hidden = false;
    $("#protection-empty").textContent = "暂时无法加载今日坐席保护数据";
  }
}

/** @param {Object<string, any>} data */
function render(data) {
  const items = Array.isArray(data.items) ? data.items.filter(isObject) : [];
  $("#protection-day").textContent = `${data.day || ""} · 冷静期 ${Math.round((data.cooldown_seconds || 0) / 60)} 分钟`;
  $("#protection-rows").replaceChildren(...items.map((i) => h("tr", {dataset: {agent: (i.agent && i.agent.username) || ""}},
    h("td", {text: (i.agent && i.agent.display_name) || "—"}),
    h("td", {class: i.abusive_messages ? "abuse" : "", text: String(i.abusive_messages)}),
    h("td", {text: String(i.abusive_chats)}),
    h("td", {text: `${i.warnings} / ${i.boundaries}`}),
    h("td", {text: String(i.ended_for_abuse)}),
    h("td", {text: String(i.taken_over)}),
    h("td", {class: "cooldowns", text: String(i.cooldowns)}),
    h("td", {text: i.cooling_now ? "休息中" : "—"}))));
  $("#protection-empty").hidden = items.length > 0;
  $("#protection-empty").textContent = "今天还没有坐席遇到辱骂";
}
