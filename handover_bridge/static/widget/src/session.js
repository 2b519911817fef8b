// @ts-check
// The conversation's life on the socket (the shared client in connection.js): on every (re)connect a
// hello with the last seq the widget has (the bridge resends what came after) and the outbox again;
// what each frame means; handshakes that never open make it ask whether the conversation is still
// there (expired: keep what is shown and offer a new one; gone: start afresh). Logging the customer
// in with the shop's signed token, and forgetting the conversation (reset).
import {env} from "./config.js";
import {isObject, store} from "./util.js";
import {W, emit, ui} from "./state.js";
import {socket} from "./connection.js";
import {cancelCreateRetry, ensureConversation, http, identityToken, scheduleCreateRetry, setIdentity} from "./conversation.js";
import {openPanel, refreshBadge, refreshControls, refreshTyping, removeTicketForm, renderWelcome, setAgent, setQueue, setState}
  from "./controls.js";
import {flushOutbox, markFailed, pendingNode, removeFromOutbox, renderChips, saveOutbox, sendFromOutbox} from "./outbox.js";
import {addMessage} from "./messages.js";

/**
 * The socket's handlers (index.js wires them into connection.js).
 * @type {Pick<import("../../shared/socket.js").SocketOptions, "onOpen" | "onFrame" | "onClose" | "onSchedule">}
 */
export const socketHandlers = {
  onOpen: (sock) => {
    W.dropped = false;
    W.replaying = true;                       // until the state frame that follows the replay
    sock.send({type: "hello", last_seq: W.maxSeq});
    setOnline(true);
    flushOutbox();
  },
  onFrame: (frame) => onFrame(frame),
  onClose: ({failures}) => {
    W.dropped = true;
    setOnline(false);
    if (failures === 1 || failures >= 3) checkConversation();   // then at every back-off step (≤ 15 s apart)
  },
  onSchedule: () => refreshControls(),
};

/** After several handshakes that never opened: is our conversation still there? */
async function checkConversation() {
  if (!W.conversation) return;
  try {
    await http("GET", `/api/conversations/${encodeURIComponent(W.conversation.id)}`);
  } catch (error) {
    if (error.code === "conversation_expired") expire();
    else if (error.status === 401 || error.status === 404) reset(false);   // gone: start afresh
  }
}

/** The bridge says the conversation sat idle too long (401 conversation_expired): keep what is
 * shown, stop reconnecting, and offer a new conversation (the restart button: api.reset). */
function expire() {
  if (W.expired) return;
  W.expired = true;
  socket.close();
  setOnline(false);
  refreshControls();
  emit("expired", {conversation_id: W.conversation ? W.conversation.id : null});
}

export function reconnectNow() {
  if (!W.conversation && W.createFailed && W.outbox.length) {
    cancelCreateRetry();
    ensureConversation().then(() => { W.createFailed = false; refreshControls(); }).catch(() => scheduleCreateRetry());
    return;
  }
  if (!W.conversation) return;
  socket.reconnectNow();
}

/** @param {boolean} online */
function setOnline(online) {
  if (W.online === online) return;
  W.online = online;
  ui.root.dataset.online = String(online);
  refreshControls();
  emit("connection", {online});
}

/**
 * @param {{type: string, [key: string]: any}} frame
 */
function onFrame(frame) {
  switch (frame.type) {
    case "message":
      addMessage(/** @type {any} */ (frame), W.replaying);
      break;
    case "state":
      W.replaying = false;
      setState(frame.state, frame.agent);
      break;
    case "queue":
      setQueue(frame);
      break;
    case "agent_joined":
      if (isObject(frame.agent)) setAgent(frame.agent);
      break;
    case "typing":
      if (frame.sender === "agent") {
        W.agentTypingUntil = Date.now() + 5000;
        if (isObject(frame.agent) && frame.agent.display_name && !W.agent) setAgent(frame.agent);
        refreshTyping();
      }
      break;
    case "ack":
      onAck(frame);
      break;
    case "error":
      onError(frame);
      break;
    case "pong":
      socket.alive();
      break;
    default:
      break;
  }
}

/** @param {Object<string, any>} frame */
function onAck(frame) {
  removeFromOutbox(frame.client_msg_id);
  W.botTypingUntil = 0;
  refreshTyping();
  if (frame.state) setState(frame.state);
}

/** @param {Object<string, any>} frame */
function onError(frame) {
  emit("error", {code: frame.code, message: frame.message});
  if (frame.code === "conversation_expired") { expire(); return; }
  const item = W.outbox.find((m) => m.client_msg_id === frame.client_msg_id);
  if (!item) return;
  W.botTypingUntil = 0;
  refreshTyping();
  if (frame.code === "rate_limited") {
    setTimeout(() => sendFromOutbox(item), 2000);
    return;
  }
  item.failed = true;
  item.error = frame.message;
  saveOutbox();
  const node = pendingNode(item.client_msg_id);
  if (node) markFailed(node, item);
}

/** A stored conversation and a token the bridge has not had on this page: log in (once per page).
 * The bridge refuses another customer's token for it (identity_mismatch): then start afresh. */
export function syncIdentity() {
  const token = identityToken();
  if (!token || !W.conversation || token === W.identitySent) return;
  W.identitySent = token;
  login(token).catch(() => { /* refused: jieli:identity says why; the chat goes on anonymous */ });
}

/** The shop's signed identity token for the logged-in customer (docs/security.md): a running
 * conversation is logged in at once, a new one starts with it. Resolves to the verified
 * identity (null until a conversation exists); rejects with {code, message} when refused. */
export function login(token) {
  W.options = {...W.options, identityToken: typeof token === "string" && token ? token : null};
  W.identitySent = W.options.identityToken;
  if (!W.conversation || !W.options.identityToken) return Promise.resolve(null);
  return http("POST", `/api/conversations/${encodeURIComponent(W.conversation.id)}/identity`,
    {identity_token: W.options.identityToken})
    .then((data) => { setIdentity(data.identity); return W.identity; },
      (error) => {
        emit("identity", {verified: Boolean(W.identity), identity: W.identity, error: {code: error.code, message: error.message}});
        if (error.code !== "identity_mismatch") throw error;
        reset(W.open);                // another customer's chat: theirs stays theirs, this one starts afresh
        return null;
      });
}

/** Forget the stored conversation (the next message starts a new one). */
export function reset(open) {
  socket.close();
  cancelCreateRetry();
  store.remove(env.storeKey);
  store.remove(env.storeKey + ":outbox");
  store.remove(env.storeKey + ":seen");
  Object.assign(W, {conversation: null, state: "bot", agent: null, online: false, maxSeq: 0, outbox: [],
    queue: null, unread: 0, seenSeq: 0, createFailed: false, replaying: false, expired: false});
  socket.attempt = 0;
  socket.failures = 0;
  W.messages.clear();
  if (ui.log) {
    ui.log.replaceChildren();
    removeTicketForm();
    renderWelcome();
    renderChips();
    ui.root.dataset.online = "false";
    refreshControls();
    refreshBadge();
  }
  emit("state", {state: "bot", previous: null, agent: null});
  if (open) openPanel();
}
