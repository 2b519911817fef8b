// @ts-check
// The console's WebSocket (/ws/agent): the shared reconnecting client (../shared/socket.js) with the
// console's frames: hello on every (re)connect, a heartbeat every 15 s, then one sync per loaded chat
// (its last seq) when the snapshot comes, so the server resends what this console missed.
import {$, isObject} from "./dom.js";
import {ReconnectingSocket} from "../shared/socket.js";
import {toast} from "./session.js";
import {S, api} from "./state.js";
import {adoptChat, endChat, onAck, onError, onMessage, onState, onTyping, renderChatList} from "./chats.js";
import {refreshComposer} from "./composer.js";
import {scheduleQueueRefresh, setQueue} from "./queue.js";
import {refreshTickets} from "./tickets.js";

const HEARTBEAT_MS = 15000;

const socket = new ReconnectingSocket({
  url: () => (S.token
    ? `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/agent?token=${encodeURIComponent(S.token)}`
    : null),
  onOpen: (sock) => {
    setOnline(true);
    sock.send({type: "hello"});
  },
  onFrame: (frame) => onFrame(frame),
  onClose: ({failures}) => {
    setOnline(false);
    if (failures && failures % 3 === 0) api("GET", "/me").catch(() => {});   // 401 → back to login
  },
  keepalive: {every: HEARTBEAT_MS, frame: () => ({type: "heartbeat"})},
});

export function connect() {
  socket.connect();
}

export function closeSocket() {
  socket.close();
  setOnline(false);
}

/**
 * @param {object} frame
 * @returns {boolean} sent (false: offline)
 */
export function send(frame) {
  return socket.send(frame);
}

/** @param {boolean} online */
function setOnline(online) {
  S.online = online;
  const box = $("#conn");
  box.dataset.online = String(online);
  box.textContent = online ? "已连接" : "连接已断开，正在重连…";
  refreshComposer();
}

window.addEventListener("online", () => { if (S.token) socket.reconnectNow(); });

/**
 * @param {{type: string, [key: string]: any}} frame
 * @param {Object<string, any>} frame
 */
function onFrame(frame) {
  switch (frame.type) {
    case "snapshot": onSnapshot(frame); break;
    case "message": onMessage(frame); break;
    case "state": onState(frame); break;
    case "queue_changed": scheduleQueueRefresh(); break;
    case "typing": onTyping(frame); break;
    case "agent_joined":
      if (isObject(frame.agent) && S.me && frame.agent.id === S.me.id) {
        adoptChat(frame.conversation_id, !S.chats.has(frame.conversation_id) && !S.accepting.has(frame.conversation_id));
      }
      break;
    case "transferred_away": endChat(frame.conversation_id, `已转接给 ${(frame.to && frame.to.display_name) || "同事"}`); break;
    case "ticket": refreshTickets(); toast("收到一条新留言"); break;
    case "presence":
      if (isObject(frame.agent) && S.me && frame.agent.id === S.me.id) {
        S.me.presence = frame.agent.presence;
        $("#presence").value = frame.agent.presence;
        $("#presence").dataset.presence = frame.agent.presence;
      }
      break;
    case "ack": onAck(frame); break;
    case "error": onError(frame); break;
    default: break;
  }
}

/** @param {Object<string, any>} frame */
function onSnapshot(frame) {
  if (isObject(frame.agent)) {
    S.me = {...S.me, ...frame.agent};
    $("#presence").value = S.me.presence;
    $("#presence").dataset.presence = S.me.presence;
  }
  if (Array.isArray(frame.queue)) setQueue(frame.queue);
  const mine = new Set();
  for (const item of Array.isArray(frame.chats) ? frame.chats : []) {
    if (!isObject(item) || !item.conversation_id) continue;
    mine.add(item.conversation_id);
    const chat = S.chats.get(item.conversation_id);
    if (chat && chat.loaded) {
      if (item.handover) chat.handover = item.handover;
      send({type: "sync", conversation_id: chat.id, last_seq: chat.maxSeq});
    } else {
      adoptChat(item.conversation_id, false, item);
    }
  }
  for (const chat of S.chats.values()) {
    if (!mine.has(chat.id) && !chat.ended) endChat(chat.id, "会话已不在您名下");
  }
  renderChatList();
}
