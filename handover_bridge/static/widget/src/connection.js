// @ts-check
// The widget's WebSocket (/ws/customer): the shared reconnecting client (../../shared/socket.js) with
// the widget's keep-alive: a ping every 20 s, and a connection that gives no pong within 10 s is closed
// and reconnected. What is said on (re)connect and what each frame means: session.js (index.js wires
// its handlers in here).
import {ReconnectingSocket} from "../../shared/socket.js";
import {env} from "./config.js";
import {W} from "./state.js";

/** @typedef {import("../../shared/socket.js").SocketOptions} SocketOptions */

/** @type {Pick<SocketOptions, "onOpen" | "onFrame" | "onClose" | "onSchedule">} */
const handlers = {onOpen: () => {}, onFrame: () => {}, onClose: () => {}, onSchedule: () => {}};

/** @param {typeof handlers} wired */
export function wireConnection(wired) {
  Object.assign(handlers, wired);
}

export const socket = new ReconnectingSocket({
  url: () => (W.conversation && !W.expired
    ? `${env.wsBase}/ws/customer?conversation_id=${encodeURIComponent(W.conversation.id)}&token=${encodeURIComponent(W.conversation.token)}`
    : null),
  onOpen: (sock) => handlers.onOpen(sock),
  onFrame: (frame) => handlers.onFrame(frame),
  onClose: (info) => handlers.onClose(info),
  onSchedule: (delay) => handlers.onSchedule(delay),
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
