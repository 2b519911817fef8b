// @ts-check
// What the bridge says over the agent socket, frame by frame: the snapshot after each (re)connect
// (presence, queue, my chats: a sync from each loaded chat's last seq), messages, state changes,
// typing, acks and errors, queue changes, transfers, tickets, presence.
import {$, isObject} from "./dom.js";
import {toast} from "./session.js";
import {S} from "./state.js";
import {stateLabel} from "./contract.js";
import {renderTyping} from "./transcript.js";
import {send} from "./connection.js";
import {addMessage, adoptChat, endChat, onError, renderChatList} from "./chats.js";
import {scheduleQueueRefresh, setQueue} from "./queue.js";
import {refreshTickets} from "./tickets.js";
import {showCooldown} from "./cooldown.js";

/**
 * @param {{type: string, [key: string]: any}} frame
 */
export function onFrame(frame) {
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
    case "transferred_away": endChat(frame.conversation_id, frame.by
      ? `${frame.by} 已接手此会话（${(frame.to && frame.to.display_name) || "同事"}）`
      : `已转接给 ${(frame.to && frame.to.display_name) || "同事"}`); break;
    case "cooldown": showCooldown(frame); break;
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
      if (typeof item.channel === "string") chat.channel = item.channel;
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

/**
 * @param {Object<string, any>} frame
 */
function onMessage(frame) {
  const chat = S.chats.get(frame.conversation_id);
  if (!chat) return;
  addMessage(chat, frame, false);
  if (S.active === chat.id) renderTyping();
}

/**
 * @param {Object<string, any>} frame
 */
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

/**
 * @param {Object<string, any>} frame
 */
function onTyping(frame) {
  const chat = S.chats.get(frame.conversation_id);
  if (!chat || frame.sender !== "customer") return;
  chat.typingUntil = Date.now() + 5000;
  if (S.active === chat.id) renderTyping();
}

/**
 * @param {Object<string, any>} frame
 */
function onAck(frame) {
  const chat = S.chats.get(frame.conversation_id);
  if (!chat) return;
  if (Number.isInteger(frame.seq) && !chat.messages.has(frame.seq)) {
    send({type: "sync", conversation_id: chat.id, last_seq: chat.maxSeq});
  }
}
