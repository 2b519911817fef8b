// @ts-check
// A lead's live chats (docs/agents.md, "组长接管 Lead takeover"): under the queue, every chat an
// agent holds now, with 「接管」 (the lead takes it: same conversation, the whole transcript, a
// neutral note to the customer, the agent's console drops it) and 「转给」 an online colleague.
// Shown only to agents with the lead role; the bridge refuses the calls to anyone else.
import {$, h, isObject} from "./dom.js";
import {toast} from "./session.js";
import {S, api} from "./state.js";
import {isLead} from "./cooldown.js";

/** Opens a chat of mine once it is loaded (console.js passes chatview's openChat). */
let openChat = /** @type {(conversationId: string) => void} */ (() => {});
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;
let busy = false;

/** @param {{openChat: typeof openChat}} handlers */
export function wireTakeover(handlers) {
  openChat = handlers.openChat;
}

/** After login: the panel for a lead (refreshed every few seconds while the queue is shown). */
export function startTakeover() {
  $("#live-panel").hidden = !isLead();
  if (!isLead()) return;
  refreshLive();
  if (timer === undefined) timer = setInterval(() => { if (S.view === "queue" && S.token) refreshLive(); }, 3000);
}

export async function refreshLive() {
  if (busy || !isLead()) return;
  busy = true;
  try {
    const [live, agents] = await Promise.all([api("GET", "/live"), api("GET", "/agents")]);
    render(Array.isArray(live.items) ? live.items : [], Array.isArray(agents.items) ? agents.items : []);
  } catch (_) { /* the next refresh tries again */ } finally {
    busy = false;
  }
}

/**
 * @param {Object<string, any>[]} items
 * @param {Object<string, any>[]} agents
 */
function render(items, agents) {
  const list = $("#live-list");
  const online = agents.filter((a) => isObject(a) && a.presence === "online");
  list.replaceChildren(...items.filter(isObject).map((item) => {
    const holder = isObject(item.agent) ? item.agent : {};
    const ho = isObject(item.handover) ? item.handover : {};
    const mine = S.me && holder.id === S.me.id;
    const choices = online.filter((a) => a.id !== holder.id);
    const select = h("select", {class: "live-to", "aria-label": "转给哪位同事"},
      ...choices.map((a) => h("option", {value: a.username}, `${a.display_name}（${a.username}）`)));
    return h("li", {class: "live-item", dataset: {conversationId: item.conversation_id}},
      h("div", {class: "live-main"},
        h("strong", {class: "live-agent", text: `${holder.display_name || "—"} 接待中`}),
        ho.category ? h("span", {class: "badge cat", text: ho.category}) : null,
        h("span", {class: "muted small", text: `会话 ${item.conversation_id}`}),
        ho.summary ? h("div", {class: "live-summary", text: ho.summary}) : null),
      mine ? h("span", {class: "muted small", text: "您正在接待"}) : h("div", {class: "live-actions"},
        h("button", {class: "btn small primary live-takeover", type: "button",
          onclick: (/** @type {Event} */ e) => move(item.conversation_id, null, /** @type {HTMLButtonElement} */ (e.currentTarget))}, "接管"),
        choices.length ? [select, h("button", {class: "btn small live-reassign", type: "button",
          onclick: (/** @type {Event} */ e) => move(item.conversation_id, select.value, /** @type {HTMLButtonElement} */ (e.currentTarget))}, "转给")] : null));
  }));
  $("#live-empty").hidden = items.length > 0;
}

/**
 * @param {string} conversationId
 * @param {string | null} to a username, or null: the lead takes it over
 * @param {HTMLButtonElement} button
 */
async function move(conversationId, to, button) {
  button.disabled = true;
  const id = encodeURIComponent(conversationId);
  try {
    const result = to === null
      ? await api("POST", `/conversations/${id}/takeover`)
      : await api("POST", `/conversations/${id}/reassign`, {agent: to});
    toast(to === null ? "已接管，对话记录完整保留" : `已转给 ${result.agent.display_name}`);
    if (to === null) await openWhenLoaded(conversationId);
  } catch (failure) {
    toast(failure.message, "error");
  } finally {
    button.disabled = false;
    refreshLive();
  }
}

/** The bridge's frames make the chat mine (frames.js adopts it); open it once it is there. */
async function openWhenLoaded(conversationId) {
  for (let i = 0; i < 50; i += 1) {
    const chat = S.chats.get(conversationId);
    if (chat && chat.loaded && !chat.ended) { openChat(conversationId); return; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
