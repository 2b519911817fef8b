// @ts-check
// The handover card and the labels it shows: reason, category, priority, state, signal and customer
// field labels; the badges of a queue item; the frustration meter; the 信号 (signals) chips and the
// 顾客信息 (who the customer is) rows. Rendering only: data in, DOM nodes out.
import {dateTime, h, isObject, show} from "./dom.js";
import {hasProfanity} from "./protect.js";
import {maskedText} from "./mask.js";

/** @typedef {import("./state.js").Chat} Chat */
/** @typedef {Object<string, any>} Context the handover context (typed loosely for now) */

export const REASONS = {
  request_human: "顾客要求人工", customer_request: "顾客要求人工", explicit_request: "顾客要求人工",
  complaint: "顾客投诉", complain: "顾客投诉", problem_report: "商品问题", unsure: "机器人没把握", abuse: "情绪激动", insult: "情绪激动",
  frustration: "顾客不满", bot_failure: "机器人没能理解", repeated_failure: "多次未解决",
  nlu_fallback: "机器人没能理解", bot_unavailable: "机器人故障", transfer: "同事转接", agent_dropped: "客服掉线",
};
export const CATEGORIES = {
  logistics: "物流", shipping: "物流", delivery: "物流", order: "订单物流", after_sales: "售后", aftersales: "售后",
  refund: "售后", return: "售后", billing: "账单", payment: "账单", invoice: "账单", product: "产品",
  complaint: "投诉", general: "其他", other: "其他",
};
export const PRIORITIES = ["低", "普通", "高", "紧急"];
export const SIGNAL_LABELS = {
  frustration: "挫败感", frustration_level: "挫败感", human_requests: "要求人工次数", repeated_requests: "重复要求人工",
  abusive_turns: "不当言辞次数", bot_failures: "机器人未理解次数", fallback_count: "兜底回复次数",
  refund_rejected: "退款被驳回", negative_words: "负面词", sentiment: "情绪", upset_intents: "不满意图次数",
  repeated_questions: "重复提问", waited_long: "等待过久",
};
export const META_LABELS = {
  customer_id: "顾客 ID", customer_name: "称呼", tier: "会员等级", current_order: "当前订单", order: "订单信息",
  page: "所在页面", page_url: "页面地址", shop: "店铺", channel: "渠道", widget: "组件版本",
};
// Who the customer is: only the identity record the bridge stored after checking the shop's signature
// (the conversation's metadata.identity as the bridge API gives it, never the action's copy) is shown as
// identity; everything else the widget sent is what the customer's browser claims ("顾客自述").
export const IDENTITY_KEYS = new Set(["identity", "jieli_identity"]);
export const STATES = {bot: "机器人", queued: "排队中", assigned: "人工服务中", closed: "已结束", ticket: "已留言"};
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
 * @param {unknown} category
 */
export function categoryLabel(category) {
  if (!category) return null;
  return CATEGORIES[String(category).toLowerCase()] || String(category);
}

/**
 * @param {unknown} reason
 */
export function reasonLabel(reason) {
  if (!reason) return null;
  return REASONS[String(reason)] || String(reason);
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
  if (isObject(ctx.entities)) add(ctx.entities.order_id);
  if (isObject(ctx.order)) add(ctx.order.id);
  add(meta.current_order);
  add(meta.order_id);
  if (isObject(meta.order)) add(meta.order.id);
  return found.slice(0, 6);
}

/**
 * @param {Context} ctx
 */
export function frustrationOf(ctx) {
  const signals = isObject(ctx.signals) ? ctx.signals : {};
  const raw = [ctx.frustration, ctx.frustration_level, signals.frustration, signals.frustration_level]
    .find((v) => v !== undefined && v !== null && v !== "");
  if (raw === undefined) return null;
  let value = null;
  if (typeof raw === "number" || (typeof raw === "string" && raw.trim() !== "" && !Number.isNaN(Number(raw)))) {
    value = Number(raw);
    if (value > 1 && value <= 10) value /= 10;
    else if (value > 10) value /= 100;
  } else if (typeof raw === "string") {
    const text = raw.toLowerCase();
    value = /high|高|strong|angry/.test(text) ? 0.85 : /med|中/.test(text) ? 0.55 : /low|低/.test(text) ? 0.2 : null;
  }
  if (value === null || !Number.isFinite(value)) return null;
  value = Math.max(0, Math.min(1, value));
  const key = value >= 0.7 ? "high" : value >= 0.4 ? "mid" : "low";
  return {value, key, label: {high: "高", mid: "中", low: "低"}[key]};
}

/**
 * @param {Context} ctx
 */
export function signalChips(ctx) {
  const chips = [];
  const add = (label, value) => chips.push(h("span", {class: "chip signal", text: value === "" ? label : `${label} ${value}`}));
  const fmt = (v) => (v === true ? "" : v === false ? "否" : Array.isArray(v) ? v.map((x) => show(x, 30)).join("、")
    : typeof v === "number" ? String(Math.round(v * 100) / 100) : show(v, 60));
  if (isObject(ctx.signals)) {
    for (const [key, value] of Object.entries(ctx.signals)) {
      if (value === false || value === null || value === 0 || key === "frustration" || key === "frustration_level") continue;
      add(SIGNAL_LABELS[key] || key, fmt(value));
    }
  } else if (Array.isArray(ctx.signals)) {
    for (const item of ctx.signals.slice(0, 20)) {
      if (isObject(item)) add(SIGNAL_LABELS[item.name] || show(item.name || item.type || "信号", 30), fmt(item.value ?? true));
      else add(SIGNAL_LABELS[item] || show(item, 40), "");
    }
  }
  return chips;
}

/**
 * @param {Context} ctx
 */
export function intentChips(ctx) {
  const list = Array.isArray(ctx.latest_intents) ? ctx.latest_intents : Array.isArray(ctx.intents) ? ctx.intents : [];
  return list.slice(-6).map((item) => {
    if (isObject(item)) {
      const name = show(item.intent || item.name, 30);
      const confidence = Number(item.confidence);
      return h("span", {class: "chip", text: Number.isFinite(confidence) ? `${name} ${confidence.toFixed(2)}` : name});
    }
    return h("span", {class: "chip", text: show(item, 30)});
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
  const metaRows = Object.entries(meta).filter(([k, v]) => v !== undefined && v !== null && v !== "" && k !== "widget")
    .slice(0, 12).map(([key, value]) => h("span", {class: "kv"}, h("span", {class: "k", text: META_LABELS[key] || key}),
      h("span", {class: "v", text: show(value, 80)})));
  return h("section", {class: "handover-card", "aria-label": "转人工卡片"},
    h("header", {}, h("h3", {text: "转人工卡片"}),
      badges({priority: ho.priority, category: ho.category || ctx.category, reason: ho.reason || ctx.reason, front: false,
        tier: ident && ident.tier})),
    h("p", {class: "summary"}, summary ? maskedText(summary, hasProfanity(summary)) : h("span", {class: "muted", text: "（没有摘要）"})),
    h("dl", {},
      row("订单号", orders.map((o) => h("b", {class: "order-no", text: o}))),
      row("原因", reasonLabel(ho.reason || ctx.reason)),
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
