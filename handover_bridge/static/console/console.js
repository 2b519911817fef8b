// Jieli agent console: login, presence, the queue, several chats at once, the handover card,
// the full transcript, replies (canned ones too), transfer, close, tickets and agent protection.
// Plain JavaScript modules, no framework. Every text from a customer, the bot or an agent is
// rendered with textContent (see dom.js): an HTML or script payload shows up literally.
import {$, $$, clock, dateTime, duration, h, isObject, newId, show} from "./dom.js";
import {abusiveChatsToday, countAbusiveChat, flaggedTexts, hasProfanity, isAbusive} from "./protect.js";
import {DEFAULT_CANNED, loadCanned, resetCanned, saveCanned} from "./canned.js";
import {createApi, forgetToken, resume, showLogin, toast, wireLogin, wireLogout} from "./session.js";
import {categoryLabel as contractCategoryLabel, loadContract, reasonLabel as contractReasonLabel, stateLabel} from "./contract.js";
import {claimRows, frustrationOf, plain, reasonChips, signalChips} from "./handover_card.js";

await loadContract();   // the labels of states, reasons, signals and levels (GET /api/contract)

const SOUND_KEY = "jieli-console:sound";
const BASE_TITLE = document.title;
const HEARTBEAT_MS = 15000;

const PRIORITIES = ["低", "普通", "高", "紧急"];
// Who the customer is: only the identity record the bridge stored after checking the shop's signature
// (the conversation's metadata.identity as the bridge API gives it, never the action's copy) is shown as
// identity; everything else the widget sent is what the customer's browser claims ("顾客自述").
const IDENTITY_KEYS = new Set(["identity", "jieli_identity"]);
const TICKET_STATUS = {open: "待处理", answered: "已回复", closed: "已关闭"};

const S = {
  token: null,
  me: null,
  ws: null,
  online: false,
  attempt: 0,
  failures: 0,
  reconnectTimer: null,
  heartbeat: null,
  queue: [],
  queueAt: 0,
  knownQueue: null,           // ids seen in the queue (null until the first load)
  chats: new Map(),           // conversation id → chat
  active: null,               // conversation id shown in the chat view
  preview: null,              // a queued conversation shown read-only
  view: "queue",
  tickets: [],
  audio: null,
  sound: localStorage.getItem(SOUND_KEY) !== "off",
  alerts: 0,
  lastTyping: 0,
  queueTimer: null,
  canned: loadCanned(),
  accepting: new Set(),       // conversations this console is accepting right now (no "new chat" alert)
};

const api = createApi({getToken: () => S.token, onUnauthorized: () => signedOut()});

// ---- login -------------------------------------------------------------------------------------
wireLogin({
  api,
  beforeSubmit: ensureAudio,
  onLogin: async (data) => {
    S.token = data.token;
    const presence = await api("POST", "/presence", {presence: "online"});
    start(presence.agent || data.agent);
  },
});

function signedOut() {
  S.token = null;
  forgetToken();
  closeSocket();
  S.chats.clear();
  S.active = null;
  showLogin();
}

wireLogout({api, onSignedOut: signedOut,
  farewell: async () => { await api("POST", "/presence", {presence: "offline"}); await api("POST", "/logout"); }});

// ---- start -------------------------------------------------------------------------------------
function start(agent) {
  S.me = agent;
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#me-name").textContent = `${agent.display_name}（${agent.username}）`;
  const roles = Array.isArray(agent.roles) ? agent.roles : [];
  $("#review-link").hidden = !roles.includes("designer");      // the designer's review queue
  $("#dashboard-link").hidden = !roles.includes("lead");       // the support lead's dashboard
  $("#presence").value = agent.presence || "online";
  $("#presence").dataset.presence = agent.presence || "online";
  refreshAbuseCount();
  renderCanned();
  refreshSound();
  showView("queue");
  connect();
  refreshQueue();
  refreshTickets();
}

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

function ensureAudio() {
  if (S.audio) {
    if (S.audio.state === "suspended") S.audio.resume().catch(() => {});
    return;
  }
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try { S.audio = new Context(); } catch (_) { S.audio = null; }
}

function beep() {
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

function refreshSound() {
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

function notify(text) {
  S.alerts += 1;
  document.body.dataset.alerts = String(S.alerts);
  document.title = `【${text}】${BASE_TITLE}`;
  beep();
}

function clearTitle() {
  if (document.title !== BASE_TITLE) document.title = BASE_TITLE;
}

for (const type of ["pointerdown", "keydown"]) {
  document.addEventListener(type, () => { ensureAudio(); clearTitle(); }, {capture: true});
}
window.addEventListener("focus", clearTitle);

function refreshAbuseCount() {
  if (!S.me) return;
  const n = abusiveChatsToday(S.me.username);
  const box = $("#abuse-count");
  box.textContent = `今日不当言辞会话 ${n}`;
  box.dataset.count = String(n);
}

// ---- the socket --------------------------------------------------------------------------------
function connect() {
  if (!S.token || S.ws) return;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/agent?token=${encodeURIComponent(S.token)}`;
  let opened = false;
  const ws = new WebSocket(url);
  S.ws = ws;
  ws.onopen = () => {
    opened = true;
    S.attempt = 0;
    S.failures = 0;
    setOnline(true);
    ws.send(JSON.stringify({type: "hello"}));
    clearInterval(S.heartbeat);
    S.heartbeat = setInterval(() => send({type: "heartbeat"}), HEARTBEAT_MS);
  };
  ws.onmessage = (event) => {
    let frame;
    try { frame = JSON.parse(event.data); } catch (_) { return; }
    if (frame && typeof frame.type === "string") onFrame(frame);
  };
  ws.onclose = () => {
    if (S.ws !== ws) return;
    S.ws = null;
    clearInterval(S.heartbeat);
    setOnline(false);
    if (!opened) S.failures += 1;
    if (S.failures && S.failures % 3 === 0) api("GET", "/me").catch(() => {});   // 401 → back to login
    if (S.token) scheduleReconnect();
  };
  ws.onerror = () => { /* a close follows */ };
}

function closeSocket() {
  clearTimeout(S.reconnectTimer);
  clearInterval(S.heartbeat);
  if (S.ws) { const ws = S.ws; S.ws = null; try { ws.close(); } catch (_) { /* ignore */ } }
  setOnline(false);
}

function scheduleReconnect() {
  clearTimeout(S.reconnectTimer);
  const delay = Math.round(Math.min(15000, 500 * 2 ** S.attempt) * (0.8 + Math.random() * 0.4));
  S.attempt = Math.min(S.attempt + 1, 8);
  S.reconnectTimer = setTimeout(connect, delay);
}

function send(frame) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) {
    S.ws.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function setOnline(online) {
  S.online = online;
  const box = $("#conn");
  box.dataset.online = String(online);
  box.textContent = online ? "已连接" : "连接已断开，正在重连…";
  refreshComposer();
}

window.addEventListener("online", () => { if (!S.ws && S.token) { S.attempt = 0; connect(); } });

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

// ---- the queue ---------------------------------------------------------------------------------
function scheduleQueueRefresh() {
  clearTimeout(S.queueTimer);
  S.queueTimer = setTimeout(refreshQueue, 150);
}

async function refreshQueue() {
  try {
    const data = await api("GET", "/queue");
    setQueue(Array.isArray(data.items) ? data.items : []);
  } catch (_) { /* offline: the socket's snapshot will bring it */ }
}

function setQueue(items) {
  S.queue = items.filter((i) => isObject(i) && i.conversation_id);
  S.queueAt = Date.now();
  const ids = new Set(S.queue.map((i) => i.conversation_id));
  if (S.knownQueue !== null) {
    const fresh = S.queue.filter((i) => !S.knownQueue.has(i.conversation_id));
    if (fresh.length) notify(`新会话 ${fresh.length}`);
  }
  S.knownQueue = new Set([...(S.knownQueue || []), ...ids]);
  renderQueue();
}

function priorityLabel(priority) {
  const n = Number(priority);
  if (!Number.isFinite(n)) return null;
  return `P${n} ${PRIORITIES[Math.min(Math.max(n, 0), 3)]}`;
}

function categoryLabel(category) {
  if (!category) return null;
  return contractCategoryLabel(category);   // the bridge stores 物流 / 售后 / 账单 / 产品 / 其他 (aliases mapped)
}

function reasonLabel(reason) {
  return contractReasonLabel(reason);
}

function verifiedIdentity(bridgeMetadata) {
  const record = isObject(bridgeMetadata) ? bridgeMetadata.identity : null;
  return isObject(record) && record.verified === true && typeof record.customer_id === "string" ? record : null;
}

function claimsOf(meta) {
  return Object.fromEntries(Object.entries(meta).filter(([key]) => !IDENTITY_KEYS.has(key)));
}

function identityLine(ident) {
  return [ident.name, ident.customer_id, ident.tier ? String(ident.tier).toUpperCase() : null]
    .filter(Boolean).map((v) => show(v, 40)).join(" · ");
}

function badges(source) {
  const list = [];
  const p = priorityLabel(source.priority);
  if (p) list.push(h("span", {class: `badge prio prio-${Math.min(3, Math.max(0, Number(source.priority) || 0))}`, text: p}));
  const c = categoryLabel(source.category);
  if (c) list.push(h("span", {class: "badge cat", text: c}));
  const r = reasonLabel(source.reason);
  if (r) list.push(h("span", {class: `badge reason reason-${String(source.reason).replace(/[^a-z_]/gi, "")}`, text: r}));
  if (source.front) list.push(h("span", {class: "badge front", text: "优先"}));
  const tier = source.tier;
  if (tier) list.push(h("span", {class: "badge tier", text: String(tier).toUpperCase()}));
  return list;
}

function renderQueue() {
  const list = $("#queue-list");
  $("#queue-count").textContent = String(S.queue.length);
  $("#queue-empty").hidden = S.queue.length > 0;
  list.replaceChildren(...S.queue.map((item) => {
    const ho = isObject(item.handover) ? item.handover : {};
    const ctx = isObject(ho.context) ? ho.context : {};
    const meta = claimsOf({...(isObject(ctx.metadata) ? ctx.metadata : {}), ...(isObject(item.metadata) ? item.metadata : {})});
    const ident = verifiedIdentity(item.metadata);
    const summary = firstText(ho.summary, ctx.summary);
    const orders = orderNumbers(ctx, meta);
    const level = frustrationOf(ctx);
    return h("li", {class: "q-item", dataset: {conversationId: item.conversation_id}},
      h("div", {class: "q-top"},
        badges({priority: item.priority ?? ho.priority, category: item.category ?? ho.category,
          reason: item.reason ?? ho.reason, front: item.front, tier: ident && ident.tier}),
        level ? h("span", {class: `badge mood mood-${level.key}`, text: `情绪 ${level.label}`}) : null,
        h("span", {class: "waited", dataset: {waited: Number(item.waited_seconds) || 0}},
          `已等待 ${duration(item.waited_seconds)}`)),
      summary ? h("p", {class: "q-summary"}, maskedText(summary, hasProfanity(summary))) : h("p", {class: "q-summary muted", text: "（没有摘要）"}),
      h("div", {class: "q-meta"},
        orders.length ? h("span", {class: "q-orders"}, "订单号 ", orders.map((o) => h("b", {class: "order-no", text: o}))) : null,
        ident ? h("span", {class: "q-identity verified", text: `已验证 ${identityLine(ident)}`})
          : meta.customer_id ? h("span", {class: "q-identity claimed", text: `顾客自述 ${show(meta.customer_id, 40)}`}) : null,
        item.position ? h("span", {text: `第 ${item.position} 位`}) : null),
      h("div", {class: "q-actions"},
        h("button", {class: "btn small q-preview", type: "button", onclick: () => openPreview(item.conversation_id)}, "查看"),
        h("button", {class: "btn small primary q-accept", type: "button", onclick: (e) => accept(item.conversation_id, e.target)}, "接入")));
  }));
}

function tickWaits() {
  const elapsed = (Date.now() - S.queueAt) / 1000;
  for (const node of $$("#queue-list .waited")) {
    node.textContent = `已等待 ${duration(Number(node.dataset.waited) + elapsed)}`;
  }
}

async function accept(conversationId, button) {
  if (button) button.disabled = true;
  S.accepting.add(conversationId);
  try {
    await api("POST", `/conversations/${encodeURIComponent(conversationId)}/accept`);
    S.preview = null;
    await adoptChat(conversationId, false);
    openChat(conversationId);
    scheduleQueueRefresh();
  } catch (failure) {
    toast(failure.code === "not_queued" ? "这位顾客已被其他同事接入" :
      failure.code === "at_capacity" ? "您同时接待的会话已满" : failure.message, "error");
    if (button) button.disabled = false;
    scheduleQueueRefresh();
  } finally {
    S.accepting.delete(conversationId);
  }
}

// ---- chats ---------------------------------------------------------------------------------------
function newChat(id) {
  return {id, state: "assigned", handover: null, metadata: {}, messages: new Map(), maxSeq: 0, unread: 0,
    loaded: false, loading: null, pending: new Map(), flagged: new Set(), abusive: false, ended: null,
    typingUntil: 0, draft: "", revealed: new Set(), readonly: false};
}

/** A chat that is (now) mine: load its whole transcript once. */
function adoptChat(conversationId, announce, info) {
  if (!conversationId) return Promise.resolve();
  let chat = S.chats.get(conversationId);
  if (chat && !chat.ended) return chat.loading || Promise.resolve();
  if (!chat || chat.ended) {
    chat = newChat(conversationId);
    S.chats.set(conversationId, chat);
    if (announce) notify("新会话");
  }
  if (info && info.handover) chat.handover = info.handover;
  chat.loading = loadTranscript(chat).finally(() => { chat.loading = null; });
  renderChatList();
  return chat.loading;
}

async function loadTranscript(chat) {
  const data = await api("GET", `/conversations/${encodeURIComponent(chat.id)}`);
  applyTranscript(chat, data);
  chat.loaded = true;
  send({type: "sync", conversation_id: chat.id, last_seq: chat.maxSeq});
  if (S.active === chat.id) renderChat();
  renderChatList();
}

function applyTranscript(chat, data) {
  chat.state = data.state || chat.state;
  chat.handover = data.handover || chat.handover;
  chat.metadata = isObject(data.metadata) ? data.metadata : {};
  const ctx = chat.handover && isObject(chat.handover.context) ? chat.handover.context : {};
  chat.flagged = flaggedTexts(ctx);
  for (const message of Array.isArray(data.messages) ? data.messages : []) addMessage(chat, message, true);
}

function addMessage(chat, message, initial) {
  const seq = Number(message.seq);
  if (!Number.isInteger(seq) || chat.messages.has(seq)) return false;      // dedupe by seq
  chat.messages.set(seq, message);
  if (seq > chat.maxSeq) chat.maxSeq = seq;
  if (message.client_msg_id && chat.pending.has(message.client_msg_id)) {
    chat.pending.delete(message.client_msg_id);
    $$(`.msg.pending`).filter((n) => n.dataset.clientMsgId === message.client_msg_id).forEach((n) => n.remove());
  }
  if (isAbusive(message, chat.flagged) && !chat.abusive) {
    chat.abusive = true;
    if (!chat.readonly && S.me) { countAbusiveChat(S.me.username, chat.id); refreshAbuseCount(); }
  }
  if (message.sender === "customer") chat.typingUntil = 0;
  const visible = S.active === chat.id && S.view === "chat";
  if (visible) appendToView(chat, message);
  if (!initial && message.sender === "customer" && !(visible && document.hasFocus())) {
    chat.unread += 1;
    renderChatList();
  }
  return true;
}

function onMessage(frame) {
  const chat = S.chats.get(frame.conversation_id);
  if (!chat) return;
  addMessage(chat, frame, false);
  if (S.active === chat.id) renderTyping();
}

function onState(frame) {
  const id = frame.conversation_id;
  if (frame.state === "assigned" && isObject(frame.agent) && S.me && frame.agent.id === S.me.id) {
    adoptChat(id, !S.chats.has(id) && !S.accepting.has(id));
  } else {
    const chat = S.chats.get(id);
    if (chat && !chat.ended && frame.state !== "assigned") {
      endChat(id, frame.state === "queued" ? "会话已回到排队" : `会话${stateLabel(frame.state) || "已结束"}`);
    } else if (chat && frame.state === "assigned" && isObject(frame.agent) && S.me && frame.agent.id !== S.me.id) {
      endChat(id, `已由 ${frame.agent.display_name || "同事"} 接待`);
    }
  }
  scheduleQueueRefresh();
}

function onTyping(frame) {
  const chat = S.chats.get(frame.conversation_id);
  if (!chat || frame.sender !== "customer") return;
  chat.typingUntil = Date.now() + 5000;
  if (S.active === chat.id) renderTyping();
}

function onAck(frame) {
  const chat = S.chats.get(frame.conversation_id);
  if (!chat) return;
  if (Number.isInteger(frame.seq) && !chat.messages.has(frame.seq)) {
    send({type: "sync", conversation_id: chat.id, last_seq: chat.maxSeq});
  }
}

function onError(frame) {
  const text = frame.message || "操作失败";
  if (frame.client_msg_id) {
    for (const chat of S.chats.values()) {
      if (chat.pending.has(frame.client_msg_id)) {
        $$(".msg.pending").filter((n) => n.dataset.clientMsgId === frame.client_msg_id)
          .forEach((n) => { n.classList.add("failed"); n.querySelector(".who").textContent = `发送失败：${text}`; });
        chat.pending.delete(frame.client_msg_id);
      }
    }
  }
  toast(text, "error");
}

function endChat(conversationId, why) {
  const chat = S.chats.get(conversationId);
  if (!chat || chat.ended) return;
  chat.ended = why;
  chat.state = "ended";
  if (S.active === conversationId) {
    renderChat();
    toast(why);
  }
  renderChatList();
}

function removeChat(conversationId) {
  S.chats.delete(conversationId);
  if (S.active === conversationId) {
    S.active = null;
    showView("queue");
  }
  renderChatList();
}

function renderChatList() {
  const list = $("#chat-list");
  const chats = [...S.chats.values()];
  $("#no-chats").hidden = chats.length > 0;
  list.replaceChildren(...chats.map((chat) => {
    const ho = isObject(chat.handover) ? chat.handover : {};
    const ctx = isObject(ho.context) ? ho.context : {};
    const meta = claimsOf({...(isObject(ctx.metadata) ? ctx.metadata : {}), ...chat.metadata});
    const last = [...chat.messages.values()].filter((m) => m.sender !== "system").pop();
    const lastText = last ? (isAbusive(last, chat.flagged) ? "（可能含有不当言辞）" : show(last.text, 40)) : "";
    return h("li", {class: `chat-item${S.active === chat.id ? " active" : ""}${chat.ended ? " ended" : ""}`,
      dataset: {conversationId: chat.id}},
    h("button", {type: "button", class: "chat-open", onclick: () => openChat(chat.id)},
      h("span", {class: "chat-name", text: customerName(meta, chat.id, verifiedIdentity(chat.metadata))}),
      chat.unread ? h("span", {class: "unread", "aria-label": `${chat.unread} 条未读`, text: String(chat.unread)}) : null,
      chat.abusive ? h("span", {class: "badge warn small", text: "不当言辞"}) : null,
      h("span", {class: "chat-last", text: chat.ended ? chat.ended : lastText})),
    chat.ended ? h("button", {type: "button", class: "chat-remove", "aria-label": "移除", title: "移除",
      onclick: () => removeChat(chat.id)}, "×") : null);
  }));
}

function customerName(meta, id, ident) {
  if (ident) return `${show(ident.name || `顾客 ${ident.customer_id}`, 20)} ✓`;
  if (meta.customer_name) return `${show(meta.customer_name, 20)}（自述）`;
  if (meta.customer_id) return `顾客 ${show(meta.customer_id, 20)}（自述）`;
  return `顾客 ${id.slice(0, 6)}`;
}

// ---- views ---------------------------------------------------------------------------------------
function showView(view) {
  S.view = view;
  $("#view-queue").hidden = view !== "queue";
  $("#view-tickets").hidden = view !== "tickets";
  $("#view-chat").hidden = view !== "chat";
  for (const tab of $$(".tab")) tab.classList.toggle("active", tab.dataset.view === view);
  if (view !== "chat") { S.active = null; S.preview = null; renderChatList(); }
  if (view === "tickets") refreshTickets();
}

for (const tab of $$(".tab")) tab.addEventListener("click", () => showView(tab.dataset.view));

function openChat(conversationId) {
  const chat = S.chats.get(conversationId);
  if (!chat) return;
  saveDraft();
  S.preview = null;
  S.active = conversationId;
  chat.unread = 0;
  showView("chat");
  S.active = conversationId;
  renderChat();
  renderChatList();
  if (!chat.seen) {                    // the first look: the handover card before anything else
    chat.seen = true;
    requestAnimationFrame(() => { $("#chat-scroll").scrollTop = 0; });
  }
  $("#reply").focus({preventScroll: true});
}

async function openPreview(conversationId) {
  try {
    const data = await api("GET", `/conversations/${encodeURIComponent(conversationId)}`);
    const chat = newChat(conversationId);
    chat.readonly = true;
    chat.state = data.state;
    applyTranscript(chat, data);
    chat.loaded = true;
    saveDraft();
    showView("chat");
    S.preview = chat;
    S.active = null;
    renderChat();
    requestAnimationFrame(() => { $("#chat-scroll").scrollTop = 0; });
  } catch (failure) {
    toast(failure.message, "error");
  }
}

function currentChat() {
  return S.preview || (S.active ? S.chats.get(S.active) : null);
}

function saveDraft() {
  const chat = S.active ? S.chats.get(S.active) : null;
  if (chat) chat.draft = $("#reply").value;
}

function renderChat() {
  const chat = currentChat();
  if (!chat) return;
  const ho = isObject(chat.handover) ? chat.handover : {};
  const ctx = isObject(ho.context) ? ho.context : {};
  const meta = claimsOf({...(isObject(ctx.metadata) ? ctx.metadata : {}), ...chat.metadata});
  const ident = verifiedIdentity(chat.metadata);
  // head
  const head = $("#chat-head");
  head.replaceChildren(
    h("div", {class: "chat-title"}, h("strong", {text: customerName(meta, chat.id, ident)}),
      h("span", {class: "badge state", text: chat.ended ? chat.ended : chat.readonly ? `预览 · ${stateLabel(chat.state)}` : stateLabel(chat.state)}),
      h("span", {class: "muted small", text: `会话 ${chat.id}`})),
    h("div", {class: "chat-actions"},
      chat.readonly
        ? h("button", {class: "btn primary", id: "preview-accept", type: "button", onclick: (e) => accept(chat.id, e.target)}, "接入")
        : [h("button", {class: "btn", id: "transfer-open", type: "button", disabled: Boolean(chat.ended), onclick: openTransfer}, "转接"),
          h("button", {class: "btn danger", id: "close-open", type: "button", disabled: Boolean(chat.ended), onclick: openClose}, "结束会话")]));
  // handover card
  $("#handover-card").replaceChildren(handoverCard(chat, ho, ctx, meta, ident));
  // transcript: the bot's part set apart, then the live chat
  const bot = $("#bot-messages");
  const live = $("#live-messages");
  bot.replaceChildren();
  live.replaceChildren();
  const messages = [...chat.messages.values()].sort((a, b) => a.seq - b.seq);
  let botCount = 0;
  for (const message of messages) {
    if (isBotPart(chat, message)) { bot.append(renderMessage(chat, message)); botCount += 1; }
    else live.append(renderMessage(chat, message));
  }
  if (!botCount && Array.isArray(ctx.transcript) && ctx.transcript.length) {
    // the bridge has no bot part (e.g. the conversation began elsewhere): show the action's copy
    for (const turn of ctx.transcript) {
      if (!isObject(turn)) continue;
      bot.append(renderMessage(chat, {seq: `t${botCount}`, sender: turn.sender === "user" ? "customer" : turn.sender,
        text: turn.text, created_at: turn.timestamp, abusive: turn.abusive === true}));
      botCount += 1;
    }
  }
  $("#bot-part-title").textContent = `机器人对话记录（转人工前，${botCount} 条）`;
  $("#bot-part").hidden = botCount === 0;
  $("#live-title").textContent = chat.readonly ? "转人工之后" : "人工对话";
  if (!chat.readonly) {
    for (const [cid, text] of chat.pending) live.append(pendingNode(cid, text));
  }
  $("#composer").hidden = chat.readonly;
  $("#reply").value = chat.readonly ? "" : chat.draft || "";
  refreshComposer();
  renderTyping();
  scrollChat();
}

function isBotPart(chat, message) {
  const ho = isObject(chat.handover) ? chat.handover : null;
  if (!ho || !ho.queued_at) return false;
  const queuedAt = Date.parse(ho.queued_at);
  const at = Date.parse(message.created_at);
  return Number.isFinite(queuedAt) && Number.isFinite(at) && at < queuedAt;
}

function appendToView(chat, message) {
  const node = renderMessage(chat, message);
  const container = isBotPart(chat, message) ? $("#bot-messages") : $("#live-messages");
  const later = $$(".msg[data-seq]", container).find((n) => Number(n.dataset.seq) > Number(message.seq));
  const firstPending = $(".msg.pending", container);
  container.insertBefore(node, later || firstPending || null);
  scrollChat();
}

function scrollChat() {
  const chat = currentChat();
  const box = $("#chat-scroll");
  const bot = $("#bot-messages");
  requestAnimationFrame(() => {
    bot.scrollTop = bot.scrollHeight;
    if (chat && chat.seen) box.scrollTop = box.scrollHeight;
  });
}

function senderLabel(message) {
  const payload = isObject(message.payload) ? message.payload : {};
  if (message.sender === "customer") return "顾客";
  if (message.sender === "bot") return "智能助手";
  if (message.sender === "agent") {
    const agent = isObject(payload.agent) ? payload.agent : {};
    if (S.me && agent.id === S.me.id) return `我（${S.me.display_name}）`;
    return `客服 ${agent.display_name || ""}`.trim();
  }
  return "系统";
}

function maskedText(text, masked, onReveal) {
  if (!masked) return h("span", {class: "text", text});
  const holder = h("span", {class: "masked-holder"});
  const button = h("button", {class: "masked", type: "button", title: "点击查看原文"}, "该消息可能含有不当言辞，点击查看");
  button.addEventListener("click", () => {
    holder.replaceChildren(h("span", {class: "text revealed", text}), h("span", {class: "badge warn small", text: "不当言辞"}));
    if (onReveal) onReveal();
  });
  holder.append(button);
  return holder;
}

function renderMessage(chat, message) {
  const sender = ["customer", "bot", "agent", "system"].includes(message.sender) ? message.sender : "system";
  const payload = isObject(message.payload) ? message.payload : {};
  const node = h("div", {class: `msg msg-${sender}`, dataset: {seq: message.seq, sender}});
  if (sender === "system") {
    node.append(h("div", {class: "note", text: message.text || ""}));
    return node;
  }
  node.append(h("div", {class: "who", text: `${senderLabel(message)} · ${clock(message.created_at)}`}));
  const abusive = sender === "customer" && (message.abusive === true || isAbusive(message, chat.flagged));
  const revealed = chat.revealed.has(message.seq);
  const bubble = h("div", {class: "bubble"});
  bubble.append(maskedText(String(message.text ?? ""), abusive && !revealed, () => chat.revealed.add(message.seq)));
  if (abusive && revealed) bubble.append(h("span", {class: "badge warn small", text: "不当言辞"}));
  node.append(bubble);
  const buttons = Array.isArray(payload.buttons) ? payload.buttons.filter((b) => isObject(b) && b.title) : [];
  if (buttons.length) {
    node.append(h("div", {class: "buttons"}, h("span", {class: "muted small", text: "按钮："}),
      buttons.map((b) => h("span", {class: "chip", title: show(b.payload, 100), text: show(b.title, 40)}))));
  }
  return node;
}

function pendingNode(cid, text) {
  return h("div", {class: "msg msg-agent pending", dataset: {clientMsgId: cid}},
    h("div", {class: "who", text: "发送中…"}), h("div", {class: "bubble"}, h("span", {class: "text", text})));
}

// ---- the handover card ----------------------------------------------------------------------------
function firstText(...values) {
  return values.find((v) => typeof v === "string" && v.trim()) || "";
}

function orderNumbers(ctx, meta) {
  const found = [];
  const add = (v) => {
    if (typeof v === "number") v = String(v);
    if (typeof v === "string" && v.trim() && !found.includes(v.trim())) found.push(v.trim());
  };
  add(ctx.order_id);
  if (Array.isArray(ctx.order_ids)) ctx.order_ids.forEach(add);
  if (isObject(ctx.slots)) add(ctx.slots.order_id);
  if (isObject(ctx.entities)) add(ctx.entities.order_id);
  if (isObject(ctx.order)) add(ctx.order.id);
  add(meta.current_order);
  add(meta.order_id);
  if (isObject(meta.order)) add(meta.order.id);
  return found.slice(0, 6);
}

function intentChips(ctx) {
  const list = Array.isArray(ctx.latest_intents) ? ctx.latest_intents : Array.isArray(ctx.intents) ? ctx.intents : [];
  return list.slice(-6).map((item) => {
    if (isObject(item)) {
      const name = show(item.intent || item.name, 30);
      const confidence = Number(item.confidence);
      return h("span", {class: "chip", text: Number.isFinite(confidence) ? `${name} ${confidence.toFixed(2)}` : name});
    }
    return h("span", {class: "chip", text: show(item, 30)});
  });
}

function row(label, ...value) {
  const content = value.flat().filter((v) => v !== null && v !== undefined && v !== "");
  if (!content.length) return null;
  return h("div", {class: "row"}, h("dt", {text: label}), h("dd", {}, content));
}

function identityRows(ident) {
  const kv = (label, value) => (value ? h("span", {class: "kv"}, h("span", {class: "k", text: label}),
    h("span", {class: "v", text: show(value, 80)})) : null);
  return [h("span", {class: "badge verified", text: "已验证"}), kv("顾客 ID", ident.customer_id),
    kv("会员等级", ident.tier ? String(ident.tier).toUpperCase() : null), kv("称呼", ident.name),
    kv("手机尾号", ident.phone_last4)];
}

function handoverCard(chat, ho, ctx, meta, ident) {
  if (!chat.handover) {
    return h("section", {class: "handover-card empty"}, h("h3", {text: "转人工卡片"}), h("p", {class: "muted", text: "这次会话没有转人工信息。"}));
  }
  const summary = firstText(ho.summary, ctx.summary);
  const level = frustrationOf(ctx);
  const orders = orderNumbers(ctx, meta);
  const metaRows = claimRows(meta);
  return h("section", {class: "handover-card", "aria-label": "转人工卡片"},
    h("header", {}, h("h3", {text: "转人工卡片"}),
      badges({priority: ho.priority, category: ho.category || ctx.category, reason: ho.reason || ctx.reason, front: false,
        tier: ident && ident.tier})),
    h("p", {class: "summary"}, summary ? maskedText(summary, hasProfanity(summary)) : h("span", {class: "muted", text: "（没有摘要）"})),
    h("dl", {},
      row("订单号", orders.map((o) => h("b", {class: "order-no", text: o}))),
      row("原因", reasonChips(ctx, ho.reason || ctx.reason)),
      row("分类", categoryLabel(ho.category || ctx.category)),
      row("情绪", level ? [h("span", {class: `meter meter-${level.key}`, role: "meter", "aria-valuemin": "0", "aria-valuemax": "100",
        "aria-valuenow": String(Math.round(level.value * 100)), "aria-label": "挫败感"}, h("span", {class: `meter-fill w${Math.round(level.value * 10)}`})),
      h("span", {class: `badge mood mood-${level.key}`, text: `挫败感 ${level.label}（${Math.round(level.value * 100)}%）`})] : null),
      row("信号", signalChips(ctx)),
      row("最近意图", intentChips(ctx)),
      ident ? row("已验证身份", identityRows(ident))
        : row("身份", h("span", {class: "muted", text: "未验证（顾客未登录，下面的信息由顾客浏览器提供）"})),
      row("顾客自述", metaRows),
      row("转人工时间", ho.queued_at ? dateTime(ho.queued_at) : null),
      row("提示", ho.ticket_offered ? "排队期间曾向顾客提供留言" : null,
        ctx.transcript_truncated ? "机器人记录较长，只保留了最近部分" : null,
        isObject(ctx.bridge_check) && ctx.bridge_check.verified === false
          ? "机器人上报的内容与对话记录不符：客户诉求按顾客原话显示，优先级未采用机器人的判断" : null)));
}

// ---- composer ------------------------------------------------------------------------------------
function refreshComposer() {
  const chat = currentChat();
  const usable = Boolean(chat && !chat.readonly && !chat.ended && chat.loaded);
  $("#reply").disabled = !usable;
  $("#send").disabled = !usable;
  $("#reply").placeholder = !chat ? "" : chat.ended ? "会话已结束" :
    S.online ? "输入回复，Enter 发送，Shift+Enter 换行" : "连接已断开，消息将通过 HTTP 发送";
}

async function sendReply() {
  const chat = currentChat();
  const box = $("#reply");
  const text = box.value;
  if (!chat || chat.readonly || chat.ended || !text.trim()) return;
  box.value = "";
  chat.draft = "";
  const cid = newId("agent");
  chat.pending.set(cid, text);
  $("#live-messages").append(pendingNode(cid, text));
  scrollChat();
  if (send({type: "message", conversation_id: chat.id, text, client_msg_id: cid})) return;
  try {                                              // no socket: the same message over HTTP
    const data = await api("POST", `/conversations/${encodeURIComponent(chat.id)}/messages`, {text, client_msg_id: cid});
    for (const message of data.messages || []) addMessage(chat, message, false);
  } catch (failure) {
    onError({client_msg_id: cid, message: failure.message});
  }
}

$("#send").addEventListener("click", sendReply);
$("#reply").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    sendReply();
  }
});
$("#reply").addEventListener("input", () => {
  const chat = currentChat();
  if (!chat || chat.readonly || Date.now() - S.lastTyping < 3000) return;
  if (send({type: "typing", conversation_id: chat.id})) S.lastTyping = Date.now();
});

function renderTyping() {
  const chat = currentChat();
  const box = $("#typing");
  const typing = chat && chat.typingUntil > Date.now();
  box.hidden = !typing;
  box.textContent = typing ? "顾客正在输入…" : "";
}

// ---- canned replies ------------------------------------------------------------------------------
function renderCanned() {
  $("#canned-list").replaceChildren(...S.canned.map((c) => h("button", {class: "chip canned", type: "button", title: c.text,
    onclick: () => insertCanned(c.text)}, c.title)));
}

function insertCanned(text) {
  const box = $("#reply");
  if (box.disabled) return;
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.value = box.value.slice(0, start) + text + box.value.slice(end);
  box.focus();
  box.selectionStart = box.selectionEnd = start + text.length;
}

function cannedRow(item) {
  return h("div", {class: "canned-row"},
    h("input", {class: "canned-title", value: item.title, maxlength: "12", "aria-label": "标题", placeholder: "标题"}),
    h("textarea", {class: "canned-text", rows: "2", maxlength: "500", "aria-label": "内容", placeholder: "内容"}, item.text),
    h("button", {class: "btn small", type: "button", "aria-label": "删除", onclick: (e) => e.target.closest(".canned-row").remove()}, "删除"));
}

function openCannedEditor() {
  $("#canned-rows").replaceChildren(...S.canned.map(cannedRow));
  $("#canned-dialog").showModal();
}

$("#canned-edit").addEventListener("click", openCannedEditor);
$("#canned-edit-top").addEventListener("click", openCannedEditor);
$("#canned-add").addEventListener("click", () => $("#canned-rows").append(cannedRow({title: "", text: ""})));
$("#canned-reset").addEventListener("click", () => {
  $("#canned-rows").replaceChildren(...DEFAULT_CANNED.map(cannedRow));
});
$("#canned-dialog").addEventListener("close", () => {
  if ($("#canned-dialog").returnValue !== "save") return;
  const list = $$(".canned-row", $("#canned-rows")).map((r) => ({title: $(".canned-title", r).value.trim(),
    text: $(".canned-text", r).value.trim()})).filter((c) => c.title && c.text);
  S.canned = list.length ? list : resetCanned();
  saveCanned(S.canned);
  renderCanned();
  toast("常用语已保存");
});

// ---- close and transfer --------------------------------------------------------------------------
function openClose() {
  $("#close-error").textContent = "";
  $("#close-note").value = "";
  $("#close-return").checked = true;
  $("#close-intent").value = "";
  $("#close-reusable").checked = false;
  $("#close-answer-box").hidden = true;
  const chat = currentChat();
  // the answer to reuse: by default the agent's longest reply in this chat
  const replies = chat ? [...chat.messages.values()].filter((m) => m.sender === "agent" && typeof m.text === "string") : [];
  $("#close-answer").value = replies.reduce((best, m) => (m.text.length > best.length ? m.text : best), "");
  loadIntents();
  $("#close-dialog").showModal();
}

// The intents of the bot's domain, for 「顾客其实想问的是」 (loaded once per page).
async function loadIntents() {
  if (S.intentsLoaded) return;
  try {
    const data = await api("GET", "/review/intents");
    const select = $("#close-intent");
    select.replaceChildren(h("option", {value: ""}, "— 不标注 —"),
      ...(data.items || []).filter(isObject).map((i) => h("option", {value: i.name}, `${i.label}（${i.name}）`)));
    S.intentsLoaded = true;
  } catch (_) { /* the dialog still closes without a tag */ }
}

$("#close-reusable").addEventListener("change", (event) => {
  $("#close-answer-box").hidden = !event.target.checked;
  if (event.target.checked) $("#close-answer").focus();
});

$("#close-form").addEventListener("submit", async (event) => {
  if (event.submitter && event.submitter.value !== "confirm") return;
  event.preventDefault();
  const chat = currentChat();
  if (!chat) return;
  const note = $("#close-note").value.trim();
  const resolution = $("#close-resolution").value + (note ? `：${note}` : "");
  const returnToBot = $("#close-return").checked;
  const body = {return_to_bot: returnToBot, resolution};
  if ($("#close-intent").value) body.intent = $("#close-intent").value;
  if ($("#close-reusable").checked) {
    const answer = $("#close-answer").value.trim();
    if (!answer) { $("#close-error").textContent = "请填写可复用的答复，或取消勾选「答复可复用」"; return; }
    body.reusable = true;
    body.answer = answer;
  }
  $("#close-confirm").disabled = true;
  try {
    await api("POST", `/conversations/${encodeURIComponent(chat.id)}/close`, body);
    $("#close-dialog").close();
    chat.ended = returnToBot ? "已结束，已交还机器人" : "已结束";
    toast(returnToBot ? "会话已结束，已交还智能助手" : "会话已结束");
    removeChat(chat.id);
  } catch (failure) {
    $("#close-error").textContent = failure.message;
  } finally {
    $("#close-confirm").disabled = false;
  }
});

async function openTransfer() {
  $("#transfer-error").textContent = "";
  $("#transfer-category").value = "";
  const box = $("#transfer-agents");
  box.replaceChildren(h("span", {class: "muted", text: "加载中…"}));
  $("#transfer-dialog").showModal();
  try {
    const data = await api("GET", "/agents");
    const others = (data.items || []).filter((a) => isObject(a) && S.me && a.id !== S.me.id);
    box.replaceChildren(...(others.length ? others.map((a) => h("label", {class: "check"},
      h("input", {type: "radio", name: "transfer-agent", value: a.username, disabled: a.presence !== "online"}),
      ` ${a.display_name}（${a.username}）`, h("span", {class: `badge presence-${a.presence}`, text: {online: "在线", away: "离开", offline: "离线"}[a.presence] || a.presence})))
      : [h("span", {class: "muted", text: "没有其他同事"})]));
  } catch (failure) {
    box.replaceChildren(h("span", {class: "error", text: failure.message}));
  }
}

$("#transfer-form").addEventListener("submit", async (event) => {
  if (event.submitter && event.submitter.value !== "confirm") return;
  event.preventDefault();
  const chat = currentChat();
  if (!chat) return;
  const picked = $("input[name=transfer-agent]:checked");
  const category = $("#transfer-category").value;
  if (!picked && !category) { $("#transfer-error").textContent = "请选择一位同事或一个专员组"; return; }
  try {
    await api("POST", `/conversations/${encodeURIComponent(chat.id)}/transfer`, picked ? {agent: picked.value} : {category});
    $("#transfer-dialog").close();
    toast(picked ? "已转接给同事" : `已转给${category}专员组`);
    removeChat(chat.id);
  } catch (failure) {
    $("#transfer-error").textContent = failure.message;
  }
});

// ---- tickets -------------------------------------------------------------------------------------
async function refreshTickets() {
  const status = $("#ticket-filter").value;
  try {
    const [listing, open] = await Promise.all([api("GET", `/tickets?status=${encodeURIComponent(status)}`),
      status === "open" ? null : api("GET", "/tickets?status=open")]);
    S.tickets = listing.items || [];
    $("#ticket-count").textContent = String((open ? open.items : S.tickets).length);
    renderTickets();
  } catch (_) { /* shown on the next try */ }
}

$("#ticket-filter").addEventListener("change", refreshTickets);

/** Replies being typed, by ticket id: a refresh of the list (a new ticket arrives, the tab is
 * opened again) redraws it and must not wipe what the agent is writing. */
const ticketDrafts = new Map();

function renderTickets() {
  $("#tickets-empty").hidden = S.tickets.length > 0;
  const focused = document.activeElement && document.activeElement.classList.contains("ticket-reply")
    ? document.activeElement.closest(".ticket")?.dataset.ticketId : null;
  $("#ticket-list").replaceChildren(...S.tickets.map((t) => {
    const meta = claimsOf(isObject(t.metadata) ? t.metadata : {});
    const ident = verifiedIdentity(t.metadata);
    const reply = h("textarea", {class: "ticket-reply", rows: "2", maxlength: "2000", placeholder: "回复内容（可选，会发给顾客）",
      "aria-label": "回复内容"});
    reply.value = ticketDrafts.get(String(t.id)) || "";
    reply.addEventListener("input", () => ticketDrafts.set(String(t.id), reply.value));
    const answered = t.status !== "open";
    return h("li", {class: `ticket ticket-${t.status}`, dataset: {ticketId: t.id}},
      h("header", {}, h("strong", {text: `#${t.id}`}), h("span", {class: `badge status-${t.status}`, text: TICKET_STATUS[t.status] || t.status}),
        h("span", {class: "muted small", text: dateTime(t.created_at)}),
        ident ? h("span", {class: "small q-identity verified", text: `已验证 ${identityLine(ident)}`})
          : meta.customer_id ? h("span", {class: "muted small", text: `顾客自述 ${show(meta.customer_id, 30)}`}) : null,
        meta.current_order ? h("span", {class: "small"}, "订单 ", h("b", {class: "order-no", text: plain(meta.current_order, 30)})) : null),
      h("p", {class: "ticket-message"}, maskedText(String(t.message ?? ""), hasProfanity(t.message))),
      h("p", {class: "small"}, "联系方式：", h("b", {text: show(t.contact, 100)})),
      t.reply ? h("p", {class: "small ticket-answer"}, "已回复：", h("span", {text: show(t.reply, 500)})) : null,
      t.status === "closed" ? null : h("div", {class: "ticket-actions"}, answered ? null : reply,
        answered ? null : h("button", {class: "btn small primary ticket-answer-btn", type: "button", onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api("POST", `/tickets/${t.id}/answer`, reply.value.trim() ? {reply: reply.value.trim()} : {});
            ticketDrafts.delete(String(t.id));
            toast("已标记为已回复");
            refreshTickets();
          } catch (failure) { toast(failure.message, "error"); e.target.disabled = false; }
        }}, "标记已回复"),
        h("button", {class: "btn small", type: "button", onclick: async () => {
          try { await api("POST", `/tickets/${t.id}/close`); refreshTickets(); } catch (failure) { toast(failure.message, "error"); }
        }}, "关闭工单")));
  }));
  if (focused) $(`#ticket-list .ticket[data-ticket-id="${CSS.escape(focused)}"] .ticket-reply`)?.focus();
}

// ---- timers and start ------------------------------------------------------------------------------
setInterval(() => {
  tickWaits();
  if (S.view === "chat") renderTyping();
}, 1000);

resume({api, onToken: (token) => { S.token = token; }, start, onFailure: signedOut});
