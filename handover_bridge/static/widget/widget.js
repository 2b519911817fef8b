/*!
 * Jieli 接力 — customer-service chat widget.
 *
 *   <script src="https://bridge.example.com/widget.js" data-bridge="https://bridge.example.com" defer></script>
 *   <script>
 *     addEventListener("DOMContentLoaded", () =>
 *       Jieli.init({customer: {id: "u1001", tier: "vip"}, order: "2024111500034503", page: "订单详情"}));
 *   </script>
 *
 * GENERATED FILE, do not edit: built by esbuild from handover_bridge/static/widget/src/ (and
 * handover_bridge/static/shared/). Change the sources, then rebuild with `make widget`.
 * See docs/widget.md.
 */
"use strict";
(() => {
  // handover_bridge/static/widget/src/config.js
  var VERSION = "1.0.0";
  var env = {
    /** @type {HTMLScriptElement | null} the widget's own script tag (its data- attributes) */
    script: null,
    /** the bridge's base URL, e.g. https://bridge.example.com */
    bridge: "",
    /** the same as ws:// or wss:// */
    wsBase: "",
    /** this widget's localStorage key (one per bridge) */
    storeKey: ""
  };
  function bridgeOf(script, here) {
    let origin;
    try {
      origin = new URL(script && script.src ? script.src : here.href, here.href).origin;
    } catch (_) {
      origin = here.origin;
    }
    return (script && script.dataset && script.dataset.bridge || origin).replace(/\/+$/, "");
  }
  function configure(script) {
    env.script = script;
    env.bridge = bridgeOf(script, location);
    env.wsBase = env.bridge.replace(/^http/, "ws");
    env.storeKey = "jieli:v1:" + env.bridge;
  }

  // handover_bridge/static/widget/src/util.js
  var store = {
    get(key, fallback) {
      try {
        const raw = localStorage.getItem(key);
        return raw ? JSON.parse(raw) : fallback;
      } catch (_) {
        return fallback;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(key, JSON.stringify(value));
      } catch (_) {
      }
    },
    remove(key) {
      try {
        localStorage.removeItem(key);
      } catch (_) {
      }
    }
  };
  function el(tag, attrs, ...children) {
    const node = (
      /** @type {any} */
      document.createElement(tag)
    );
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === void 0 || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === void 0 || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.3 21l4.1-2.1c1.1.3 2.3.5 3.6.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3zm-4.5 9.8a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6zm4.5 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6zm4.5 0a1.3 1.3 0 110-2.6 1.3 1.3 0 010 2.6z");
    svg.append(path);
    return svg;
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  function clock(iso) {
    const date = iso ? new Date(iso) : /* @__PURE__ */ new Date();
    if (Number.isNaN(date.getTime())) return "";
    return date.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });
  }
  var isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  var RATING_PAYLOAD = /^\/rat(e|ing)\b/i;

  // handover_bridge/static/widget/src/state.js
  var W = {
    /** @type {Object<string, any>} the options of Jieli.init() */
    options: {},
    mounted: false,
    open: false,
    /** @type {{id: string, token: string} | null} */
    conversation: null,
    state: "bot",
    /** @type {{display_name: string} | null} */
    agent: null,
    online: false,
    /** @type {Map<number, Message>} seq → message */
    messages: /* @__PURE__ */ new Map(),
    maxSeq: 0,
    /** @type {OutboxItem[]} resent until the bridge has them */
    outbox: [],
    unread: 0,
    /** @type {{position: number, ahead: number, eta_seconds: number | null, agents_online?: number} | null} */
    queue: null,
    /** @type {Map<string, string>} payload → title (older chats stored "/request_human" as the text) */
    buttonTitles: /* @__PURE__ */ new Map(),
    botTypingUntil: 0,
    agentTypingUntil: 0,
    lastTypingSent: 0,
    /** @type {Promise<{id: string, token: string}> | null} */
    creating: null,
    ratedSeqs: /* @__PURE__ */ new Set(),
    /** the bridge said conversation_expired: offer a new conversation */
    expired: false,
    /** a connection dropped (the offline banner shows only after one did) */
    dropped: false,
    /** creating the conversation failed: retrying with back-off */
    createFailed: false,
    /** until the state frame that follows the replay after a (re)connect */
    replaying: false,
    seenSeq: 0,
    /** @type {Object<string, any> | null} the verified identity the bridge gave back */
    identity: null,
    /** @type {string | null | undefined} the identity token the bridge has had on this page */
    identitySent: void 0
  };
  var ui = {};
  function emit(name, detail) {
    const event = new CustomEvent("jieli:" + name, { detail, bubbles: true, composed: true });
    (ui.host || window).dispatchEvent(event);
  }

  // handover_bridge/static/shared/socket.js
  var OPEN = 1;
  var MAX_ATTEMPT = 8;
  function backoffDelay(attempt, { base = 500, cap = 15e3, jitter = true, random = Math.random } = {}) {
    const delay = Math.min(cap, base * 2 ** attempt);
    return jitter ? Math.round(delay * (0.8 + random() * 0.4)) : delay;
  }
  function parseFrame(data) {
    let frame;
    try {
      frame = JSON.parse(String(data));
    } catch (_) {
      return null;
    }
    return frame && typeof frame.type === "string" ? frame : null;
  }
  function takeBySeq(log, message) {
    const seq = Number(message.seq);
    if (!Number.isInteger(seq) || seq <= 0 || log.messages.has(seq)) return null;
    log.messages.set(seq, message);
    if (seq > log.maxSeq) log.maxSeq = seq;
    return seq;
  }
  var ReconnectingSocket = class {
    /** @param {SocketOptions} options */
    constructor(options) {
      this.options = options;
      this.ws = null;
      this.attempt = 0;
      this.failures = 0;
      this.reconnectAt = 0;
      this.reconnectTimer = null;
      this.keepaliveTimer = null;
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
      let ws;
      try {
        ws = new Socket(url);
      } catch (_) {
        this.scheduleReconnect();
        return;
      }
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
        if (this.ws !== ws) return;
        this.ws = null;
        this.stopKeepalive();
        if (!opened) this.failures += 1;
        if (this.options.onClose) this.options.onClose({ opened, failures: this.failures });
        if (this.options.url() !== null) this.scheduleReconnect();
      };
      ws.onerror = () => {
      };
    }
    /** Reconnect after the back-off delay of this attempt. */
    scheduleReconnect() {
      this.cancelReconnect();
      const delay = backoffDelay(this.attempt, { ...this.options.backoff, random: this.options.random });
      this.attempt = Math.min(this.attempt + 1, MAX_ATTEMPT);
      this.reconnectAt = this.now() + delay;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, delay);
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
      if (ws) {
        try {
          ws.close();
        } catch (_) {
        }
      }
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
          this.aliveDeadline = null;
          try {
            ws.close();
          } catch (_) {
          }
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
  };

  // handover_bridge/static/widget/src/connection.js
  var handlers = { onOpen: () => {
  }, onFrame: () => {
  }, onClose: () => {
  }, onSchedule: () => {
  } };
  function wireConnection(wired) {
    Object.assign(handlers, wired);
  }
  var socket = new ReconnectingSocket({
    url: () => W.conversation && !W.expired ? `${env.wsBase}/ws/customer?conversation_id=${encodeURIComponent(W.conversation.id)}&token=${encodeURIComponent(W.conversation.token)}` : null,
    onOpen: (sock) => handlers.onOpen(sock),
    onFrame: (frame) => handlers.onFrame(frame),
    onClose: (info) => handlers.onClose(info),
    onSchedule: (delay) => handlers.onSchedule(delay),
    keepalive: { every: 2e4, frame: () => ({ type: "ping" }), deadline: 1e4 }
  });
  function connect() {
    socket.connect();
  }
  function sendFrame(frame) {
    return socket.send(frame);
  }

  // handover_bridge/static/widget/src/words.js
  var T = {
    title: "接力智能客服",
    botName: "智能助手",
    subtitleBot: "智能助手为您服务，随时可转人工",
    subtitleQueued: "正在为您转接人工客服",
    subtitleAgent: (name) => `客服 ${name} 为您服务`,
    subtitleTicket: "已留言，客服会尽快联系您",
    subtitleClosed: "本次会话已结束",
    expired: "会话已过期，为了您的信息安全，请重新开始对话～",
    subtitleExpired: "会话已过期",
    launcher: "联系客服",
    launcherOpen: "打开在线客服",
    closePanel: "收起客服窗口",
    placeholder: "请输入您的问题，Enter 发送",
    placeholderOffline: "网络已断开，正在重新连接…",
    placeholderExpired: "点击上方“开始新的咨询”继续",
    send: "发送",
    human: "转人工",
    humanBusy: "人工服务中",
    humanQueued: "排队中",
    offline: "网络连接已断开，正在重新连接…",
    offlineRetry: (s) => `网络连接已断开，${s} 秒后重新连接…`,
    reconnectNow: "立即重连",
    queue: (ahead, eta) => {
      const head = ahead > 0 ? `正在为您转接人工客服，前面还有 ${ahead} 位，` : "正在为您转接人工客服，您是下一位，";
      if (eta === null || eta === void 0) return head + "当前暂无客服在线，您可以先留言";
      if (eta < 60) return head + "预计等待不到 1 分钟";
      return head + `预计等待 ${Math.ceil(eta / 60)} 分钟`;
    },
    cancelWait: "取消排队",
    leaveMessage: "留言",
    agentJoined: (name) => `客服 ${name} 已接入`,
    typingBot: "智能助手正在输入",
    typingAgent: (name) => `客服 ${name} 正在输入`,
    welcome: "您好，我是接力智能客服。物流、退款、退换货、发票、优惠券都可以问我；需要人工客服时，点下方“转人工”即可。",
    suggestions: ["我的订单什么时候发货", "怎么申请退款", "怎么开发票"],
    ticketTitle: "给客服留言",
    ticketHint: "请写下您的问题和联系方式，客服上线后会尽快联系您。",
    ticketMessage: "您的问题（订单号、遇到的情况…）",
    ticketContact: "手机号或邮箱",
    ticketSubmit: "提交留言",
    ticketSending: "提交中…",
    ticketDone: "留言已提交",
    ticketMissing: "请填写留言内容和联系方式",
    ratingTitle: "请为本次服务打分",
    ratingLabels: ["很不满意", "不满意", "一般", "满意", "非常满意"],
    ratingThanks: (n) => `您打了 ${n} 分，感谢您的评价！`,
    restart: "开始新的咨询",
    sendFailed: "发送失败，点击重试",
    sending: "发送中",
    youSaid: "我",
    agentLabel: (name) => `客服 ${name}`,
    systemLabel: "系统消息",
    unread: (n) => `${n} 条新消息`,
    errorGeneric: "出了点问题，请稍后再试。"
  };

  // handover_bridge/static/widget/src/controls.js
  function setState(state, agent) {
    if (typeof state !== "string") return;
    if (isObject(agent)) setAgent(agent);
    const previous = W.state;
    if (state === previous) {
      refreshControls();
      return;
    }
    W.state = state;
    ui.root.dataset.state = state;
    if (state !== "queued") W.queue = null;
    if (state !== "assigned") {
      W.agent = null;
      W.agentTypingUntil = 0;
    }
    if (!["bot", "queued"].includes(state)) removeTicketForm();
    if (state === "queued") emit("handover", { phase: "queued" });
    refreshControls();
    refreshTyping();
    emit("state", { state, previous, agent: W.agent ? { display_name: W.agent.display_name } : null });
  }
  function queueOf(frame) {
    const position = Number(frame.position);
    if (!Number.isFinite(position) || position < 1) return null;
    const eta = frame.eta_seconds === null || frame.eta_seconds === void 0 ? null : Number(frame.eta_seconds);
    const ahead = Number.isFinite(Number(frame.ahead)) ? Number(frame.ahead) : position - 1;
    return { position, ahead: Math.max(0, ahead), eta_seconds: eta, agents_online: frame.agents_online };
  }
  function setQueue(frame, fromMessage) {
    const queue = queueOf(frame);
    if (!queue) return;
    W.queue = queue;
    if (!fromMessage && W.state !== "queued" && W.state === "bot") setState("queued");
    refreshControls();
    emit("queue", { ...W.queue });
  }
  function setAgent(agent) {
    if (!isObject(agent)) return;
    W.agent = { display_name: String(agent.display_name || "") };
    refreshControls();
  }
  function refreshControls() {
    if (!ui.root) return;
    const connected = W.online || !W.conversation && !W.createFailed;
    const offline = !connected && (W.dropped || W.createFailed) && !W.expired;
    const state = W.state;
    ui.root.dataset.state = state;
    ui.offline.hidden = !offline;
    if (offline) {
      const seconds = socket.reconnectAt ? Math.max(0, Math.ceil((socket.reconnectAt - Date.now()) / 1e3)) : 0;
      ui.offlineText.textContent = seconds > 1 ? T.offlineRetry(seconds) : T.offline;
    }
    const ended = state === "closed" || state === "ticket" || W.expired;
    ui.input.disabled = !connected || state === "closed" || W.expired;
    ui.send.disabled = !connected || state === "closed" || W.expired;
    ui.input.placeholder = W.expired ? T.placeholderExpired : connected ? T.placeholder : T.placeholderOffline;
    let subtitle = T.subtitleBot;
    if (state === "queued") subtitle = T.subtitleQueued;
    else if (state === "assigned") subtitle = T.subtitleAgent(W.agent && W.agent.display_name || "");
    else if (state === "ticket") subtitle = T.subtitleTicket;
    else if (state === "closed") subtitle = T.subtitleClosed;
    if (W.expired) subtitle = T.subtitleExpired;
    ui.subtitle.textContent = subtitle;
    ui.avatar.textContent = state === "assigned" ? "客" : "接";
    ui.queue.hidden = !(state === "queued" && W.queue);
    if (W.queue) ui.queueText.textContent = T.queue(W.queue.ahead, W.queue.eta_seconds);
    ui.ended.hidden = !ended;
    ui.endedText.textContent = W.expired ? T.expired : state === "ticket" ? T.subtitleTicket : T.subtitleClosed;
    const busy = state === "queued" || state === "assigned";
    ui.human.disabled = busy || !connected || ended;
    ui.human.textContent = state === "queued" ? T.humanQueued : state === "assigned" ? T.humanBusy : T.human;
  }
  function refreshTyping() {
    if (!ui.typing) return;
    const now = Date.now();
    if (W.agentTypingUntil > now && W.state === "assigned") {
      ui.typingText.textContent = T.typingAgent(W.agent && W.agent.display_name || "");
      ui.typing.hidden = false;
    } else if (W.botTypingUntil > now && W.state === "bot") {
      ui.typingText.textContent = T.typingBot;
      ui.typing.hidden = false;
    } else {
      ui.typing.hidden = true;
    }
  }
  function tick() {
    refreshTyping();
    if (!W.online && W.conversation) refreshControls();
  }
  function refreshBadge() {
    ui.badge.hidden = W.unread === 0;
    ui.badge.textContent = W.unread > 99 ? "99+" : String(W.unread);
    ui.launcher.setAttribute("aria-label", W.unread ? `${T.launcherOpen}，${T.unread(W.unread)}` : T.launcherOpen);
  }
  function markSeen() {
    W.seenSeq = W.maxSeq;
    store.set(env.storeKey + ":seen", W.seenSeq);
    if (W.unread) {
      W.unread = 0;
      refreshBadge();
    }
  }
  function renderWelcome() {
    ui.welcome = el(
      "div",
      { class: "jl-msg jl-msg--bot jl-welcome" },
      el("div", { class: "jl-who", text: T.botName }),
      el("div", { class: "jl-bubble", text: W.options.greeting || T.welcome })
    );
    ui.log.prepend(ui.welcome);
  }
  function scrollToEnd() {
    if (!ui.log) return;
    requestAnimationFrame(() => {
      ui.log.scrollTop = ui.log.scrollHeight;
    });
  }
  function removeTicketForm() {
    if (ui.ticket) ui.ticket.remove();
    ui.ticket = null;
  }
  function insertAfterSeq(node, seq) {
    const anchor = ui.log.querySelector(`.jl-msg[data-seq="${seq}"]`);
    if (anchor) anchor.after(node);
    else ui.log.append(node);
  }
  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(120, ui.input.scrollHeight + 2) + "px";
  }
  function openPanel() {
    if (W.open) return;
    W.open = true;
    ui.root.classList.add("jl--open");
    store.set(env.storeKey + ":open", true);
    markSeen();
    scrollToEnd();
    if (!ui.input.disabled) ui.input.focus({ preventScroll: true });
    emit("open", { conversation_id: W.conversation && W.conversation.id });
  }
  function closePanel() {
    if (!W.open) return;
    W.open = false;
    ui.root.classList.remove("jl--open");
    store.set(env.storeKey + ":open", false);
    ui.launcher.focus({ preventScroll: true });
    emit("close", { conversation_id: W.conversation && W.conversation.id });
  }

  // handover_bridge/static/widget/src/conversation.js
  function metadata() {
    const o = W.options;
    const meta = isObject(o.metadata) ? { ...o.metadata } : {};
    if (isObject(o.customer)) {
      if (o.customer.id !== void 0) meta.customer_id = String(o.customer.id);
      if (o.customer.tier !== void 0) meta.tier = String(o.customer.tier);
      if (o.customer.name !== void 0) meta.customer_name = String(o.customer.name);
    }
    if (typeof o.order === "string" || typeof o.order === "number") meta.current_order = String(o.order);
    else if (isObject(o.order)) {
      meta.order = { ...o.order };
      if (o.order.id !== void 0) meta.current_order = String(o.order.id);
    }
    meta.page = o.page ? String(o.page) : document.title;
    meta.page_url = location.origin + location.pathname;
    if (o.shop) meta.shop = String(o.shop);
    meta.widget = VERSION;
    return meta;
  }
  async function http(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (W.conversation) headers.Authorization = "Bearer " + W.conversation.token;
    const response = await fetch(env.bridge + path, {
      method,
      headers,
      body: body ? JSON.stringify(body) : void 0,
      credentials: "omit",
      cache: "no-store"
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const error = (
        /** @type {HttpError} */
        new Error(data && data.error && data.error.message || T.errorGeneric)
      );
      error.status = response.status;
      error.code = data && data.error && data.error.code;
      throw error;
    }
    return data;
  }
  var IDENTITY_REFUSED = /* @__PURE__ */ new Set(["invalid_identity", "identity_not_configured"]);
  function identityToken() {
    const token = W.options.identityToken !== void 0 ? W.options.identityToken : env.script && env.script.dataset.identityToken;
    return typeof token === "string" && token ? token : null;
  }
  function setIdentity(record, error) {
    W.identity = isObject(record) && record.verified === true ? record : null;
    emit("identity", { verified: Boolean(W.identity), identity: W.identity, error: error || null });
  }
  function createConversation() {
    const token = identityToken();
    const body = { metadata: metadata() };
    if (token) body.identity_token = token;
    return http("POST", "/api/conversations", body).then((data) => {
      W.identitySent = token;
      setIdentity(data.identity);
      return data;
    }, (error) => {
      if (!token || !IDENTITY_REFUSED.has(error.code)) throw error;
      setIdentity(null, { code: error.code, message: error.message });
      return http("POST", "/api/conversations", { metadata: metadata() });
    });
  }
  function ensureConversation() {
    if (W.conversation) return Promise.resolve(W.conversation);
    if (!W.creating) {
      W.creating = createConversation().then((data) => {
        W.conversation = { id: data.conversation_id, token: data.token };
        store.set(env.storeKey, W.conversation);
        emit("conversation", { conversation_id: data.conversation_id });
        connect();
        return W.conversation;
      }).finally(() => {
        W.creating = null;
      });
    }
    return W.creating;
  }
  var createTimer;
  function scheduleCreateRetry() {
    W.createFailed = true;
    clearTimeout(createTimer);
    const delay = backoffDelay(socket.attempt, { base: 1e3, jitter: false });
    socket.attempt = Math.min(socket.attempt + 1, MAX_ATTEMPT);
    socket.reconnectAt = Date.now() + delay;
    refreshControls();
    createTimer = setTimeout(() => {
      createTimer = void 0;
      ensureConversation().then(() => {
        W.createFailed = false;
        refreshControls();
      }).catch(() => scheduleCreateRetry());
    }, delay);
  }
  function cancelCreateRetry() {
    clearTimeout(createTimer);
    createTimer = void 0;
  }

  // handover_bridge/static/widget/src/outbox.js
  function saveOutbox() {
    store.set(env.storeKey + ":outbox", W.outbox.map(({ client_msg_id, text, payload }) => ({ client_msg_id, text, payload })));
  }
  function removeFromOutbox(clientMsgId) {
    if (!clientMsgId) return;
    const before = W.outbox.length;
    W.outbox = W.outbox.filter((m) => m.client_msg_id !== clientMsgId);
    if (W.outbox.length !== before) saveOutbox();
  }
  function pendingNode(clientMsgId) {
    return [...ui.log.querySelectorAll(".jl-msg--pending, .jl-msg--failed")].find((n) => n.dataset.clientMsgId === clientMsgId);
  }
  function renderPending(item) {
    const node = el(
      "div",
      { class: "jl-msg jl-msg--customer jl-msg--pending", "data-sender": "customer" },
      el("div", { class: "jl-bubble", text: displayText({ sender: "customer", text: item.text }) }),
      el("div", { class: "jl-meta", text: T.sending })
    );
    node.dataset.clientMsgId = item.client_msg_id;
    ui.log.append(node);
    ui.welcome && W.messages.size && ui.welcome.remove();
    scrollToEnd();
    return node;
  }
  function markFailed(node, item) {
    node.classList.remove("jl-msg--pending");
    node.classList.add("jl-msg--failed");
    node.querySelector(".jl-meta").textContent = item.error ? `${item.error} ${T.sendFailed}` : T.sendFailed;
    node.onclick = () => {
      item.failed = false;
      node.classList.remove("jl-msg--failed");
      node.classList.add("jl-msg--pending");
      node.querySelector(".jl-meta").textContent = T.sending;
      node.onclick = null;
      sendFromOutbox(item);
    };
  }
  function sendFromOutbox(item) {
    if (item.failed) return;
    if (W.state === "bot") {
      W.botTypingUntil = Date.now() + 15e3;
      refreshTyping();
    }
    const frame = { type: "message", text: item.text, client_msg_id: item.client_msg_id };
    if (typeof item.payload === "string") frame.payload = item.payload;
    sendFrame(frame);
  }
  function pressButton(button) {
    const payload = typeof button.payload === "string" && button.payload.startsWith("/") ? button.payload : null;
    return sendText(String(button.title || button.payload), payload ? { payload } : void 0);
  }
  function flushOutbox() {
    W.outbox.forEach(sendFromOutbox);
  }
  function sendTyping() {
    if (W.state !== "assigned" || Date.now() - W.lastTypingSent < 3e3) return;
    if (sendFrame({ type: "typing" })) W.lastTypingSent = Date.now();
  }
  async function cancelWait() {
    if (!sendFrame({ type: "cancel_wait" })) return;
  }
  function sendText(text, options) {
    const said = String(text || "");
    if (!said.trim() || W.expired) return null;
    const item = { client_msg_id: newId(), text: said.slice(0, 2e3) };
    if (isObject(options) && typeof options.payload === "string") item.payload = options.payload.slice(0, 256);
    W.outbox.push(item);
    saveOutbox();
    renderPending(item);
    renderChips();
    if (W.conversation) sendFromOutbox(item);
    else ensureConversation().catch(() => scheduleCreateRetry());
    return item.client_msg_id;
  }
  function requestHuman() {
    emit("handover", { phase: "requested" });
    return sendText(T.human, { payload: "/request_human" });
  }
  function displayText(message) {
    if (message.sender === "customer" && W.buttonTitles.has(message.text)) return W.buttonTitles.get(message.text);
    if (message.sender === "customer" && message.text === "/request_human") return T.human;
    return typeof message.text === "string" ? message.text : "";
  }
  function renderChips() {
    ui.chips.replaceChildren();
    if (W.messages.size || W.outbox.length) return;
    const starters = Array.isArray(W.options.suggestions) ? W.options.suggestions : T.suggestions;
    for (const text of starters.slice(0, 6)) {
      ui.chips.append(el("button", { class: "jl-qr", type: "button", onclick: () => sendText(String(text)) }, String(text)));
    }
  }
  function refreshChips() {
    renderChips();
    const lastCustomer = Math.max(0, ...[...W.messages.values()].filter((m) => m.sender === "customer").map((m) => Number(m.seq)));
    ui.log.querySelectorAll(".jl-msg--bot[data-seq] .jl-buttons .jl-qr").forEach((b) => {
      const seq = Number(b.closest(".jl-msg").dataset.seq);
      b.disabled = seq < lastCustomer;
    });
  }

  // handover_bridge/static/widget/src/ticket.js
  function showTicketForm(focus, seq) {
    if (!["bot", "queued"].includes(W.state) && !focus) return;
    if (!ui.ticket) {
      const message = el("textarea", { rows: "3", maxlength: "2000", placeholder: T.ticketMessage, "aria-label": T.ticketMessage });
      const contact = el("input", {
        type: "text",
        maxlength: "100",
        placeholder: T.ticketContact,
        "aria-label": T.ticketContact,
        autocomplete: "tel"
      });
      const error = el("div", { class: "jl-card-error", role: "alert" });
      const submit = el("button", { class: "jl-primary", type: "submit" }, T.ticketSubmit);
      const lastQuestion = [...W.messages.values()].reverse().find((m) => m.sender === "customer" && !(isObject(m.payload) && m.payload.type === "button") && !String(m.text).startsWith("/") && !/人工/.test(m.text));
      if (lastQuestion) message.value = lastQuestion.text;
      const form = el(
        "form",
        { class: "jl-card jl-ticket" },
        el("h3", { text: T.ticketTitle }),
        el("p", { text: T.ticketHint }),
        message,
        contact,
        error,
        submit
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        error.textContent = "";
        if (!message.value.trim() || !contact.value.trim()) {
          error.textContent = T.ticketMissing;
          return;
        }
        submit.disabled = true;
        submit.textContent = T.ticketSending;
        try {
          await ensureConversation();
          const data = await http(
            "POST",
            `/api/conversations/${encodeURIComponent(W.conversation.id)}/ticket`,
            { message: message.value.trim(), contact: contact.value.trim() }
          );
          submit.textContent = T.ticketDone;
          setState(data.state || "ticket");
          emit("ticket", { ticket: data.ticket });
          setTimeout(removeTicketForm, 600);
        } catch (failure) {
          error.textContent = failure.message || T.errorGeneric;
          submit.disabled = false;
          submit.textContent = T.ticketSubmit;
        }
      });
      ui.ticket = form;
    }
    if (seq) insertAfterSeq(ui.ticket, seq);
    else if (!ui.ticket.isConnected) ui.log.append(ui.ticket);
    if (focus) {
      openPanel();
      ui.ticket.querySelector("textarea").focus();
    }
    scrollToEnd();
  }

  // handover_bridge/static/widget/src/messages.js
  function addMessage(message, replay) {
    const seq = takeBySeq(W, message);
    if (seq === null) return;
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
    emit("message", { message: publicMessage(message), replay: Boolean(replay) });
  }
  function publicMessage(message) {
    const out = { seq: message.seq, sender: message.sender, text: message.text, created_at: message.created_at };
    if (message.payload) out.payload = message.payload;
    if (message.client_msg_id) out.client_msg_id = message.client_msg_id;
    return out;
  }
  function insertBySeq(node, seq) {
    node.dataset.seq = String(seq);
    const numbered = ui.log.querySelectorAll(".jl-msg[data-seq]");
    const last = numbered[numbered.length - 1];
    if (!last || Number(last.dataset.seq) < seq) {
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
  function renderMessage(message) {
    const sender = ["customer", "bot", "agent", "system"].includes(message.sender) ? message.sender : "system";
    const payload = isObject(message.payload) ? message.payload : {};
    const text = displayText(message);
    const node = el("div", { class: `jl-msg jl-msg--${sender}`, "data-sender": sender });
    if (sender === "system") {
      node.classList.add("jl-msg--" + (payload.type === "agent_joined" ? "joined" : payload.type || "note"));
      if (payload.type) node.dataset.payload = String(payload.type);
      if (text) node.append(el("div", { class: "jl-note", text }));
      else node.classList.add("jl-msg--hidden");
      if (payload.type === "queue") {
        ui.log.querySelectorAll('.jl-msg[data-payload="queue"]').forEach((n) => n.classList.add("jl-msg--stale"));
      }
      return node;
    }
    if (sender === "bot") node.append(el("div", { class: "jl-who", text: T.botName }));
    if (sender === "agent") {
      const name = isObject(payload.agent) && payload.agent.display_name || W.agent && W.agent.display_name || "";
      node.append(el("div", { class: "jl-who", text: name ? T.agentLabel(name) : "人工客服" }));
    }
    if (text) node.append(el("div", { class: "jl-bubble", text }));
    if (isObject(payload) && typeof payload.image === "string" && /^https:\/\//.test(payload.image)) {
      node.append(el("img", { class: "jl-image", src: payload.image, alt: "" }));
    }
    if (!text && !node.querySelector("img")) node.classList.add("jl-msg--hidden");
    const buttons = Array.isArray(payload.buttons) ? payload.buttons.filter((b) => isObject(b) && b.title) : [];
    if (sender === "bot" && buttons.length) {
      if (isRatingButtons(buttons)) node.append(ratingCard(Number(message.seq), buttons));
      else {
        node.append(el("div", { class: "jl-buttons" }, buttons.slice(0, 12).map((b) => el("button", {
          class: "jl-qr",
          type: "button",
          "data-payload": String(b.payload || b.title),
          onclick: () => pressButton(b)
        }, String(b.title)))));
      }
    }
    node.append(el("div", { class: "jl-meta", text: clock(message.created_at) }));
    return node;
  }
  function isRatingButtons(buttons) {
    if (buttons.length < 3 || buttons.length > 5) return false;
    return buttons.every((b) => RATING_PAYLOAD.test(String(b.payload || ""))) || buttons.every((b, i) => String(b.title).trim().replace(/分|星/, "") === String(i + 1));
  }
  function onPayload(message, payload, replay) {
    const type = payload.type;
    if (message.sender !== "system" || !type) return;
    const seq = Number(message.seq);
    if (type === "queue") {
      if (W.state === "queued" || !W.queue) setQueue({ position: payload.position, eta_seconds: payload.eta_seconds }, true);
    } else if (type === "agent_joined" && isObject(payload.agent)) {
      removeTicketForm();
      setAgent(payload.agent);
      if (!replay) emit("handover", { phase: "agent_joined", agent: { display_name: payload.agent.display_name } });
    } else if (type === "ticket_offer") {
      if (seq === lastSeqOf("ticket_offer") && ["bot", "queued"].includes(W.state)) showTicketForm(false, seq);
    } else if (type === "rating_request") {
      const card = ratingCard(seq, null);
      insertAfterSeq(card, seq);
    } else if (type === "rating_received") {
      disableRatings(Number(payload.score));
    } else if (type === "closed") {
      removeTicketForm();
      if (!replay) emit("handover", { phase: "ended", return_to_bot: payload.return_to_bot !== false });
    } else if (type === "ticket") {
      removeTicketForm();
      emit("ticket", { ticket_id: payload.ticket_id });
    }
  }
  function lastSeqOf(type) {
    let last = 0;
    for (const [seq, m] of W.messages) if (isObject(m.payload) && m.payload.type === type && seq > last) last = seq;
    return last;
  }
  function ratingCard(seq, buttons) {
    const label = el("div", { class: "jl-stars-label" });
    const done = [...W.messages.values()].some((m) => isObject(m.payload) && m.payload.type === "rating_received" && Number(m.seq) > seq);
    const stars = [1, 2, 3, 4, 5].map((n) => el("button", {
      class: "jl-star",
      type: "button",
      "data-score": String(n),
      "aria-label": `${n} 分 ${T.ratingLabels[n - 1]}`,
      title: T.ratingLabels[n - 1],
      disabled: done,
      onmouseenter: () => {
        label.textContent = T.ratingLabels[n - 1];
      },
      onclick: () => rate(n, card, buttons)
    }, String(n)));
    const card = el(
      "div",
      { class: "jl-card jl-rating", "data-for-seq": String(seq) },
      el("h3", { text: T.ratingTitle }),
      el("div", { class: "jl-stars", role: "group", "aria-label": T.ratingTitle }, stars),
      label
    );
    return card;
  }
  async function rate(score, card, buttons) {
    card.querySelectorAll(".jl-star").forEach((b) => {
      b.disabled = true;
      b.setAttribute("aria-pressed", String(Number(b.dataset.score) <= score));
    });
    card.querySelector(".jl-stars-label").textContent = T.ratingThanks(score);
    emit("rating", { score });
    try {
      await ensureConversation();
      const data = await http("POST", `/api/conversations/${encodeURIComponent(W.conversation.id)}/rating`, { score });
      (data && Array.isArray(data.messages) ? data.messages : []).forEach((m) => addMessage(m, false));
    } catch (_) {
    }
    if (buttons) {
      const chosen = buttons[score - 1];
      if (chosen && chosen.payload) pressButton(chosen);
    }
  }
  function disableRatings(score) {
    ui.log.querySelectorAll(".jl-rating .jl-star").forEach((b) => {
      b.disabled = true;
      if (score) b.setAttribute("aria-pressed", String(Number(b.dataset.score) <= score));
    });
  }

  // handover_bridge/static/widget/src/session.js
  var socketHandlers = {
    onOpen: (sock) => {
      W.dropped = false;
      W.replaying = true;
      sock.send({ type: "hello", last_seq: W.maxSeq });
      setOnline(true);
      flushOutbox();
    },
    onFrame: (frame) => onFrame(frame),
    onClose: ({ failures }) => {
      W.dropped = true;
      setOnline(false);
      if (failures === 1 || failures >= 3) checkConversation();
    },
    onSchedule: () => refreshControls()
  };
  async function checkConversation() {
    if (!W.conversation) return;
    try {
      await http("GET", `/api/conversations/${encodeURIComponent(W.conversation.id)}`);
    } catch (error) {
      if (error.code === "conversation_expired") expire();
      else if (error.status === 401 || error.status === 404) reset(false);
    }
  }
  function expire() {
    if (W.expired) return;
    W.expired = true;
    socket.close();
    setOnline(false);
    refreshControls();
    emit("expired", { conversation_id: W.conversation ? W.conversation.id : null });
  }
  function reconnectNow() {
    if (!W.conversation && W.createFailed && W.outbox.length) {
      cancelCreateRetry();
      ensureConversation().then(() => {
        W.createFailed = false;
        refreshControls();
      }).catch(() => scheduleCreateRetry());
      return;
    }
    if (!W.conversation) return;
    socket.reconnectNow();
  }
  function setOnline(online) {
    if (W.online === online) return;
    W.online = online;
    ui.root.dataset.online = String(online);
    refreshControls();
    emit("connection", { online });
  }
  function onFrame(frame) {
    switch (frame.type) {
      case "message":
        addMessage(
          /** @type {any} */
          frame,
          W.replaying
        );
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
          W.agentTypingUntil = Date.now() + 5e3;
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
  function onAck(frame) {
    removeFromOutbox(frame.client_msg_id);
    W.botTypingUntil = 0;
    refreshTyping();
    if (frame.state) setState(frame.state);
  }
  function onError(frame) {
    emit("error", { code: frame.code, message: frame.message });
    if (frame.code === "conversation_expired") {
      expire();
      return;
    }
    const item = W.outbox.find((m) => m.client_msg_id === frame.client_msg_id);
    if (!item) return;
    W.botTypingUntil = 0;
    refreshTyping();
    if (frame.code === "rate_limited") {
      setTimeout(() => sendFromOutbox(item), 2e3);
      return;
    }
    item.failed = true;
    item.error = frame.message;
    saveOutbox();
    const node = pendingNode(item.client_msg_id);
    if (node) markFailed(node, item);
  }
  function syncIdentity() {
    const token = identityToken();
    if (!token || !W.conversation || token === W.identitySent) return;
    W.identitySent = token;
    login(token).catch(() => {
    });
  }
  function login(token) {
    W.options = { ...W.options, identityToken: typeof token === "string" && token ? token : null };
    W.identitySent = W.options.identityToken;
    if (!W.conversation || !W.options.identityToken) return Promise.resolve(null);
    return http(
      "POST",
      `/api/conversations/${encodeURIComponent(W.conversation.id)}/identity`,
      { identity_token: W.options.identityToken }
    ).then(
      (data) => {
        setIdentity(data.identity);
        return W.identity;
      },
      (error) => {
        emit("identity", { verified: Boolean(W.identity), identity: W.identity, error: { code: error.code, message: error.message } });
        if (error.code !== "identity_mismatch") throw error;
        reset(W.open);
        return null;
      }
    );
  }
  function reset(open) {
    socket.close();
    cancelCreateRetry();
    store.remove(env.storeKey);
    store.remove(env.storeKey + ":outbox");
    store.remove(env.storeKey + ":seen");
    Object.assign(W, {
      conversation: null,
      state: "bot",
      agent: null,
      online: false,
      maxSeq: 0,
      outbox: [],
      queue: null,
      unread: 0,
      seenSeq: 0,
      createFailed: false,
      replaying: false,
      expired: false
    });
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
    emit("state", { state: "bot", previous: null, agent: null });
    if (open) openPanel();
  }

  // handover_bridge/static/widget/src/styles.js
  var CSS = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
.jl { --jl-brand: #ff5000; --jl-brand-dark: #e04400; --jl-agent: #1f7ae0; --jl-bg: #f5f6f8;
--jl-text: #1f2329; --jl-muted: #8a8f99; position: fixed; z-index: 2147483000; right: 20px; bottom: 20px;
font: 14px/1.5 -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; color: var(--jl-text); }
.jl.jl--left { right: auto; left: 20px; }
button, input, textarea { font: inherit; color: inherit; }
button { cursor: pointer; }
button:disabled { cursor: not-allowed; opacity: .55; }
:focus-visible { outline: 2px solid var(--jl-agent); outline-offset: 2px; }
.jl-launcher { display: flex; align-items: center; gap: 8px; border: 0; border-radius: 28px;
padding: 12px 20px 12px 16px; background: var(--jl-brand); color: #fff; font-size: 15px; font-weight: 600;
box-shadow: 0 6px 20px rgba(255, 80, 0, .35); position: relative; }
.jl-launcher:hover { background: var(--jl-brand-dark); }
.jl-launcher svg { width: 22px; height: 22px; fill: currentColor; }
.jl-badge { position: absolute; top: -6px; right: -6px; min-width: 20px; height: 20px; padding: 0 6px;
border-radius: 10px; background: #f5222d; color: #fff; font-size: 12px; line-height: 20px; text-align: center;
box-shadow: 0 0 0 2px #fff; }
.jl--open .jl-launcher { display: none; }
.jl-panel { display: none; flex-direction: column; width: 380px; height: min(640px, calc(100vh - 40px));
background: var(--jl-bg); border-radius: 14px; overflow: hidden; box-shadow: 0 12px 40px rgba(0, 0, 0, .22); }
.jl--open .jl-panel { display: flex; }
.jl-header { display: flex; align-items: center; gap: 10px; padding: 12px 12px 12px 14px;
background: linear-gradient(135deg, #ff7a1a, var(--jl-brand)); color: #fff; flex: none; }
.jl[data-state="assigned"] .jl-header { background: linear-gradient(135deg, #3b8ff0, var(--jl-agent)); }
.jl-avatar { width: 36px; height: 36px; border-radius: 50%; background: rgba(255, 255, 255, .22);
display: grid; place-items: center; font-weight: 700; flex: none; }
.jl-heading { flex: 1; min-width: 0; }
.jl-title { font-size: 16px; font-weight: 600; }
.jl-subtitle { font-size: 12px; opacity: .9; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.jl-close { border: 0; background: transparent; color: #fff; width: 36px; height: 36px; border-radius: 8px;
font-size: 22px; line-height: 1; }
.jl-close:hover { background: rgba(255, 255, 255, .18); }
.jl-banner { flex: none; padding: 8px 12px; font-size: 13px; display: flex; align-items: center; gap: 8px;
flex-wrap: wrap; }
.jl-banner[hidden] { display: none; }
.jl-offline { background: #fff1f0; color: #a8071a; border-bottom: 1px solid #ffccc7; }
.jl-queue { background: #fff7e6; color: #873800; border-bottom: 1px solid #ffd591; }
.jl-queue-text { flex: 1 1 200px; font-weight: 600; }
.jl-ended { background: #f0f5ff; color: #10239e; border-bottom: 1px solid #adc6ff; }
.jl-link { border: 1px solid currentColor; background: #fff; border-radius: 14px; padding: 2px 10px;
font-size: 12px; color: inherit; }
.jl-log { flex: 1; overflow-y: auto; padding: 12px 12px 4px; overscroll-behavior: contain; }
.jl-msg { display: flex; flex-direction: column; margin: 0 0 12px; max-width: 100%; }
.jl-msg--hidden, .jl-msg--stale { display: none; }
.jl-who { font-size: 12px; color: var(--jl-muted); margin: 0 4px 2px; }
.jl-bubble { max-width: 82%; padding: 9px 12px; border-radius: 12px; white-space: pre-wrap;
word-break: break-word; overflow-wrap: anywhere; background: #fff; box-shadow: 0 1px 2px rgba(0, 0, 0, .06); }
.jl-msg--customer { align-items: flex-end; }
.jl-msg--customer .jl-bubble { background: var(--jl-brand); color: #fff; border-bottom-right-radius: 4px; }
.jl-msg--bot .jl-bubble { border-bottom-left-radius: 4px; }
.jl-msg--agent .jl-bubble { background: #e8f3ff; color: #0b3a75; border: 1px solid #b7d7ff;
border-bottom-left-radius: 4px; }
.jl-msg--agent .jl-who { color: var(--jl-agent); font-weight: 600; }
.jl-msg--system { align-items: center; }
.jl-note { max-width: 90%; font-size: 12px; color: #5c6370; background: #e9ebef; border-radius: 10px;
padding: 4px 10px; text-align: center; white-space: pre-wrap; word-break: break-word; }
.jl-msg--joined .jl-note { background: #e6f4ff; color: #0958d9; font-weight: 600; }
.jl-msg--queue .jl-note { background: #fff7e6; color: #873800; }
.jl-msg--pending .jl-bubble { opacity: .65; }
.jl-msg--failed .jl-bubble { background: #fff; color: #a8071a; border: 1px solid #ffa39e; cursor: pointer; }
.jl-meta { font-size: 11px; color: var(--jl-muted); margin: 2px 4px 0; }
.jl-buttons { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; max-width: 90%; }
.jl-qr { border: 1px solid var(--jl-brand); color: var(--jl-brand); background: #fff; border-radius: 16px;
padding: 4px 12px; font-size: 13px; }
.jl-qr:hover:not(:disabled) { background: #fff2e8; }
.jl-card { width: 90%; align-self: center; background: #fff; border-radius: 12px; padding: 12px;
box-shadow: 0 1px 3px rgba(0, 0, 0, .08); margin: 4px 0 12px; }
.jl-card h3 { margin: 0 0 4px; font-size: 14px; }
.jl-card p { margin: 0 0 8px; font-size: 12px; color: var(--jl-muted); }
.jl-card textarea, .jl-card input { width: 100%; border: 1px solid #d9dce1; border-radius: 8px; padding: 6px 8px;
margin: 0 0 8px; background: #fff; resize: vertical; }
.jl-card .jl-primary { width: 100%; }
.jl-card-error { color: #a8071a; font-size: 12px; margin: 0 0 6px; }
.jl-stars { display: flex; gap: 6px; justify-content: center; margin: 6px 0 2px; }
.jl-star { border: 1px solid #ffd591; background: #fffbe6; color: #d48806; border-radius: 8px; min-width: 44px;
height: 44px; font-size: 16px; font-weight: 700; }
.jl-star[aria-pressed="true"], .jl-star:hover:not(:disabled) { background: #faad14; color: #fff; }
.jl-stars-label { text-align: center; font-size: 12px; color: var(--jl-muted); min-height: 18px; }
.jl-typing { flex: none; padding: 0 16px 6px; font-size: 12px; color: var(--jl-muted); }
.jl-typing[hidden] { display: none; }
.jl-dots span { display: inline-block; width: 5px; height: 5px; margin: 0 1px 1px; border-radius: 50%;
background: var(--jl-muted); animation: jl-blink 1.2s infinite both; }
.jl-dots span:nth-child(2) { animation-delay: .2s; }
.jl-dots span:nth-child(3) { animation-delay: .4s; }
@keyframes jl-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
.jl-bar { flex: none; display: flex; gap: 6px; padding: 6px 10px 0; overflow-x: auto; scrollbar-width: none; }
.jl-bar::-webkit-scrollbar { display: none; }
.jl-bar .jl-qr { flex: none; }
.jl-chips { display: contents; }
.jl-image { max-width: 70%; border-radius: 8px; margin-top: 4px; }
.jl-human { flex: none; border: 0; background: var(--jl-agent); color: #fff; border-radius: 16px;
padding: 4px 12px; font-size: 13px; font-weight: 600; }
.jl-composer { flex: none; display: flex; gap: 8px; align-items: flex-end; padding: 8px 10px 10px; }
.jl-input { flex: 1; min-height: 40px; max-height: 120px; resize: none; border: 1px solid #d9dce1;
border-radius: 20px; padding: 9px 14px; background: #fff; line-height: 20px; }
.jl-input:disabled { background: #eceef1; }
.jl-primary { border: 0; background: var(--jl-brand); color: #fff; border-radius: 20px; height: 40px;
padding: 0 18px; font-weight: 600; flex: none; }
.jl-primary:hover:not(:disabled) { background: var(--jl-brand-dark); }
@media (max-width: 480px) {
.jl { right: 12px; bottom: 12px; }
.jl.jl--left { left: 12px; }
.jl--open { inset: 0; right: 0; bottom: 0; }
.jl-panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; }
.jl-bubble { max-width: 86%; }
.jl-card { width: 100%; }
}
@media (prefers-reduced-motion: reduce) { .jl-dots span { animation: none; } }
`;

  // handover_bridge/static/widget/src/mount.js
  function mount() {
    if (W.mounted) return;
    W.mounted = true;
    ui.host = el("div", { id: "jieli-widget", "data-jieli": VERSION });
    const shadow = ui.host.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.append(el("style", { text: CSS }));
    }
    ui.badge = el("span", { class: "jl-badge", hidden: true, "aria-hidden": "true" });
    ui.launcher = el("button", {
      class: "jl-launcher",
      type: "button",
      "aria-label": T.launcherOpen,
      onclick: () => openPanel()
    }, chatIcon(), el("span", { text: T.launcher }), ui.badge);
    ui.title = el("div", { class: "jl-title", text: W.options.title || T.title });
    ui.subtitle = el("div", { class: "jl-subtitle", text: T.subtitleBot });
    ui.avatar = el("div", { class: "jl-avatar", "aria-hidden": "true", text: "接" });
    ui.close = el("button", {
      class: "jl-close",
      type: "button",
      "aria-label": T.closePanel,
      title: T.closePanel,
      onclick: () => closePanel()
    }, "×");
    const header = el(
      "header",
      { class: "jl-header" },
      ui.avatar,
      el("div", { class: "jl-heading" }, ui.title, ui.subtitle),
      ui.close
    );
    ui.offlineText = el("span", { text: T.offline });
    ui.offline = el(
      "div",
      { class: "jl-banner jl-offline", role: "status", hidden: true },
      ui.offlineText,
      el("button", { class: "jl-link", type: "button", onclick: () => reconnectNow() }, T.reconnectNow)
    );
    ui.queueText = el("span", { class: "jl-queue-text" });
    ui.queue = el(
      "div",
      { class: "jl-banner jl-queue", role: "status", "aria-live": "polite", hidden: true },
      ui.queueText,
      el("button", { class: "jl-link jl-cancel-wait", type: "button", onclick: () => cancelWait() }, T.cancelWait),
      el("button", { class: "jl-link jl-leave", type: "button", onclick: () => showTicketForm(true) }, T.leaveMessage)
    );
    ui.endedText = el("span", { class: "jl-queue-text" });
    ui.ended = el(
      "div",
      { class: "jl-banner jl-ended", role: "status", hidden: true },
      ui.endedText,
      el("button", { class: "jl-link jl-restart", type: "button", onclick: () => reset(true) }, T.restart)
    );
    ui.log = el("div", { class: "jl-log", role: "log", "aria-live": "polite", "aria-label": "聊天记录" });
    ui.typingText = el("span");
    ui.typing = el(
      "div",
      { class: "jl-typing", hidden: true, "aria-live": "polite" },
      ui.typingText,
      " ",
      el("span", { class: "jl-dots", "aria-hidden": "true" }, el("span"), el("span"), el("span"))
    );
    ui.human = el("button", { class: "jl-human", type: "button", onclick: () => requestHuman() }, T.human);
    ui.chips = el("span", { class: "jl-chips" });
    ui.bar = el("div", { class: "jl-bar" }, ui.human, ui.chips);
    ui.input = el("textarea", {
      class: "jl-input",
      rows: "1",
      maxlength: "2000",
      "aria-label": "输入消息",
      placeholder: T.placeholder
    });
    ui.send = el("button", { class: "jl-primary jl-send", type: "submit" }, T.send);
    ui.composer = el("form", { class: "jl-composer" }, ui.input, ui.send);
    ui.panel = el(
      "section",
      { class: "jl-panel", role: "dialog", "aria-label": W.options.title || T.title },
      header,
      ui.offline,
      ui.queue,
      ui.ended,
      ui.log,
      ui.typing,
      ui.bar,
      ui.composer
    );
    ui.root = el("div", {
      class: "jl" + (W.options.position === "left" ? " jl--left" : ""),
      "data-state": "bot",
      "data-online": "false"
    }, ui.launcher, ui.panel);
    if (W.options.color) ui.root.style.setProperty("--jl-brand", String(W.options.color));
    if (W.options.zIndex) ui.root.style.zIndex = String(Number(W.options.zIndex) || 2147483e3);
    shadow.append(ui.root);
    document.body.append(ui.host);
    ui.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      submitInput();
    });
    ui.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submitInput();
      } else if (event.key === "Escape") {
        closePanel();
      }
    });
    ui.input.addEventListener("input", () => {
      autosize();
      sendTyping();
    });
    window.addEventListener("online", () => reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && W.conversation && !W.online) reconnectNow();
    });
    setInterval(tick, 1e3);
    renderWelcome();
    renderChips();
    const saved = store.get(env.storeKey, null);
    if (saved && typeof saved.id === "string" && typeof saved.token === "string") {
      W.conversation = { id: saved.id, token: saved.token };
      W.outbox = store.get(env.storeKey + ":outbox", []).filter((m) => m && m.client_msg_id && m.text);
      W.outbox.forEach(renderPending);
      connect();
      syncIdentity();
    }
    refreshControls();
    if (W.options.open || store.get(env.storeKey + ":open", false)) openPanel();
    emit("ready", { conversation_id: W.conversation && W.conversation.id, state: W.state, version: VERSION });
  }
  function submitInput() {
    const text = ui.input.value;
    if (!text.trim() || ui.input.disabled) return;
    ui.input.value = "";
    autosize();
    sendText(text);
  }

  // handover_bridge/static/widget/src/api.js
  var api = {
    version: VERSION,
    /**
     * Shop metadata (customer, order, page …) and appearance. Call once, before or after load.
     * @param {Object<string, any>} [options]
     */
    init(options) {
      W.options = { ...W.options, ...isObject(options) ? options : {} };
      if (W.mounted) {
        syncIdentity();
        if (W.options.title) ui.title.textContent = W.options.title;
        if (W.options.color) ui.root.style.setProperty("--jl-brand", String(W.options.color));
        if (W.options.open) api.open();
      } else if (document.body) {
        mount();
      }
      return api;
    },
    open() {
      if (!W.mounted) mount();
      openPanel();
    },
    close() {
      closePanel();
    },
    toggle() {
      return W.open ? api.close() : api.open();
    },
    /**
     * Send a message as the customer; `options.payload`: the button payload ("/intent{…}") it
     * stands for. Retry-safe: one client_msg_id each.
     * @param {unknown} text
     * @param {{payload?: unknown}} [options]
     */
    send(text, options) {
      if (!W.mounted) mount();
      return sendText(text, options);
    },
    /** The 转人工 button. */
    requestHuman() {
      emit("handover", { phase: "requested" });
      return api.send(T.human, { payload: "/request_human" });
    },
    /**
     * The shop's signed identity token for the logged-in customer (docs/security.md): a running
     * conversation is logged in at once, a new one starts with it. Resolves to the verified
     * identity (null until a conversation exists); rejects with {code, message} when refused.
     * @param {unknown} token
     */
    login(token) {
      return login(token);
    },
    /**
     * The customer logged out of the shop: forget the token and start a new, anonymous conversation.
     * @param {boolean} [open]
     */
    logout(open) {
      W.options = { ...W.options, identityToken: null };
      W.identity = null;
      api.reset(open);
    },
    /**
     * Forget the stored conversation (the next message starts a new one).
     * @param {boolean} [open]
     */
    reset(open) {
      reset(false);
      if (open) api.open();
    },
    get conversationId() {
      return W.conversation ? W.conversation.id : null;
    },
    get identity() {
      return W.identity || null;
    },
    get state() {
      return W.state;
    },
    get online() {
      return W.online;
    }
  };

  // handover_bridge/static/widget/src/index.js
  var global = (
    /** @type {Window & {Jieli?: typeof api}} */
    window
  );
  if (!(global.Jieli && global.Jieli.version)) {
    configure(
      /** @type {HTMLScriptElement | null} */
      document.currentScript
    );
    wireConnection(socketHandlers);
    try {
      Object.defineProperty(window, "Jieli", { value: Object.freeze(api), writable: false, configurable: false, enumerable: true });
    } catch (_) {
      global.Jieli = api;
    }
    W.seenSeq = store.get(env.storeKey + ":seen", 0);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => setTimeout(mount, 0));
    else setTimeout(mount, 0);
  }
})();
