// @ts-check
// The widget's WebSocket (/ws/customer): the shared reconnecting client (../../shared/socket.js) with
// the widget's frames. On every (re)connect it says hello with the last seq it has (the bridge resends
// what came after) and resends the outbox; a ping every 20 s, and a connection that gives no pong
// within 10 s is closed and reconnected. Handshakes that never open make it ask whether the
// conversation is still there (expired: offer a new one; gone: start afresh).
import {ReconnectingSocket} from "../../shared/socket.js";
import {env} from "./config.js";
import {isObject} from "./util.js";
import {W, emit, ui} from "./state.js";
import {ensureConversation, http, scheduleCreateRetry, cancelCreateRetry} from "./conversation.js";
import {addMessage} from "./messages.js";
import {refreshControls, refreshTyping, setAgent, setQueue, setState} from "./controls.js";
import {flushOutbox, markFailed, pendingNode, removeFromOutbox, saveOutbox, sendFromOutbox} from "./outbox.js";
import {api} from "./api.js";

export const socket = new ReconnectingSocket({
  url: () => (W.conversation && !W.expired
    ? `${env.wsBase}/ws/customer?conversation_id=${encodeURIComponent(W.conversation.id)}&token=${encodeURIComponent(W.conversation.token)}`
    : null),
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
    if (failures === 1 || failures % 3 === 0) checkConversation();
  },
  onSchedule: () => refreshControls(),
  keepalive: {every: 20000, frame: () => ({type: "ping"}), deadline: 10000},
});

export function connect() {
  socket.connect();
}

/**
 * @param {object} frame
 * @returns {boolean} sent (false: not connected)
 */
export function sendFrame(frame) {
  return socket.send(frame);
}

/** After several handshakes that never opened: is our conversation still there? */
async function checkConversation() {
  if (!W.conversation) return;
  try {
    await http("GET", `/api/conversations/${encodeURIComponent(W.conversation.id)}`);
  } catch (error) {
    if (error.code === "conversation_expired") expire();
    else if (error.status === 401 || error.status === 404) api.reset(false);   // gone: start afresh
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

// ---- frames from the bridge ------------------------------------------------------------------
/**
 * @param {{type: string, [key: string]: any}} frame
 * @param {Object<string, any>} frame
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
