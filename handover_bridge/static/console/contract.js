// @ts-check
// The handover contract's labels for the pages (GET /api/contract, jieli_contract.as_public_json):
// one set of Chinese labels for conversation states, handover reasons, escalation signals,
// frustration levels, categories and tiers. `await loadContract()` once (it fetches once and
// caches); the label functions then answer synchronously, with the code itself for an unknown one.

/** @typedef {import("./contract_types.js").PublicContract} PublicContract */
/** @typedef {{code: string, label: string, min: number}} FrustrationLevel */

// Codes older handovers were stored with: shown with the label of the code they became.
const LEGACY_REASONS = {
  customer_request: "request_human", explicit_request: "request_human", complain: "complaint", insult: "abuse",
  nlu_fallback: "bot_failure", unsure: "bot_failure", repeated_failure: "repeated_question",
};

/** @type {PublicContract | null} */
let contract = null;
/** @type {Promise<PublicContract | null> | null} */
let pending = null;

/** Fetch the contract once (later calls share the first answer); null when it cannot be read. */
export function loadContract(url = "/api/contract") {
  if (!pending) {
    pending = fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => { contract = data; return data; })
      .catch(() => null);
  }
  return pending;
}

/** Use this contract (tests, or a page that has it already). */
export function useContract(/** @type {PublicContract | null} */ data) {
  contract = data;
  pending = Promise.resolve(data);
}

/** @returns {{label: string, explanation?: string, skill?: string} | null} */
function entry(/** @type {string} */ table, /** @type {unknown} */ code) {
  const items = contract ? /** @type {Record<string, any>} */ (contract)[table] : null;
  const key = String(code);
  return items && Object.prototype.hasOwnProperty.call(items, key) ? items[key] : null;
}

/** "request_human" → "顾客要求人工" */
export function reasonLabel(/** @type {unknown} */ code) {
  if (!code) return null;
  const found = entry("reasons", code) || entry("reasons", LEGACY_REASONS[/** @type {keyof LEGACY_REASONS} */ (String(code))]);
  return found ? found.label : String(code);
}

export function reasonExplanation(/** @type {unknown} */ code) {
  const found = entry("reasons", code);
  return found ? found.explanation || "" : "";
}

/** "order_status" → "查订单 / 物流" (the bot's intents) */
export function intentLabel(/** @type {unknown} */ name) {
  const found = entry("intents", name);
  return found ? found.label : String(name ?? "");
}

/** "pending_description" → "补充了问题" */
export function signalLabel(/** @type {unknown} */ name) {
  const found = entry("signals", name);
  return found ? found.label : String(name ?? "");
}

export function signalExplanation(/** @type {unknown} */ name) {
  const found = entry("signals", name);
  return found ? found.explanation || "" : "";
}

/** A signal name the contract knows (so it can be shown in Chinese). */
export function knownSignal(/** @type {unknown} */ name) {
  return entry("signals", name) !== null;
}

/** "queued" → "排队中" */
export function stateLabel(/** @type {unknown} */ state) {
  const found = entry("states", state);
  return found ? found.label : String(state ?? "");
}

/** "物流" → "物流" (a category the contract does not know: as it is) */
export function categoryLabel(/** @type {unknown} */ category) {
  if (!category) return null;
  const found = entry("categories", category);
  return found ? found.label : String(category);
}

/** "wechat" → "微信", "web" → "网页" (where the customer is; none: the web widget) */
export function channelLabel(/** @type {unknown} */ channel) {
  const code = channel ? String(channel) : "web";
  const found = entry("channels", code);
  return found ? found.label : code;
}

export function tierLabel(/** @type {unknown} */ tier) {
  const found = entry("tiers", String(tier ?? "").trim().toLowerCase()) || entry("tiers", tier);
  return found ? found.label : String(tier ?? "");
}

/**
 * The frustration level of a score (0..1; 0..10 and 0..100 are scaled) or of a level's label or
 * code ("不满", "upset"), with the score it stands for. Null when it says nothing.
 * @returns {{code: string, label: string, value: number} | null}
 */
export function frustrationLevel(/** @type {unknown} */ levelOrScore) {
  const levels = contract ? /** @type {FrustrationLevel[]} */ (contract.frustration_levels) : [];
  if (!levels.length || levelOrScore === null || levelOrScore === undefined || levelOrScore === "") return null;
  const number = Number(levelOrScore);
  if (typeof levelOrScore === "number" || (typeof levelOrScore === "string" && !Number.isNaN(number))) {
    if (!Number.isFinite(number)) return null;
    let value = number > 10 ? number / 100 : number > 1 ? number / 10 : number;
    value = Math.max(0, Math.min(1, value));
    const level = [...levels].reverse().find((l) => value >= l.min) || levels[0];
    return {code: level.code, label: level.label, value};
  }
  const text = String(levelOrScore).trim().toLowerCase();
  let level = levels.find((l) => l.label === text || l.code === text);
  if (!level) {   // words older contexts used
    const code = /high|高|strong/.test(text) ? "angry" : /med|中/.test(text) ? "upset" : /low|低/.test(text) ? "calm" : null;
    level = levels.find((l) => l.code === code);
  }
  if (!level) return null;
  const next = levels[levels.indexOf(level) + 1];
  return {code: level.code, label: level.label, value: next ? (level.min + next.min) / 2 : (level.min + 1) / 2};
}

/** 0.45 → "不满"; "angry" → "愤怒" */
export function frustrationLabel(/** @type {unknown} */ levelOrScore) {
  const level = frustrationLevel(levelOrScore);
  return level ? level.label : null;
}
