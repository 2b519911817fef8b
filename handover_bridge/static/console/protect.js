// @ts-check
// Agent protection: abusive customer messages are masked until the agent chooses to read them,
// and each agent sees how many abusive chats they had today (kept in this browser's localStorage,
// per agent and day).
import {today} from "./dom.js";

// The profanity list is the bridge's (lexicon/profanity.yml, served by GET /api/lexicon/profanity):
// the bridge flags stored customer messages with it and this module masks with the same rules, so
// there is one list. Matching ignores case, width (NFKC), spaces, punctuation and symbols between
// the characters, so "傻 逼" and "ＳＢ客服" match too; the list's `allow` phrases ("我妈的",
// "去死皮" …) are cut out first, so ordinary shop talk does not match.
const SKIP = /[\s\p{P}\p{S}_]+/gu;

export function normalize(text) {
  return String(text || "").normalize("NFKC").toLowerCase().replace(SKIP, "");
}

/** Load the list once, before the console starts (a module-level await). Without it (the bridge is
 *  unreachable) only the turns the handover context flagged are masked. */
async function loadLexicon() {
  try {
    const response = await fetch("/api/lexicon/profanity", {cache: "no-cache"});
    if (!response.ok) return {words: [], allow: []};
    const data = await response.json();
    const list = (value) => (Array.isArray(value) ? value.map(normalize).filter(Boolean) : []);
    return {words: list(data.words), allow: list(data.allow)};
  } catch (_) {
    return {words: [], allow: []};
  }
}

const LEXICON = await loadLexicon();
export const PROFANITY = LEXICON.words;

export function hasProfanity(text) {
  let plain = normalize(text);
  if (!plain) return false;
  for (const phrase of LEXICON.allow) plain = plain.split(phrase).join(" ");
  return LEXICON.words.some((word) => plain.includes(word));
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
