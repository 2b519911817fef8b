// @ts-check
// The handover card's parts that read the action's context: the reasons, the escalation signals,
// the frustration level and what the customer's browser claimed (顾客自述) — every code shown with
// the contract's Chinese label and explanation (contract.js), never as raw JSON or a bare name.
import {h, isObject} from "./dom.js";
import {frustrationLevel, knownSignal, reasonExplanation, reasonLabel, signalExplanation, signalLabel} from "./contract.js";

/** @typedef {import("./contract_types.js").HandoverContext} HandoverContext */

// What the widget may send about the customer, with the label the card shows it under. Keys not
// listed (Rasa's own model_id and assistant_id, a widget's internals) are not the customer's.
const CLAIM_LABELS = {
  customer_id: "顾客 ID", customer_name: "称呼", name: "称呼", tier: "会员等级", current_order: "当前订单",
  order: "订单信息", order_id: "订单号", page: "所在页面", page_url: "页面地址", shop: "店铺", channel: "渠道",
};
const ORDER_FIELDS = {order_id: "", id: "", amount: "¥", total: "¥", status: ""};
const LEVEL_KEYS = {calm: "low", upset: "mid", angry: "high"};   // the CSS classes (mood-*, meter-*)

/** Text of at most `max` characters. */
function clip(/** @type {string} */ text, max = 80) {
  return text.length > max ? text.slice(0, max) + "…" : text;
}

/** A value the customer's browser sent, as plain words: an order as "2024… · ¥78.30", a list joined. */
export function plain(/** @type {unknown} */ value, max = 80) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return clip(value.map((v) => plain(v, max)).filter(Boolean).join("、"), max);
  if (isObject(value)) {
    const record = /** @type {Record<string, unknown>} */ (value);
    const parts = Object.entries(ORDER_FIELDS).filter(([key]) => ["string", "number"].includes(typeof record[key]))
      .map(([key, prefix]) => `${prefix}${record[key]}`);
    return clip(parts.join(" · "), max);
  }
  return clip(typeof value === "string" ? value : String(value), max);
}

/** The frustration of a context: {value 0..1, key low|mid|high, label 平静|不满|愤怒}, or null. */
export function frustrationOf(/** @type {HandoverContext} */ ctx) {
  const signals = isObject(ctx.signals) ? /** @type {Record<string, any>} */ (ctx.signals) : {};
  const values = isObject(signals.values) ? signals.values : signals;
  const raw = [ctx.frustration, ctx.frustration_level, values.frustration, values.frustration_level]
    .find((v) => v !== undefined && v !== null && v !== "");
  const level = frustrationLevel(raw);
  if (!level) return null;
  return {value: level.value, key: LEVEL_KEYS[/** @type {keyof LEVEL_KEYS} */ (level.code)] || "low", label: level.label};
}

/** One chip: the Chinese label, then what the bot noted ("机器人连续两次没听懂"), with the contract's explanation as a tooltip. */
function chip(/** @type {string} */ label, /** @type {string} */ note, /** @type {string} */ tooltip, cls = "chip signal") {
  if (note.startsWith(label)) note = note.slice(label.length).replace(/^[：:]/, "");   // "负面用语：…" under 负面用语
  return h("span", {class: cls, title: tooltip || null},
    h("b", {class: "chip-label", text: label}), note && note !== label ? h("span", {class: "chip-note", text: `：${clip(note, 60)}`}) : null);
}

/** The 信号 row: each signal the action observed (context.signals.observed), in Chinese. */
export function signalChips(/** @type {HandoverContext} */ ctx) {
  const signals = isObject(ctx.signals) ? /** @type {Record<string, any>} */ (ctx.signals) : {};
  const observed = Array.isArray(signals.observed) ? signals.observed
    : Array.isArray(ctx.signals) ? /** @type {any[]} */ (ctx.signals) : [];
  const chips = observed.filter((item) => isObject(item) && knownSignal(item.name)).slice(0, 20)
    .map((item) => chip(signalLabel(item.name), typeof item.explanation === "string" ? item.explanation : "",
      signalExplanation(item.name)));
  if (!observed.length && isObject(ctx.signals)) {   // a context of another shape: {name: value} of signals the contract knows
    for (const [name, value] of Object.entries(signals)) {
      if (knownSignal(name) && value !== false && value !== null && value !== 0 && name !== "frustration") {
        chips.push(chip(signalLabel(name), "", signalExplanation(name)));
      }
    }
  }
  return chips;
}

/** The 原因 row: every reason the bot handed over for, with its explanation. */
export function reasonChips(/** @type {HandoverContext} */ ctx, /** @type {string | undefined} */ reason) {
  const reasons = Array.isArray(ctx.reasons) ? ctx.reasons.filter((r) => isObject(r) && r.code) : [];
  if (!reasons.length) return reason ? [chip(reasonLabel(reason) || "", "", reasonExplanation(reason), "chip reason")] : [];
  return reasons.slice(0, 8).map((r) => chip(reasonLabel(r.code) || "", typeof r.explanation === "string" ? r.explanation : "",
    reasonExplanation(r.code), "chip reason"));
}

/** The 顾客自述 row: what the customer's browser sent about them, under Chinese labels. */
export function claimRows(/** @type {Record<string, unknown>} */ meta) {
  return Object.entries(CLAIM_LABELS)
    .filter(([key]) => meta[key] !== undefined && meta[key] !== null && meta[key] !== "" && plain(meta[key]))
    .slice(0, 12)
    .map(([key, label]) => h("span", {class: "kv"}, h("span", {class: "k", text: label}),
      h("span", {class: "v", text: plain(meta[key])})));
}
