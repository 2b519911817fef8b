// @ts-check
// Jieli agent console: login, presence, the queue, several chats at once, the handover card,
// the full transcript, replies (canned ones too), transfer, close, tickets and agent protection.
// Plain JavaScript modules, no framework, no build step. Every text from a customer, the bot or an
// agent is rendered with textContent (see dom.js): an HTML or script payload shows up literally.
//
// This module starts the page; the rest lives by concern:
//   state.js       the shared state, the /api/agent helper      connection.js  the WebSocket (../shared/socket.js)
//   queue.js       the waiting customers, accept               chats.js       my chats, messages by seq, frames
//   chatview.js    tabs, the open chat, the transcript         card.js        the handover card and its labels
//   composer.js    the reply box, typing, canned replies       dialogs.js     close and transfer
//   tickets.js     left messages                               alerts.js      presence, sound, title, abuse count
//   mask.js        masked abusive text                         dom.js, protect.js, canned.js, session.js
import {$} from "./dom.js";
import {forgetToken, resume, showLogin, wireLogin, wireLogout} from "./session.js";
import {S, api, hooks} from "./state.js";
import {ensureAudio, refreshAbuseCount, refreshSound} from "./alerts.js";
import {closeSocket, connect} from "./connection.js";
import {refreshQueue, tickWaits} from "./queue.js";
import {showView} from "./chatview.js";
import {renderCanned, renderTyping} from "./composer.js";
import {refreshTickets} from "./tickets.js";

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
}

// ---- timers and start ------------------------------------------------------------------------------
setInterval(() => {
  tickWaits();
  if (S.view === "chat") renderTyping();
}, 1000);

resume({api, onToken: (token) => { S.token = token; }, start, onFailure: signedOut});
