// @ts-check
// Mounting: the host element and its shadow root (the styles inside), the launcher, the panel and its
// banners, the log and the composer; then the stored conversation (if any) is picked up again.
import {T} from "./words.js";
import {CSS} from "./styles.js";
import {VERSION, env} from "./config.js";
import {chatIcon, el, store} from "./util.js";
import {W, emit, ui} from "./state.js";
import {connect} from "./connection.js";
import {autosize, closePanel, openPanel, refreshControls, renderWelcome, tick} from "./controls.js";
import {cancelWait, renderChips, renderPending, requestHuman, sendText, sendTyping} from "./outbox.js";
import {showTicketForm} from "./ticket.js";
import {reconnectNow, reset, syncIdentity} from "./session.js";

export function mount() {
  if (W.mounted) return;
  W.mounted = true;
  ui.host = el("div", {id: "jieli-widget", "data-jieli": VERSION});
  const shadow = ui.host.attachShadow({mode: "open"});
  if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el("style", {text: CSS}));
  }
  ui.badge = el("span", {class: "jl-badge", hidden: true, "aria-hidden": "true"});
  ui.launcher = el("button", {class: "jl-launcher", type: "button", "aria-label": T.launcherOpen,
    onclick: () => openPanel()}, chatIcon(), el("span", {text: T.launcher}), ui.badge);
  ui.title = el("div", {class: "jl-title", text: W.options.title || T.title});
  ui.subtitle = el("div", {class: "jl-subtitle", text: T.subtitleBot});
  ui.avatar = el("div", {class: "jl-avatar", "aria-hidden": "true", text: "接"});
  ui.close = el("button", {class: "jl-close", type: "button", "aria-label": T.closePanel, title: T.closePanel,
    onclick: () => closePanel()}, "×");
  const header = el("header", {class: "jl-header"}, ui.avatar,
    el("div", {class: "jl-heading"}, ui.title, ui.subtitle), ui.close);
  ui.offlineText = el("span", {text: T.offline});
  ui.offline = el("div", {class: "jl-banner jl-offline", role: "status", hidden: true}, ui.offlineText,
    el("button", {class: "jl-link", type: "button", onclick: () => reconnectNow()}, T.reconnectNow));
  ui.queueText = el("span", {class: "jl-queue-text"});
  ui.queue = el("div", {class: "jl-banner jl-queue", role: "status", "aria-live": "polite", hidden: true},
    ui.queueText,
    el("button", {class: "jl-link jl-cancel-wait", type: "button", onclick: () => cancelWait()}, T.cancelWait),
    el("button", {class: "jl-link jl-leave", type: "button", onclick: () => showTicketForm(true)}, T.leaveMessage));
  ui.endedText = el("span", {class: "jl-queue-text"});
  ui.ended = el("div", {class: "jl-banner jl-ended", role: "status", hidden: true}, ui.endedText,
    el("button", {class: "jl-link jl-restart", type: "button", onclick: () => reset(true)}, T.restart));
  ui.log = el("div", {class: "jl-log", role: "log", "aria-live": "polite", "aria-label": "聊天记录"});
  ui.typingText = el("span");
  ui.typing = el("div", {class: "jl-typing", hidden: true, "aria-live": "polite"}, ui.typingText, " ",
    el("span", {class: "jl-dots", "aria-hidden": "true"}, el("span"), el("span"), el("span")));
  ui.human = el("button", {class: "jl-human", type: "button", onclick: () => requestHuman()}, T.human);
  ui.chips = el("span", {class: "jl-chips"});
  ui.bar = el("div", {class: "jl-bar"}, ui.human, ui.chips);
  ui.input = el("textarea", {class: "jl-input", rows: "1", maxlength: "2000", "aria-label": "输入消息",
    placeholder: T.placeholder});
  ui.send = el("button", {class: "jl-primary jl-send", type: "submit"}, T.send);
  ui.composer = el("form", {class: "jl-composer"}, ui.input, ui.send);
  ui.panel = el("section", {class: "jl-panel", role: "dialog", "aria-label": W.options.title || T.title},
    header, ui.offline, ui.queue, ui.ended, ui.log, ui.typing, ui.bar, ui.composer);
  ui.root = el("div", {class: "jl" + (W.options.position === "left" ? " jl--left" : ""), "data-state": "bot",
    "data-online": "false"}, ui.launcher, ui.panel);
  if (W.options.color) ui.root.style.setProperty("--jl-brand", String(W.options.color));
  if (W.options.zIndex) ui.root.style.zIndex = String(Number(W.options.zIndex) || 2147483000);
  shadow.append(ui.root);
  document.body.append(ui.host);

  ui.composer.addEventListener("submit", (event) => { event.preventDefault(); submitInput(); });
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submitInput();
    } else if (event.key === "Escape") {
      closePanel();
    }
  });
  ui.input.addEventListener("input", () => { autosize(); sendTyping(); });
  window.addEventListener("online", () => reconnectNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && W.conversation && !W.online) reconnectNow();
  });
  setInterval(tick, 1000);

  renderWelcome();
  renderChips();
  const saved = store.get(env.storeKey, null);
  if (saved && typeof saved.id === "string" && typeof saved.token === "string") {
    W.conversation = {id: saved.id, token: saved.token};
    W.outbox = store.get(env.storeKey + ":outbox", []).filter((m) => m && m.client_msg_id && m.text);
    W.outbox.forEach(renderPending);
    connect();
    syncIdentity();
  }
  refreshControls();
  if (W.options.open || store.get(env.storeKey + ":open", false)) openPanel();
  emit("ready", {conversation_id: W.conversation && W.conversation.id, state: W.state, version: VERSION});
}

/** The composer's Enter or 发送: the typed text goes out. */
function submitInput() {
  const text = ui.input.value;
  if (!text.trim() || ui.input.disabled) return;
  ui.input.value = "";
  autosize();
  sendText(text);
}
