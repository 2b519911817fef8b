// @ts-check
// Agent protection: abusive customer messages are masked until the agent chooses to read them,
// and each agent sees how many abusive chats they had today (kept in this browser's localStorage,
// per agent and day).
import {today} from "./dom.js";

// The profanity list is the bridge's (lexicon/profanity.yml, served by GET /api/lexicon/profanity)
// and so are the rules (jieli_contract/profanity.py): the bridge flags stored customer messages, the
// escalation signals flag turns of the handover context, and this module masks with the same
// matcher, checked by the same cases (tests/cases/profanity.json, tests/js/profanity.test.mjs).
// A text is read character by character: NFKC (full width → half width), lower case, Traditional
// and variant characters folded to Simplified (the endpoint's `fold` table: 媽 → 妈, 妳 → 你), every
// space, punctuation mark, symbol and invisible character dropped; so "傻 逼", "妳媽的" and "ＳＢ客服"
// match. A word counts unless its occurrence lies inside an `allow` phrase ("我妈的", "去死皮" …);
// a Latin word only as a whole word ("sb" not in "usb" or "this is bad").
const SKIP = /[\s\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}]/u;
const LATIN_WORD = /^[a-z0-9]+$/;
const LATIN_LETTER = /^[a-z]$/;
export const MAX_CHARS = 4000;   // longer texts are checked on their first MAX_CHARS characters

/** The matcher's reading of a text: `plain`, and for each of its characters the index of the
 *  original character (code point) it comes from and whether a dropped character stood before it. */
export function scan(text, fold = {}) {
  const plain = [], owner = [], gap = [];
  let skipped = false;
  Array.from(String(text ?? "")).slice(0, MAX_CHARS).forEach((char, index) => {
    for (const piece of char.normalize("NFKC").toLowerCase()) {
      if (SKIP.test(piece)) { skipped = true; continue; }
      plain.push(Object.prototype.hasOwnProperty.call(fold, piece) ? fold[piece] : piece);
      owner.push(index);
      gap.push(skipped);
      skipped = false;
    }
  });
  return {plain: plain.join(""), chars: plain, owner, gap};
}

/** The lexicon the endpoint serves, ready for matching (the words are normalised again in case). */
export function compileLexicon(data) {
  const fold = data && typeof data.fold === "object" && data.fold ? {...data.fold} : {};
  const list = (value) => [...new Set((Array.isArray(value) ? value : []).map((w) => scan(w, fold).plain).filter(Boolean))];
  return {words: list(data && data.words), allow: list(data && data.allow), fold};
}

/** The start positions of `needle` (an array of characters) in `chars`, overlapping ones too. */
function occurrences(needle, chars) {
  const starts = [];
  outer: for (let start = 0; start + needle.length <= chars.length; start++) {
    for (let k = 0; k < needle.length; k++) if (chars[start + k] !== needle[k]) continue outer;
    starts.push(start);
  }
  return starts;
}

/** Every occurrence of a word that counts: [{word, start, end}] over the scanned text's characters. */
export function findProfanity(lexicon, scanned) {
  const {chars, gap} = scanned;
  const boundary = (at) => at <= 0 || at >= chars.length || gap[at]
    || !(LATIN_LETTER.test(chars[at - 1]) && LATIN_LETTER.test(chars[at]));
  // positions count characters (code points), as in Python
  const allowed = [];
  for (const phrase of lexicon.allow) {
    const size = Array.from(phrase).length;
    for (const start of occurrences(Array.from(phrase), chars)) allowed.push([start, start + size]);
  }
  const found = [];
  for (const word of lexicon.words) {
    const latin = LATIN_WORD.test(word);
    const needle = Array.from(word);
    for (const start of occurrences(needle, chars)) {
      const end = start + needle.length;
      if (latin && !(boundary(start) && boundary(end))) continue;
      if (allowed.some(([a, b]) => a <= start && end <= b)) continue;
      found.push({word, start, end});
    }
  }
  return found;
}

/** The words found in `text`, in lexicon order; a word inside a longer word found is not given again. */
export function matchProfanity(lexicon, text) {
  const found = [...new Set(findProfanity(lexicon, scan(text, lexicon.fold)).map((hit) => hit.word))];
  return found.filter((word) => !found.some((other) => other !== word && other.includes(word)));
}

/** The original text with every character of every word found replaced by `mask`. */
export function maskProfanity(lexicon, text, mask = "*") {
  const original = String(text ?? "");
  const scanned = scan(original, lexicon.fold);
  const hidden = new Set();
  for (const {start, end} of findProfanity(lexicon, scanned)) {
    for (let i = start; i < end; i++) hidden.add(scanned.owner[i]);
  }
  return Array.from(original).map((char, index) => (hidden.has(index) ? mask : char)).join("");
}

/** Load the list once, before the console starts (a module-level await). Without it (the bridge is
 *  unreachable) only the turns the handover context flagged are masked. */
async function loadLexicon() {
  try {
    const response = await fetch("/api/lexicon/profanity", {cache: "no-cache"});
    if (!response.ok) return compileLexicon({});
    return compileLexicon(await response.json());
  } catch (_) {
    return compileLexicon({});
  }
}

const LEXICON = await loadLexicon();
export const PROFANITY = LEXICON.words;

/** The text as the matcher reads it (with the served folding table). */
export function normalize(text) {
  return scan(text, LEXICON.fold).plain;
}

export function hasProfanity(text) {
  return matchProfanity(LEXICON, text).length > 0;
}

/** Texts the handover context flagged (a turn with `abusive: true`), normalised. */
export function flaggedTexts(context) {
  const flagged = new Set();
  const turns = context && Array.isArray(context.transcript) ? context.transcript : [];
  for (const turn of turns) {
    if (turn && typeof turn === "object" && (turn.abusive === true || turn.abusive === "true") && typeof turn.text === "string") {
      flagged.add(normalize(turn.text));
    }
  }
  return flagged;
}

export function isAbusive(message, flagged) {
  if (!message || message.sender !== "customer") return false;
  const payload = message.payload && typeof message.payload === "object" ? message.payload : {};
  if (payload.abusive === true || message.abusive === true) return true;
  if (flagged && flagged.has(normalize(message.text))) return true;
  return hasProfanity(message.text);
}

function key(username) {
  return `jieli-console:abusive:${username}:${today()}`;
}

export function abusiveChatsToday(username) {
  try {
    const list = JSON.parse(localStorage.getItem(key(username)) || "[]");
    return Array.isArray(list) ? list.length : 0;
  } catch (_) {
    return 0;
  }
}

/** Count a chat once per agent and day; returns today's count. */
export function countAbusiveChat(username, conversationId) {
  let list = [];
  try { list = JSON.parse(localStorage.getItem(key(username)) || "[]"); } catch (_) { list = []; }
  if (!Array.isArray(list)) list = [];
  if (!list.includes(conversationId)) {
    list.push(conversationId);
    try { localStorage.setItem(key(username), JSON.stringify(list)); } catch (_) { /* storage full or off */ }
  }
  return list.length;
}
