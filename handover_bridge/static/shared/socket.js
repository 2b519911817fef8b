// @ts-check
// The one WebSocket client of the widget and the agent console: connect, parse JSON frames, keep the
// connection alive, reconnect with back-off and jitter after a drop, and count the handshakes that
// never opened (so the page can ask whether its token or conversation is still good). What each side
// says on (re)connect stays with that side: the widget's {type: "hello", last_seq}, the console's hello
// and one {type: "sync", conversation_id, last_seq} per chat. The server then sends what was missed;
// `SeqLog` drops what a client already has, so nothing is doubled.
//
// Served as an ES module to the console (/shared/socket.js) and bundled into widget.js by esbuild.

/** WebSocket.OPEN, without needing the browser's global (the tests pass a fake WebSocket). */
const OPEN = 1;

/** The highest reconnect attempt counted: the delay stops growing at the cap long before. */
export const MAX_ATTEMPT = 8;

/**
 * The delay before reconnect attempt `attempt` (0 first): min(cap, base·2^attempt), times a random
 * factor in [0.8, 1.2) unless `jitter` is false (then exact).
 * @param {number} attempt
 * @param {{base?: number, cap?: number, jitter?: boolean, random?: () => number}} [options]
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, {base = 500, cap = 15000, jitter = true, random = Math.random} = {}) {
  const delay = Math.min(cap, base * 2 ** attempt);
  return jitter ? Math.round(delay * (0.8 + random() * 0.4)) : delay;
}

/**
 * A frame from the wire: a JSON object with a string `type`, else null (ignored).
 * @param {unknown} data
 * @returns {{type: string, [key: string]: any} | null}
 */
export function parseFrame(data) {
  let frame;
  try { frame = JSON.parse(String(data)); } catch (_) { return null; }
  return frame && typeof frame.type === "string" ? frame : null;
}

/**
 * The messages of one conversation by their server `seq`: a message already there (a replay after a
 * reconnect, the HTTP answer and the socket frame of the same message) is not taken twice, and
 * `maxSeq` is what to ask the server to resend after.
 * @typedef {{messages: Map<number, any>, maxSeq: number}} SeqLog
 */

/**
 * Take `message` into `log` unless its seq is not a positive integer or is already there.
 * @param {SeqLog} log
 * @param {{seq?: unknown}} message
 * @returns {number | null} its seq when taken, null when dropped
 */
export function takeBySeq(log, message) {
  const seq = Number(message.seq);
  if (!Number.isInteger(seq) || seq <= 0 || log.messages.has(seq)) return null;
  log.messages.set(seq, message);
  if (seq > log.maxSeq) log.maxSeq = seq;
  return seq;
}

/**
 * @typedef {object} SocketOptions
 * @property {() => string | null} url where to connect; null: do not (no token, no conversation,
 *   expired). Asked again after a drop: null means no reconnect either.
 * @property {(socket: ReconnectingSocket) => void} onOpen the connection is open (say hello here)
 * @property {(frame: {type: string, [key: string]: any}) => void} onFrame each frame received
 * @property {(info: {opened: boolean, failures: number}) => void} [onClose] after a drop, before the
 *   reconnect is scheduled; `failures`: handshakes in a row that never opened
 * @property {(delay: number) => void} [onSchedule] a reconnect is due in `delay` ms
 * @property {{every: number, frame: () => object, deadline?: number}} [keepalive] send frame() every
 *   `every` ms while open; with `deadline`, close when no `alive()` came that long after a frame
 * @property {{base?: number, cap?: number}} [backoff]
 * @property {typeof WebSocket} [WebSocket] the WebSocket class (a fake in the tests)
 * @property {() => number} [random] the jitter's random source
 * @property {() => number} [now]
 */

export class ReconnectingSocket {
  /** @param {SocketOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** the next reconnect attempt (0: the first); the widget's create-retry counts with it too */
    this.attempt = 0;
    /** handshakes in a row that never opened */
    this.failures = 0;
    /** when the scheduled reconnect is due (ms since the epoch), 0 when none */
    this.reconnectAt = 0;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.reconnectTimer = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.keepaliveTimer = null;
    /** @type {number | null} */
    this.aliveDeadline = null;
  }

  /** @returns {boolean} an open connection */
  get open() {
    return Boolean(this.ws && this.ws.readyState === OPEN);
  }

  /** Connect now, unless connected (or connecting) already or url() says not to. */
  connect() {
    const url = this.options.url();
    if (url === null || this.ws) return;
    this.cancelReconnect();
    const Socket = this.options.WebSocket || globalThis.WebSocket;
    let opened = false;
    /** @type {WebSocket} */
    let ws;
    try { ws = new Socket(url); } catch (_) { this.scheduleReconnect(); return; }
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.failures = 0;
      this.startKeepalive();
      this.options.onOpen(this);
    };
    ws.onmessage = (event) => {
      const frame = parseFrame(event.data);
      if (frame) this.options.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;              // closed on purpose (close(), a newer socket)
      this.ws = null;
      this.stopKeepalive();
      if (!opened) this.failures += 1;
      if (this.options.onClose) this.options.onClose({opened, failures: this.failures});
      if (this.options.url() !== null) this.scheduleReconnect();
    };
    ws.onerror = () => { /* a close follows; the back-off handles it */ };
  }

  /** Reconnect after the back-off delay of this attempt. */
  scheduleReconnect() {
    this.cancelReconnect();
    const delay = backoffDelay(this.attempt, {...this.options.backoff, random: this.options.random});
    this.attempt = Math.min(this.attempt + 1, MAX_ATTEMPT);
    this.reconnectAt = this.now() + delay;
    this.reconnectTimer = setTimeout(() => { this.reconnectTimer = null; this.connect(); }, delay);
    if (this.options.onSchedule) this.options.onSchedule(delay);
  }

  cancelReconnect() {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /** The network is back or the customer asked: try at once, from the shortest delay. */
  reconnectNow() {
    if (this.ws) return;
    this.attempt = 0;
    this.connect();
  }

  /**
   * @param {object} frame
   * @returns {boolean} sent (false: not connected)
   */
  send(frame) {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** A sign of life from the server (the widget's pong): the keep-alive deadline is met. */
  alive() {
    this.aliveDeadline = null;
  }

  /** Disconnect and stay disconnected (logout, reset, expiry); connect() starts again. */
  close() {
    this.cancelReconnect();
    this.reconnectAt = 0;
    this.stopKeepalive();
    const ws = this.ws;
    this.ws = null;
    if (ws) { try { ws.close(); } catch (_) { /* ignore */ } }
  }

  /** @private */
  startKeepalive() {
    this.stopKeepalive();
    const keepalive = this.options.keepalive;
    if (!keepalive) return;
    this.keepaliveTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || ws.readyState !== OPEN) return;
      if (keepalive.deadline && this.aliveDeadline && this.now() > this.aliveDeadline) {
        this.aliveDeadline = null;             // a dead connection the OS has not noticed
        try { ws.close(); } catch (_) { /* ignore */ }
        return;
      }
      ws.send(JSON.stringify(keepalive.frame()));
      if (keepalive.deadline && !this.aliveDeadline) this.aliveDeadline = this.now() + keepalive.deadline;
    }, keepalive.every);
  }

  /** @private */
  stopKeepalive() {
    if (this.keepaliveTimer !== null) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
    this.aliveDeadline = null;
  }

  /** @private */
  now() {
    return this.options.now ? this.options.now() : Date.now();
  }
}
