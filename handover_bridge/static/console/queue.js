// @ts-check
// The queue: the waiting customers (from the snapshot, or GET /queue after a queue_changed frame),
// rendered with their badges, summary, order numbers and wait; 查看 (preview) and 接入 (accept).
import {$, $$, duration, h, isObject, show} from "./dom.js";
import {hasProfanity} from "./protect.js";
import {toast} from "./session.js";
import {S, api} from "./state.js";
import {notify} from "./alerts.js";
import {badges, claimsOf, firstText, identityLine, orderNumbers, verifiedIdentity} from "./card.js";
import {frustrationOf} from "./handover_card.js";
import {maskedText} from "./mask.js";
import {adoptChat} from "./chats.js";
import {openChat, openPreview} from "./chatview.js";

// ---- the queue ---------------------------------------------------------------------------------
export function scheduleQueueRefresh() {
  clearTimeout(S.queueTimer);
  S.queueTimer = setTimeout(refreshQueue, 150);
}

export async function refreshQueue() {
  try {
    const data = await api("GET", "/queue");
    setQueue(Array.isArray(data.items) ? data.items : []);
  } catch (_) { /* offline: the socket's snapshot will bring it */ }
}

/**
 * @param {Object<string, any>[]} items
 */
export function setQueue(items) {
  S.queue = items.filter((i) => isObject(i) && i.conversation_id);
  S.queueAt = Date.now();
  const ids = new Set(S.queue.map((i) => i.conversation_id));
  if (S.knownQueue !== null) {
    const fresh = S.queue.filter((i) => !S.knownQueue.has(i.conversation_id));
    if (fresh.length) notify(`新会话 ${fresh.length}`);
  }
  S.knownQueue = new Set([...(S.knownQueue || []), ...ids]);
  renderQueue();
}

function renderQueue() {
  const list = $("#queue-list");
  $("#queue-count").textContent = String(S.queue.length);
  $("#queue-empty").hidden = S.queue.length > 0;
  list.replaceChildren(...S.queue.map((item) => {
    const ho = isObject(item.handover) ? item.handover : {};
    const ctx = isObject(ho.context) ? ho.context : {};
    const meta = claimsOf({...(isObject(ctx.metadata) ? ctx.metadata : {}), ...(isObject(item.metadata) ? item.metadata : {})});
    const ident = verifiedIdentity(item.metadata);
    const summary = firstText(ho.summary, ctx.summary);
    const orders = orderNumbers(ctx, meta);
    const level = frustrationOf(ctx);
    return h("li", {class: "q-item", dataset: {conversationId: item.conversation_id}},
      h("div", {class: "q-top"},
        badges({priority: item.priority ?? ho.priority, category: item.category ?? ho.category,
          reason: item.reason ?? ho.reason, front: item.front, tier: ident && ident.tier, channel: item.channel}),
        level ? h("span", {class: `badge mood mood-${level.key}`, text: `情绪 ${level.label}`}) : null,
        h("span", {class: "waited", dataset: {waited: Number(item.waited_seconds) || 0}},
          `已等待 ${duration(item.waited_seconds)}`)),
      summary ? h("p", {class: "q-summary"}, maskedText(summary, hasProfanity(summary))) : h("p", {class: "q-summary muted", text: "（没有摘要）"}),
      h("div", {class: "q-meta"},
        orders.length ? h("span", {class: "q-orders"}, "订单号 ", orders.map((o) => h("b", {class: "order-no", text: o}))) : null,
        ident ? h("span", {class: "q-identity verified", text: `已验证 ${identityLine(ident)}`})
          : meta.customer_id ? h("span", {class: "q-identity claimed", text: `顾客自述 ${show(meta.customer_id, 40)}`}) : null,
        item.position ? h("span", {text: `第 ${item.position} 位`}) : null),
      h("div", {class: "q-actions"},
        h("button", {class: "btn small q-preview", type: "button", onclick: () => openPreview(item.conversation_id)}, "查看"),
        h("button", {class: "btn small primary q-accept", type: "button", onclick: (e) => accept(item.conversation_id, e.target)}, "接入")));
  }));
}

export function tickWaits() {
  const elapsed = (Date.now() - S.queueAt) / 1000;
  for (const node of $$("#queue-list .waited")) {
    node.textContent = `已等待 ${duration(Number(node.dataset.waited) + elapsed)}`;
  }
}

/**
 * @param {string} conversationId
 * @param {HTMLButtonElement | null} button
 */
export async function accept(conversationId, button) {
  if (button) button.disabled = true;
  S.accepting.add(conversationId);
  try {
    await api("POST", `/conversations/${encodeURIComponent(conversationId)}/accept`);
    S.preview = null;
    await adoptChat(conversationId, false);
    openChat(conversationId);
    scheduleQueueRefresh();
  } catch (failure) {
    toast(failure.code === "not_queued" ? "这位顾客已被其他同事接入" :
      failure.code === "at_capacity" ? "您同时接待的会话已满" : failure.message, "error");
    if (button) button.disabled = false;
    scheduleQueueRefresh();
  } finally {
    S.accepting.delete(conversationId);
  }
}
