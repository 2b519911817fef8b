// @ts-check
// The console's WebSocket (/ws/agent): the shared reconnecting client (../shared/socket.js) with the
// console's frames: hello on every (re)connect, a heartbeat every 15 s, then one sync per loaded chat
// (its last seq) when the snapshot comes, so the server resends what this console missed. What the
// frames mean is frames.js's business (console.js wires it in: frames.js sends through this module).
import {$} from "./dom.js";
import {ReconnectingSocket} from "../shared/socket.js";
import {S, api} from "./state.js";
import {refreshComposer} from "./transcript.js";

const HEARTBEAT_MS = 15000;

/** @type {(frame: {type: string, [key: string]: any}) => void} */
let onFrame = () => {};

/**
 * Where the frames go (console.js: frames.js's onFrame).
 * @param {{onFrame: (frame: {type: string, [key: string]: any}) => void}} handlers
 */
export function wireConnection(handlers) {
  onFrame = handlers.onFrame;
}

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
