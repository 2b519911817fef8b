// @ts-check
// What the widget shows around the messages: the state (bot, queued, with an agent, ended), the
// queue banner, the offline banner with its countdown, the header, the 转人工 button, typing, the
// unread badge, the welcome; opening and closing the panel.
import {T} from "./words.js";
import {env} from "./config.js";
import {el, isObject, store} from "./util.js";
import {W, emit, ui} from "./state.js";
import {socket} from "./connection.js";

/**
 * @param {string} state
 * @param {Object<string, any> | null} [agent]
 */
export function setState(state, agent) {
  if (typeof state !== "string") return;
  if (isObject(agent)) setAgent(agent);
  const previous = W.state;
  if (state === previous) { refreshControls(); return; }
  W.state = state;
  ui.root.dataset.state = state;
  if (state !== "queued") W.queue = null;
  if (state !== "assigned") { W.agent = null; W.agentTypingUntil = 0; }
  if (!["bot", "queued"].includes(state)) removeTicketForm();
  if (state === "queued") emit("handover", {phase: "queued"});
  refreshControls();
  refreshTyping();
  emit("state", {state, previous, agent: W.agent ? {display_name: W.agent.display_name} : null});
}

/**
 * The queue as the banner shows it, from a queue frame or a queue notice's payload: the position
 * (1: next), how many are ahead (the bridge's `ahead`, else position − 1) and the expected wait
 * (null: no agent online); null when the position is missing or not a number ≥ 1.
 * @param {{position?: unknown, ahead?: unknown, eta_seconds?: unknown, agents_online?: any}} frame
 * @returns {{position: number, ahead: number, eta_seconds: number | null, agents_online?: any} | null}
 */
export function queueOf(frame) {
  const position = Number(frame.position);
  if (!Number.isFinite(position) || position < 1) return null;
  const eta = frame.eta_seconds === null || frame.eta_seconds === undefined ? null : Number(frame.eta_seconds);
  const ahead = Number.isFinite(Number(frame.ahead)) ? Number(frame.ahead) : position - 1;
  return {position, ahead: Math.max(0, ahead), eta_seconds: eta, agents_online: frame.agents_online};
}

/**
 * @param {Object<string, any>} frame
 * @param {boolean} [fromMessage] from a stored queue notice (a replay): the state does not change
 */
export function setQueue(frame, fromMessage) {
  const queue = queueOf(frame);
  if (!queue) return;
  W.queue = queue;
  if (!fromMessage && W.state !== "queued" && W.state === "bot") setState("queued");
  refreshControls();
  emit("queue", {...W.queue});
}

/**
 * @param {Object<string, any>} agent
 */
export function setAgent(agent) {
  if (!isObject(agent)) return;
  W.agent = {display_name: String(agent.display_name || "")};
  refreshControls();
}

// ---- controls --------------------------------------------------------------------------------
export function refreshControls() {
  if (!ui.root) return;
  // usable: connected, or no conversation yet (the first message creates it)
  const connected = W.online || (!W.conversation && !W.createFailed);
  // the offline banner only once a connection failed or dropped (not while the first one opens)
  const offline = !connected && (W.dropped || W.createFailed) && !W.expired;
  const state = W.state;
  ui.root.dataset.state = state;
  ui.offline.hidden = !offline;
  if (offline) {
    const seconds = socket.reconnectAt ? Math.max(0, Math.ceil((socket.reconnectAt - Date.now()) / 1000)) : 0;
    ui.offlineText.textContent = seconds > 1 ? T.offlineRetry(seconds) : T.offline;
  }
  const ended = state === "closed" || state === "ticket" || W.expired;
  ui.input.disabled = !connected || state === "closed" || W.expired;
  ui.send.disabled = !connected || state === "closed" || W.expired;
  ui.input.placeholder = W.expired ? T.placeholderExpired : connected ? T.placeholder : T.placeholderOffline;
  // header
  let subtitle = T.subtitleBot;
  if (state === "queued") subtitle = T.subtitleQueued;
  else if (state === "assigned") subtitle = T.subtitleAgent((W.agent && W.agent.display_name) || "");
  else if (state === "ticket") subtitle = T.subtitleTicket;
  else if (state === "closed") subtitle = T.subtitleClosed;
  if (W.expired) subtitle = T.subtitleExpired;
  ui.subtitle.textContent = subtitle;
  ui.avatar.textContent = state === "assigned" ? "客" : "接";
  // queue banner
  ui.queue.hidden = !(state === "queued" && W.queue);
  if (W.queue) ui.queueText.textContent = T.queue(W.queue.ahead, W.queue.eta_seconds);
  ui.ended.hidden = !ended;
  ui.endedText.textContent = W.expired ? T.expired : state === "ticket" ? T.subtitleTicket : T.subtitleClosed;
  // 转人工: always there; busy while a person is on the way or here
  const busy = state === "queued" || state === "assigned";
  ui.human.disabled = busy || !connected || ended;
  ui.human.textContent = state === "queued" ? T.humanQueued : state === "assigned" ? T.humanBusy : T.human;
}

export function refreshTyping() {
  if (!ui.typing) return;
  const now = Date.now();
  if (W.agentTypingUntil > now && W.state === "assigned") {
    ui.typingText.textContent = T.typingAgent((W.agent && W.agent.display_name) || "");
    ui.typing.hidden = false;
  } else if (W.botTypingUntil > now && W.state === "bot") {
    ui.typingText.textContent = T.typingBot;
    ui.typing.hidden = false;
  } else {
    ui.typing.hidden = true;
  }
}

export function tick() {
  refreshTyping();
  if (!W.online && W.conversation) refreshControls();
}

export function refreshBadge() {
  ui.badge.hidden = W.unread === 0;
  ui.badge.textContent = W.unread > 99 ? "99+" : String(W.unread);
  ui.launcher.setAttribute("aria-label", W.unread ? `${T.launcherOpen}，${T.unread(W.unread)}` : T.launcherOpen);
}

export function markSeen() {
  W.seenSeq = W.maxSeq;
  store.set(env.storeKey + ":seen", W.seenSeq);
  if (W.unread) { W.unread = 0; refreshBadge(); }
}

export function renderWelcome() {
  ui.welcome = el("div", {class: "jl-msg jl-msg--bot jl-welcome"}, el("div", {class: "jl-who", text: T.botName}),
    el("div", {class: "jl-bubble", text: W.options.greeting || T.welcome}));
  ui.log.prepend(ui.welcome);
}

export function scrollToEnd() {
  if (!ui.log) return;
  requestAnimationFrame(() => { ui.log.scrollTop = ui.log.scrollHeight; });
}

export function removeTicketForm() {
  if (ui.ticket) ui.ticket.remove();
  ui.ticket = null;
}

/**
 * @param {HTMLElement} node
 * @param {number} seq
 */
export function insertAfterSeq(node, seq) {
  const anchor = ui.log.querySelector(`.jl-msg[data-seq="${seq}"]`);
  if (anchor) anchor.after(node);
  else ui.log.append(node);
}

export function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = Math.min(120, ui.input.scrollHeight + 2) + "px";
}

/** Open the panel (mounted already: Jieli.open() mounts first). */
export function openPanel() {
  if (W.open) return;
  W.open = true;
  ui.root.classList.add("jl--open");
  store.set(env.storeKey + ":open", true);
  markSeen();
  scrollToEnd();
  if (!ui.input.disabled) ui.input.focus({preventScroll: true});
  emit("open", {conversation_id: W.conversation && W.conversation.id});
}

/** Close the panel. */
export function closePanel() {
  if (!W.open) return;
  W.open = false;
  ui.root.classList.remove("jl--open");
  store.set(env.storeKey + ":open", false);
  ui.launcher.focus({preventScroll: true});
  emit("close", {conversation_id: W.conversation && W.conversation.id});
}
