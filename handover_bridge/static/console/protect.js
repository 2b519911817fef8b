// Agent protection: abusive customer messages are masked until the agent chooses to read them,
// and each agent sees how many abusive chats they had today (kept in this browser's localStorage,
// per agent and day).
import {today} from "./dom.js";

// A small built-in list. Matching ignores case, width (NFKC), spaces and punctuation between the
// characters, so "傻 逼" and "ＳＢ" match too. Words are chosen so that ordinary shop talk
// ("滚筒洗衣机", "垃圾袋") does not match.
export const PROFANITY = [
  "傻逼", "傻b", "傻x", "煞笔", "沙比", "sb客服", "脑残", "智障", "白痴", "弱智", "废物", "蠢货", "狗东西",
  "你妈", "他妈的", "妈的", "尼玛", "操你", "草你", "草泥马", "日你", "去死", "滚蛋", "给我滚", "王八蛋",
  "混蛋", "贱人", "垃圾客服", "垃圾东西", "fuck", "shit", "bitch", "wtf",
];

const SKIP = /[\s\p{P}\p{S}_]+/gu;

export function normalize(text) {
  return String(text || "").normalize("NFKC").toLowerCase().replace(SKIP, "");
}

const WORDS = PROFANITY.map(normalize);

export function hasProfanity(text) {
  const plain = normalize(text);
  return plain.length > 0 && WORDS.some((word) => plain.includes(word));
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
