// @ts-check
// Getting the agent's attention and keeping them informed: presence, the sound switch and the beep,
// the title alert for new chats, today's count of abusive chats.
import {$} from "./dom.js";
import {abusiveChatsToday} from "./protect.js";
import {toast} from "./session.js";
import {S, SOUND_KEY, api} from "./state.js";

const BASE_TITLE = document.title;

// ---- presence, sound, title ----------------------------------------------------------------------
$("#presence").addEventListener("change", async (event) => {
  const presence = event.target.value;
  try {
    const data = await api("POST", "/presence", {presence});
    S.me = {...S.me, ...data.agent};
    event.target.dataset.presence = presence;
    toast(presence === "online" ? "已上线，可以接待顾客" : presence === "away" ? "已设为离开" : "已下线");
  } catch (failure) {
    toast(failure.message, "error");
    event.target.value = S.me.presence;
  }
});

export function ensureAudio() {
  if (S.audio) {
    if (S.audio.state === "suspended") S.audio.resume().catch(() => {});
    return;
  }
  const Context = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
  if (!Context) return;
  try { S.audio = new Context(); } catch (_) { S.audio = null; }
}

export function beep() {
  if (!S.sound || !S.audio || S.audio.state !== "running") return;
  const ctx = S.audio;
  const now = ctx.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.18, 1175]]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.15, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.16);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + offset);
    osc.stop(now + offset + 0.18);
  }
}

export function refreshSound() {
  const button = $("#sound-toggle");
  button.textContent = S.sound ? "提示音：开" : "提示音：关";
  button.setAttribute("aria-pressed", String(S.sound));
}

$("#sound-toggle").addEventListener("click", () => {
  S.sound = !S.sound;
  localStorage.setItem(SOUND_KEY, S.sound ? "on" : "off");
  refreshSound();
  ensureAudio();
  if (S.sound) beep();
});

/**
 * @param {string} text
 */
export function notify(text) {
  S.alerts += 1;
  document.body.dataset.alerts = String(S.alerts);
  document.title = `【${text}】${BASE_TITLE}`;
  beep();
}

export function clearTitle() {
  if (document.title !== BASE_TITLE) document.title = BASE_TITLE;
}

for (const type of ["pointerdown", "keydown"]) {
  document.addEventListener(type, () => { ensureAudio(); clearTitle(); }, {capture: true});
}
window.addEventListener("focus", clearTitle);

export function refreshAbuseCount() {
  if (!S.me) return;
  const n = abusiveChatsToday(S.me.username);
  const box = $("#abuse-count");
  box.textContent = `今日不当言辞会话 ${n}`;
  box.dataset.count = String(n);
}
