// @ts-check
// Tiny DOM helpers for the agent console. Text is always set with textContent: nothing a customer,
// the bot or an agent wrote is ever parsed as HTML.

/**
 * h("div", {class: "x", onclick: fn, dataset: {id: 1}}, "text", child, [more])
 * @template {string} K
 * @param {K} tag
 * @param {Object<string, any> | null} [attrs]
 * @param {...any} children
 * @returns {K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const node = /** @type {any} */ (document.createElement(tag));
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.entries(value).forEach(([k, v]) => { node.dataset[k] = String(v); });
    else if (key === "value") node.value = value;
    else if (key === "checked" || key === "disabled" || key === "hidden" || key === "selected") node[key] = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/**
 * @param {HTMLElement} node
 * @param {any[]} children
 */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Lookups are typed loosely (`any`): the pages' elements are of many kinds (inputs, dialogs, details …).
/** The first match of a selector (null: none). */
export const $ = /** @type {(selector: string, root?: ParentNode) => any} */ ((selector, root = document) => root.querySelector(selector));
/** Every match of a selector, as an array. */
export const $$ = /** @type {(selector: string, root?: ParentNode) => any[]} */ ((selector, root = document) => [...root.querySelectorAll(selector)]);

/** @type {(v: unknown) => v is Object<string, any>} */
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Any value as short display text (objects as compact JSON), for fields of unknown shape.
 * @param {unknown} value
 * @param {number} [max]
 */
export function show(value, max = 200) {
  if (value === null || value === undefined) return "";
  let text;
  if (typeof value === "string") text = value;
  else if (typeof value === "number" || typeof value === "boolean") text = String(value);
  else {
    try { text = JSON.stringify(value); } catch (_) { text = String(value); }
  }
  return text.length > max ? text.slice(0, max) + "…" : text;
}

/**
 * @param {string | null | undefined} iso
 */
export function clock(iso) {
  const date = iso ? new Date(iso) : new Date();
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit", hour12: false});
}

/**
 * @param {string | null | undefined} iso
 */
export function dateTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("zh-CN", {month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false});
}

/**
 * 75 → "1分15秒"
 * @param {unknown} seconds
 */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  if (s < 60) return `${s}秒`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}分${String(s % 60).padStart(2, "0")}秒`;
  return `${Math.floor(m / 60)}小时${m % 60}分`;
}

/**
 * @param {string} [prefix]
 */
export function newId(prefix = "a") {
  if (window.crypto && crypto.randomUUID) return `${prefix}-${crypto.randomUUID()}`;
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
