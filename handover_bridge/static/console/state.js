// @ts-check
// The console's state, one object shared by its modules, and the /api/agent helper bound to it.
import {loadCanned} from "./canned.js";
import {createApi} from "./session.js";

/** The console's localStorage key for the sound switch. */
export const SOUND_KEY = "jieli-console:sound";

/**
 * One conversation this agent works on (or previews, read-only). `handover` is the bridge's record,
 * its `context` what the action sent (typed by the contract's schema: contract_types.js).
 * @typedef {object} Chat
 * @property {string} id
 * @property {string} state
 * @property {(Object<string, any> & {context?: import("./contract_types.js").HandoverContext}) | null} handover
 * @property {Object<string, any>} metadata
 * @property {string} [channel] where the customer is ("web", "wechat", …: the card's 网页 / 微信 badge)
 * @property {Map<number, Object<string, any>>} messages by seq
 * @property {number} maxSeq
 * @property {number} unread
 * @property {boolean} loaded
 * @property {Promise<void> | null} loading
 * @property {Map<string, string>} pending client_msg_id → text, sent and not yet stored
 * @property {Set<string>} flagged normalised texts the handover context flagged as abusive
 * @property {boolean} abusive
 * @property {string | null} ended why it ended (shown instead of the state)
 * @property {number} typingUntil
 * @property {string} draft
 * @property {Set<number | string>} revealed seqs of masked messages the agent chose to read
 * @property {boolean} readonly a queued conversation shown before accepting
 * @property {boolean} [seen]
 */

export const S = {
  /** @type {string | null} */
  token: null,
  /** @type {Object<string, any> | null} the agent signed in */
  me: null,
  online: false,
  /** @type {Object<string, any>[]} */
  queue: [],
  queueAt: 0,
  /** @type {Set<string> | null} ids seen in the queue (null until the first load) */
  knownQueue: null,
  /** @type {Map<string, Chat>} conversation id → chat */
  chats: new Map(),
  /** @type {string | null} conversation id shown in the chat view */
  active: null,
  /** @type {Chat | null} a queued conversation shown read-only */
  preview: null,
  view: "queue",
  /** @type {Object<string, any>[]} */
  tickets: [],
  /** @type {AudioContext | null} */
  audio: null,
  sound: localStorage.getItem(SOUND_KEY) !== "off",
  alerts: 0,
  lastTyping: 0,
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  queueTimer: undefined,
  canned: loadCanned(),
  /** @type {Set<string>} conversations this console is accepting right now (no "new chat" alert) */
  accepting: new Set(),
  intentsLoaded: false,
};

/** What happens on a 401 (set by console.js: back to the login). */
export const hooks = {signedOut: () => {}};

export const api = createApi({getToken: () => S.token, onUnauthorized: () => hooks.signedOut()});

/** The chat in the chat view: the preview, or the active one. */
export function currentChat() {
  return S.preview || (S.active ? S.chats.get(S.active) || null : null);
}
