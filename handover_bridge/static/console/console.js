// @ts-check
// Jieli agent console: login, presence, the queue, several chats at once, the handover card,
// the full transcript, replies (canned ones too), transfer, close, tickets and agent protection.
// Plain JavaScript modules, no framework, no build step. Every text from a customer, the bot or an
// agent is rendered with textContent (see dom.js): an HTML or script payload shows up literally.
//
// This module starts the page and wires the few calls that go up the import order (the modules import
// each other in one direction only: no cycles). The rest lives by concern, from the bottom up:
//   dom.js, protect.js, canned.js, session.js   helpers, masking rules, canned replies, login
//   state.js       the shared state, the /api/agent helper      card.js        the handover card
//   contract.js    the contract's labels (GET /api/contract)     handover_card.js  its rows that read the action's context
//   mask.js        masked abusive text                         alerts.js      presence, sound, title, abuse count
//   transcript.js  messages, pending replies, typing           connection.js  the WebSocket (../shared/socket.js)
//   tickets.js     left messages                               chats.js       my chats, messages by seq, the list
//   dialogs.js     close and transfer                          chatview.js    tabs, the open chat, its card
//   composer.js    the reply box, canned replies               queue.js       the waiting customers, accept
//   frames.js      what each socket frame means
//   suggest.js     suggested replies above the reply box       wrapup.js      the close dialog pre-filled from the chat
//   orders.js      the order panel under the card
//   cooldown.js    the cool-down banner, 结束会话（辱骂）          takeover.js    a lead's live chats: take over, reassign
import {$} from "./dom.js";
import {loadContract} from "./contract.js";
import {forgetToken, resume, showLogin, wireLogin, wireLogout} from "./session.js";
import {S, api, hooks} from "./state.js";
import {ensureAudio, refreshAbuseCount, refreshSound} from "./alerts.js";
import {renderTyping} from "./transcript.js";
import {closeSocket, connect, wireConnection} from "./connection.js";
import {refreshTickets} from "./tickets.js";
import {wireChats} from "./chats.js";
import {openChat, renderChat, showView, wireChatView} from "./chatview.js";
import {renderCanned} from "./composer.js";
import {accept, refreshQueue, tickWaits} from "./queue.js";
import {onFrame} from "./frames.js";
import {refreshCooldown} from "./cooldown.js";
import {startTakeover, wireTakeover} from "./takeover.js";

await loadContract();   // the labels of states, reasons, signals and levels (GET /api/contract)
wireConnection({onFrame});
wireChats({renderChat, showView, openChat});
wireChatView({accept});
wireTakeover({openChat});

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
hooks.signedOut = signedOut;

wireLogout({api, onSignedOut: signedOut,
  farewell: async () => { await api("POST", "/presence", {presence: "offline"}); await api("POST", "/logout"); }});

// ---- start -------------------------------------------------------------------------------------
/** @param {Object<string, any>} agent */
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
  refreshCooldown();
  startTakeover();
}

// ---- timers and start ------------------------------------------------------------------------------
setInterval(() => {
  tickWaits();
  if (S.view === "chat") renderTyping();
}, 1000);

resume({api, onToken: (token) => { S.token = token; }, start, onFailure: signedOut});
