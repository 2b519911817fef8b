// @ts-check
// The order beside the chat (docs/agents.md, "订单面板 Order panel"): under the handover card, each
// order the chat names. A verified one (the customer the shop signed, or an order the bot verified
// for its owner in this chat) in full: items, amount, status, logistics, refund state, fetched by
// the bridge from the shop adapter (GET /api/agent/conversations/{id}/orders). Any other: its
// number and 「未验证」, nothing else. 取消订单 only where the shop allows it, after the agent
// confirms; the bridge audits it and says it in the chat as a system note.
import {$, dateTime, h, isObject} from "./dom.js";
import {toast} from "./session.js";
import {api, currentChat} from "./state.js";

/** conversation id → {at, orders} (a chat's orders are fetched once per opening, and after an action) */
const cache = new Map();
const MAX_AGE_MS = 30000;

/**
 * Draw the panel of the open chat (chatview.js calls this after the card).
 * @param {import("./state.js").Chat} chat
 */
export function renderOrders(chat) {
  const box = $("#order-panel");
  if (!chat.handover) { box.replaceChildren(); return; }
  const hit = cache.get(chat.id);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) { draw(box, chat, hit.orders, hit.error); return; }
  if (!hit || !hit.loading) load(chat);
  if (!hit) box.replaceChildren(h("section", {class: "order-panel", "aria-busy": "true"}, h("h3", {text: "订单"}), h("p", {class: "muted small", text: "正在查询订单…"})));
}

/** @param {import("./state.js").Chat} chat */
async function load(chat) {
  const entry = cache.get(chat.id) || {at: 0, orders: [], error: ""};
  entry.loading = true;
  cache.set(chat.id, entry);
  try {
    const data = await api("GET", `/conversations/${encodeURIComponent(chat.id)}/orders`);
    // the shop did not answer: keep it only briefly, the next opening asks again
    const at = data.shop_available === false ? Date.now() - MAX_AGE_MS + 5000 : Date.now();
    Object.assign(entry, {orders: Array.isArray(data.orders) ? data.orders.filter(isObject) : [], error: "", at});
  } catch (failure) {
    Object.assign(entry, {error: failure.message, at: Date.now()});
  } finally {
    entry.loading = false;
  }
  const open = currentChat();
  if (open && open.id === chat.id) draw($("#order-panel"), chat, entry.orders, entry.error);
}

/**
 * @param {HTMLElement} box
 * @param {import("./state.js").Chat} chat
 * @param {Object<string, any>[]} orders
 * @param {string} error
 */
function draw(box, chat, orders, error) {
  if (!orders.length && !error) { box.replaceChildren(); return; }
  box.replaceChildren(h("section", {class: "order-panel", "aria-label": "订单"},
    h("h3", {text: "订单"}),
    error ? h("p", {class: "error", text: `订单暂时查不到：${error}`}) : null,
    ...orders.map((o) => (o.verified && isObject(o.order) ? verifiedOrder(chat, o) : unverified(o)))));
}

/** @param {Object<string, any>} o */
function unverified(o) {
  if (o.unavailable) {
    return h("article", {class: "order unavailable", dataset: {orderId: o.order_id}},
      h("header", {}, h("b", {class: "order-no", text: o.order_id}), h("span", {class: "badge unverified", text: "暂时查不到"})),
      h("p", {class: "muted small", text: "订单系统暂时连不上，稍后重新打开会话再看。"}));
  }
  return h("article", {class: "order unverified", dataset: {orderId: o.order_id}},
    h("header", {}, h("b", {class: "order-no", text: o.order_id}), h("span", {class: "badge unverified", text: "未验证"})),
    h("p", {class: "muted small", text: "顾客未登录，也没有在对话中验证这个订单，不显示订单详情。"}));
}

/**
 * @param {import("./state.js").Chat} chat
 * @param {Object<string, any>} o
 */
function verifiedOrder(chat, o) {
  const order = o.order;
  const items = Array.isArray(order.items) ? order.items.filter(isObject) : [];
  const logistics = isObject(order.logistics) ? order.logistics : {};
  const latest = isObject(logistics.latest) ? logistics.latest : null;
  const refund = isObject(order.refund) ? order.refund : null;
  const actions = Array.isArray(order.actions) ? order.actions : [];
  return h("article", {class: "order verified", dataset: {orderId: o.order_id}},
    h("header", {},
      h("b", {class: "order-no", text: order.order_id}),
      h("span", {class: "badge verified", text: o.via === "identity" ? "已验证 · 顾客本人订单" : "已验证 · 对话中核验"}),
      h("span", {class: "badge order-status", text: order.status_text || order.status})),
    h("ul", {class: "order-items"}, ...items.map((i) => h("li", {text: `${i.name}${i.spec ? `（${i.spec}）` : ""} ×${i.quantity} · ¥${i.unit_price}`}))),
    h("dl", {},
      h("dt", {text: "金额"}), h("dd", {class: "order-total", text: `¥${order.total}`}),
      h("dt", {text: "下单"}), h("dd", {text: order.created_at ? dateTime(order.created_at) : "—"}),
      h("dt", {text: "物流"}), h("dd", {class: "order-logistics", text: logistics.tracking_no
        ? `${logistics.carrier || ""} ${logistics.tracking_no}${latest ? ` · ${latest.description}` : ""}` : "尚未发货"}),
      h("dt", {text: "退款"}), h("dd", {class: "order-refund", text: refund
        ? `${refund.status_text || refund.status} · ¥${refund.amount}${refund.reject_reason ? `（${refund.reject_reason}）` : ""}` : "无"})),
    actions.includes("cancel") && !chat.readonly && !chat.ended
      ? h("div", {class: "order-actions"}, h("button", {class: "btn small danger order-cancel", type: "button",
        onclick: (/** @type {Event} */ e) => cancelOrder(chat, order.order_id, /** @type {HTMLButtonElement} */ (e.currentTarget))}, "取消订单"))
      : null);
}

/**
 * The agent confirms in the panel itself (a second button), then the bridge asks the shop.
 * @param {import("./state.js").Chat} chat
 * @param {string} orderId
 * @param {HTMLButtonElement} button
 */
function cancelOrder(chat, orderId, button) {
  const row = /** @type {HTMLElement} */ (button.parentElement);
  row.replaceChildren(h("span", {class: "small", text: `确认为顾客取消订单 ${orderId}？`}),
    h("button", {class: "btn small danger order-cancel-confirm", type: "button", onclick: async (/** @type {Event} */ e) => {
      /** @type {HTMLButtonElement} */ (e.currentTarget).disabled = true;
      try {
        const result = await api("POST", `/conversations/${encodeURIComponent(chat.id)}/orders/${encodeURIComponent(orderId)}/cancel`, {confirm: true});
        toast(result.ok ? "订单已取消，已在对话中告知顾客" : "商家系统未能取消这个订单，已在对话中说明", result.ok ? "info" : "error");
      } catch (failure) {
        toast(failure.message, "error");
      }
      cache.delete(chat.id);
      renderOrders(chat);
    }}, "确认取消"),
    h("button", {class: "btn small", type: "button", onclick: () => { cache.delete(chat.id); renderOrders(chat); }}, "不取消"));
}
