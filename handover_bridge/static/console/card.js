// @ts-check
// The handover card: the badges of a queue item, who the customer is, order numbers, recent intents
// and the card itself. The labels of codes come from the contract (contract.js); the rows that read
// the action's context (reasons, signals, frustration, claims) from handover_card.js. Rendering
// only: data in, DOM nodes out.
import {dateTime, h, isObject, show} from "./dom.js";
import {hasProfanity} from "./protect.js";
import {maskedText} from "./mask.js";
import {categoryLabel, channelLabel, intentLabel, reasonLabel} from "./contract.js";
import {claimRows, frustrationOf, reasonChips, signalChips} from "./handover_card.js";

/** @typedef {import("./state.js").Chat} Chat */
/** @typedef {import("./contract_types.js").HandoverContext} Context the handover context (its JSON Schema: jieli_contract) */

export const PRIORITIES = ["低", "普通", "高", "紧急"];
// Who the customer is: only the identity record the bridge stored after checking the shop's signature
// (the conversation's metadata.identity as the bridge API gives it, never the action's copy) is shown as
// identity; everything else the widget sent is what the customer's browser claims ("顾客自述").
export const IDENTITY_KEYS = new Set(["identity", "jieli_identity"]);
export const TICKET_STATUS = {open: "待处理", answered: "已回复", closed: "已关闭"};

/**
 * @param {unknown} priority
 */
export function priorityLabel(priority) {
  const n = Number(priority);
  if (!Number.isFinite(n)) return null;
  return `P${n} ${PRIORITIES[Math.min(Math.max(n, 0), 3)]}`;
}

/**
 * @param {unknown} bridgeMetadata
 */
export function verifiedIdentity(bridgeMetadata) {
  const record = isObject(bridgeMetadata) ? bridgeMetadata.identity : null;
  return isObject(record) && record.verified === true && typeof record.customer_id === "string" ? record : null;
}

/**
 * @param {Object<string, any>} meta
 */
export function claimsOf(meta) {
  return Object.fromEntries(Object.entries(meta).filter(([key]) => !IDENTITY_KEYS.has(key)));
}

/**
 * @param {Object<string, any>} ident
 */
export function identityLine(ident) {
  return [ident.name, ident.customer_id, ident.tier ? String(ident.tier).toUpperCase() : null]
    .filter(Boolean).map((v) => show(v, 40)).join(" · ");
}

/**
 * @param {Object<string, any>} source
 */
export function badges(source) {
  const list = [];
  const p = priorityLabel(source.priority);
  if (p) list.push(h("span", {class: `badge prio prio-${Math.min(3, Math.max(0, Number(source.priority) || 0))}`, text: p}));
  const c = categoryLabel(source.category);
  if (c) list.push(h("span", {class: "badge cat", text: c}));
  const r = reasonLabel(source.reason);
  if (r) list.push(h("span", {class: `badge reason reason-${String(source.reason).replace(/[^a-z_]/gi, "")}`, text: r}));
  if (source.front) list.push(h("span", {class: "badge front", text: "优先"}));
  if (source.channel) {
    const code = String(source.channel).replace(/[^a-z_]/gi, "");
    list.push(h("span", {class: `badge channel channel-${code}`, title: "顾客所在渠道", text: channelLabel(source.channel)}));
  }
  const tier = source.tier;
  if (tier) list.push(h("span", {class: "badge tier", text: String(tier).toUpperCase()}));
  return list;
}

/**
 * The first value that is a string with more than blanks, else "".
 * @param {...unknown} values
 * @returns {string}
 */
export function firstText(...values) {
  return /** @type {string | undefined} */ (values.find((v) => typeof v === "string" && v.trim())) || "";
}

/**
 * @param {Context} ctx
 * @param {Object<string, any>} meta
 */
export function orderNumbers(ctx, meta) {
  const found = [];
  const add = (v) => {
    if (typeof v === "number") v = String(v);
    if (typeof v === "string" && v.trim() && !found.includes(v.trim())) found.push(v.trim());
  };
  add(ctx.order_id);
  if (Array.isArray(ctx.order_ids)) ctx.order_ids.forEach(add);
  if (isObject(ctx.slots)) add(ctx.slots.order_id);
  if (Array.isArray(ctx.entities)) ctx.entities.filter((e) => e.entity === "order_id").forEach((e) => add(e.value));
  if (isObject(ctx.order)) add(ctx.order.order_id);
  add(meta.current_order);
  add(meta.order_id);
  if (isObject(meta.order)) add(meta.order.id);
  return found.slice(0, 6);
}

/**
 * @param {Context} ctx
 */
export function intentChips(ctx) {
  const list = Array.isArray(ctx.intents) ? ctx.intents : [];
  return list.slice(-6).map((item) => {
    if (isObject(item)) {
      const name = show(intentLabel(item.intent), 30);
      const confidence = Number(item.confidence);
      return h("span", {class: "chip", text: Number.isFinite(confidence) ? `${name} ${confidence.toFixed(2)}` : name});
    }
    return h("span", {class: "chip", text: show(intentLabel(item), 30)});
  });
}

/**
 * @param {string} label
 * @param {...any} value
 */
export function row(label, ...value) {
  const content = value.flat().filter((v) => v !== null && v !== undefined && v !== "");
  if (!content.length) return null;
  return h("div", {class: "row"}, h("dt", {text: label}), h("dd", {}, content));
}

/**
 * @param {Object<string, any>} ident
 */
export function identityRows(ident) {
  const kv = (label, value) => (value ? h("span", {class: "kv"}, h("span", {class: "k", text: label}),
    h("span", {class: "v", text: show(value, 80)})) : null);
  return [h("span", {class: "badge verified", text: "已验证"}), kv("顾客 ID", ident.customer_id),
    kv("会员等级", ident.tier ? String(ident.tier).toUpperCase() : null), kv("称呼", ident.name),
    kv("手机尾号", ident.phone_last4)];
}

/**
 * @param {Chat} chat
 * @param {Object<string, any>} ho
 * @param {Context} ctx
 * @param {Object<string, any>} meta
 * @param {Object<string, any>} ident
 */
export function handoverCard(chat, ho, ctx, meta, ident) {
  if (!chat.handover) {
    return h("section", {class: "handover-card empty"}, h("h3", {text: "转人工卡片"}), h("p", {class: "muted", text: "这次会话没有转人工信息。"}));
  }
  const summary = firstText(ho.summary, ctx.summary);
  const level = frustrationOf(ctx);
  const orders = orderNumbers(ctx, meta);
  const metaRows = claimRows(meta);
  return h("section", {class: "handover-card", "aria-label": "转人工卡片"},
    h("header", {}, h("h3", {text: "转人工卡片"}),
      badges({priority: ho.priority, category: ho.category || ctx.category, reason: ho.reason || ctx.reason, front: false,
        tier: ident && ident.tier, channel: chat.channel})),
    h("p", {class: "summary"}, summary ? maskedText(summary, hasProfanity(summary)) : h("span", {class: "muted", text: "（没有摘要）"})),
    h("dl", {},
      row("订单号", orders.map((o) => h("b", {class: "order-no", text: o}))),
      row("原因", reasonChips(ctx, ho.reason || ctx.reason)),
      row("分类", categoryLabel(ho.category || ctx.category)),
      row("情绪", level ? [h("span", {class: `meter meter-${level.key}`, role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
        "aria-valuenow": String(Math.round(level.value * 100)), "aria-label": "挫败感"}, h("span", {class: `meter-fill w${Math.round(level.value * 10)}`})),
      h("span", {class: `badge mood mood-${level.key}`, text: `挫败感 ${level.label}（${Math.round(level.value * 100)}%）`})] : null),
      row("信号", signalChips(ctx)),
      row("最近意图", intentChips(ctx)),
      ident ? row("已验证身份", identityRows(ident))
        : row("身份", h("span", {class: "muted", text: "未验证（顾客未登录，下面的信息由顾客浏览器提供）"})),
      row("顾客自述", metaRows),
      row("转人工时间", ho.queued_at ? dateTime(ho.queued_at) : null),
      row("提示", ho.ticket_offered ? "排队期间曾向顾客提供留言" : null,
        ctx.transcript_truncated ? "机器人记录较长，只保留了最近部分" : null,
        isObject(ctx.bridge_check) && ctx.bridge_check.verified === false
          ? "机器人上报的内容与对话记录不符：客户诉求按顾客原话显示，优先级未采用机器人的判断" : null)));
}
