// @ts-check
// Messages: each one taken once by its seq (the shared SeqLog: a replay after a reconnect shows
// nothing twice), rendered in seq order (text only; the bot's buttons as quick replies or a rating
// card), and what a system message means for the widget (queue, agent joined, ticket offer, rating,
// closed).
import {takeBySeq} from "../../shared/socket.js";
import {T} from "./words.js";
import {RATING_PAYLOAD, clock, el, isObject} from "./util.js";
import {W, emit, ui} from "./state.js";
import {http, ensureConversation} from "./conversation.js";
import {insertAfterSeq, markSeen, refreshBadge, refreshTyping, removeTicketForm, scrollToEnd, setAgent, setQueue}
  from "./controls.js";
import {displayText, pendingNode, pressButton, refreshChips, removeFromOutbox} from "./outbox.js";
import {showTicketForm} from "./ticket.js";

/** @typedef {import("./state.js").Message} Message */

/**
 * @param {Object<string, any>} message
 * @param {boolean} replay
 */
export function addMessage(message, replay) {
  const seq = takeBySeq(W, message);
  if (seq === null) return;                        // dedupe by seq
  if (message.client_msg_id) {
    removeFromOutbox(message.client_msg_id);
    const pending = pendingNode(message.client_msg_id);
    if (pending) pending.remove();
  }
  const payload = isObject(message.payload) ? message.payload : {};
  if (Array.isArray(payload.buttons)) {
    for (const b of payload.buttons) {
      if (isObject(b) && typeof b.payload === "string" && typeof b.title === "string") W.buttonTitles.set(b.payload, b.title);
    }
  }
  const node = renderMessage(message);
  insertBySeq(node, seq);
  ui.welcome && ui.welcome.remove();
  if (message.sender === "bot" || message.sender === "agent") {
    if (message.sender === "bot") W.botTypingUntil = 0;
    if (message.sender === "agent") W.agentTypingUntil = 0;
    refreshTyping();
  }
  onPayload(message, payload, replay);
  if (!W.open && message.sender !== "customer" && seq > (W.seenSeq || 0)) {
    W.unread += 1;
    refreshBadge();
  }
  if (W.open) markSeen();
  refreshChips();
  scrollToEnd();
  emit("message", {message: publicMessage(message), replay: Boolean(replay)});
}

/**
 * @param {Object<string, any>} message
 */
export function publicMessage(message) {
  const out = {seq: message.seq, sender: message.sender, text: message.text, created_at: message.created_at};
  if (message.payload) out.payload = message.payload;
  if (message.client_msg_id) out.client_msg_id = message.client_msg_id;
  return out;
}

/**
 * @param {HTMLElement} node
 * @param {number} seq
 */
export function insertBySeq(node, seq) {
  node.dataset.seq = String(seq);
  const numbered = ui.log.querySelectorAll(".jl-msg[data-seq]");
  const last = numbered[numbered.length - 1];
  if (!last || Number(last.dataset.seq) < seq) {              // the usual case: newest at the end
    const firstPending = ui.log.querySelector(".jl-msg--pending, .jl-msg--failed");
    ui.log.insertBefore(node, firstPending || null);
    return;
  }
  const after = [...ui.log.querySelectorAll(".jl-msg[data-seq]")].find((n) => Number(n.dataset.seq) > seq);
  if (after) ui.log.insertBefore(node, after);
  else {
    const firstPending = ui.log.querySelector(".jl-msg--pending, .jl-msg--failed");
    ui.log.insertBefore(node, firstPending || null);
  }
}

/**
 * @param {Object<string, any>} message
 */
export function renderMessage(message) {
  const sender = ["customer", "bot", "agent", "system"].includes(message.sender) ? message.sender : "system";
  const payload = isObject(message.payload) ? message.payload : {};
  const text = displayText(message);
  const node = el("div", {class: `jl-msg jl-msg--${sender}`, "data-sender": sender});
  if (sender === "system") {
    node.classList.add("jl-msg--" + (payload.type === "agent_joined" ? "joined" : payload.type || "note"));
    if (payload.type) node.dataset.payload = String(payload.type);
    if (text) node.append(el("div", {class: "jl-note", text}));
    else node.classList.add("jl-msg--hidden");
    if (payload.type === "queue") {                     // only the newest queue notice stays visible
      ui.log.querySelectorAll('.jl-msg[data-payload="queue"]').forEach((n) => n.classList.add("jl-msg--stale"));
    }
    return node;
  }
  if (sender === "bot") node.append(el("div", {class: "jl-who", text: T.botName}));
  if (sender === "agent") {
    const name = (isObject(payload.agent) && payload.agent.display_name) || (W.agent && W.agent.display_name) || "";
    node.append(el("div", {class: "jl-who", text: name ? T.agentLabel(name) : "人工客服"}));
  }
  if (text) node.append(el("div", {class: "jl-bubble", text}));
  if (isObject(payload) && typeof payload.image === "string" && /^https:\/\//.test(payload.image)) {
    node.append(el("img", {class: "jl-image", src: payload.image, alt: ""}));
  }
  if (!text && !node.querySelector("img")) node.classList.add("jl-msg--hidden");
  const buttons = Array.isArray(payload.buttons) ? payload.buttons.filter((b) => isObject(b) && b.title) : [];
  if (sender === "bot" && buttons.length) {
    if (isRatingButtons(buttons)) node.append(ratingCard(Number(message.seq), buttons));
    else {
      node.append(el("div", {class: "jl-buttons"}, buttons.slice(0, 12).map((b) =>
        el("button", {class: "jl-qr", type: "button", "data-payload": String(b.payload || b.title),
          onclick: () => pressButton(b)}, String(b.title)))));
    }
  }
  node.append(el("div", {class: "jl-meta", text: clock(message.created_at)}));
  return node;
}

/**
 * @param {Object<string, any>[] | null} buttons
 */
export function isRatingButtons(buttons) {
  if (buttons.length < 3 || buttons.length > 5) return false;
  return buttons.every((b) => RATING_PAYLOAD.test(String(b.payload || ""))) ||
    buttons.every((b, i) => String(b.title).trim().replace(/分|星/, "") === String(i + 1));
}

/**
 * @param {Object<string, any>} message
 * @param {Object<string, any>} payload
 * @param {boolean} replay
 */
export function onPayload(message, payload, replay) {
  const type = payload.type;
  if (message.sender !== "system" || !type) return;
  const seq = Number(message.seq);
  if (type === "queue") {
    if (W.state === "queued" || !W.queue) setQueue({position: payload.position, eta_seconds: payload.eta_seconds}, true);
  } else if (type === "agent_joined" && isObject(payload.agent)) {
    removeTicketForm();
    setAgent(payload.agent);
    if (!replay) emit("handover", {phase: "agent_joined", agent: {display_name: payload.agent.display_name}});
  } else if (type === "ticket_offer") {
    if (seq === lastSeqOf("ticket_offer") && ["bot", "queued"].includes(W.state)) showTicketForm(false, seq);
  } else if (type === "rating_request") {
    const card = ratingCard(seq, null);
    insertAfterSeq(card, seq);
  } else if (type === "rating_received") {
    disableRatings(Number(payload.score));
  } else if (type === "closed") {
    removeTicketForm();
    if (!replay) emit("handover", {phase: "ended", return_to_bot: payload.return_to_bot !== false});
  } else if (type === "ticket") {
    removeTicketForm();
    emit("ticket", {ticket_id: payload.ticket_id});
  }
}

/**
 * @param {string} type
 */
export function lastSeqOf(type) {
  let last = 0;
  for (const [seq, m] of W.messages) if (isObject(m.payload) && m.payload.type === type && seq > last) last = seq;
  return last;
}

// ---- rating ----------------------------------------------------------------------------------
/**
 * @param {number} seq
 * @param {Object<string, any>[] | null} buttons
 */
export function ratingCard(seq, buttons) {
  const label = el("div", {class: "jl-stars-label"});
  const done = [...W.messages.values()].some((m) => isObject(m.payload) && m.payload.type === "rating_received" &&
    Number(m.seq) > seq);
  const stars = [1, 2, 3, 4, 5].map((n) => el("button", {class: "jl-star", type: "button", "data-score": String(n),
    "aria-label": `${n} 分 ${T.ratingLabels[n - 1]}`, title: T.ratingLabels[n - 1], disabled: done,
    onmouseenter: () => { label.textContent = T.ratingLabels[n - 1]; },
    onclick: () => rate(n, card, buttons)}, String(n)));
  const card = el("div", {class: "jl-card jl-rating", "data-for-seq": String(seq)},
    el("h3", {text: T.ratingTitle}), el("div", {class: "jl-stars", role: "group", "aria-label": T.ratingTitle}, stars),
    label);
  return card;
}

/**
 * @param {number} score
 * @param {HTMLElement} card
 * @param {Object<string, any>[] | null} buttons
 */
export async function rate(score, card, buttons) {
  /** @type {NodeListOf<HTMLButtonElement>} */ (card.querySelectorAll(".jl-star")).forEach((b) => {
    b.disabled = true;
    b.setAttribute("aria-pressed", String(Number(b.dataset.score) <= score));
  });
  card.querySelector(".jl-stars-label").textContent = T.ratingThanks(score);
  emit("rating", {score});
  try {
    await ensureConversation();
    const data = await http("POST", `/api/conversations/${encodeURIComponent(W.conversation.id)}/rating`, {score});
    (data && Array.isArray(data.messages) ? data.messages : []).forEach((m) => addMessage(m, false));
  } catch (_) { /* the bot's own rating buttons may come without a chat to rate: the bot still hears it */ }
  if (buttons) {
    const chosen = buttons[score - 1];
    if (chosen && chosen.payload) pressButton(chosen);
  }
}

/**
 * @param {number} score
 */
export function disableRatings(score) {
  /** @type {NodeListOf<HTMLButtonElement>} */ (ui.log.querySelectorAll(".jl-rating .jl-star")).forEach((b) => {
    b.disabled = true;
    if (score) b.setAttribute("aria-pressed", String(Number(b.dataset.score) <= score));
  });
}
