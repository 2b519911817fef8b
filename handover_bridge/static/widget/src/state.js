// @ts-check
// The widget's state (W), its DOM nodes (ui) and its typed CustomEvents (jieli:*).

/**
 * A message as the bridge sends it.
 * @typedef {{seq: number, sender: string, text?: string, created_at?: string, client_msg_id?: string,
 *   payload?: Object<string, any>, [key: string]: any}} Message
 */
/**
 * A message the customer sent that the bridge has not stored yet (resent until it has).
 * @typedef {{client_msg_id: string, text: string, payload?: string, failed?: boolean, error?: string}} OutboxItem
 */

export const W = {
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
  messages: new Map(),
  maxSeq: 0,
  /** @type {OutboxItem[]} resent until the bridge has them */
  outbox: [],
  unread: 0,
  /** @type {{position: number, ahead: number, eta_seconds: number | null, agents_online?: number} | null} */
  queue: null,
  /** @type {Map<string, string>} payload → title (older chats stored "/request_human" as the text) */
  buttonTitles: new Map(),
  botTypingUntil: 0,
  agentTypingUntil: 0,
  lastTypingSent: 0,
  /** @type {Promise<{id: string, token: string}> | null} */
  creating: null,
  ratedSeqs: new Set(),
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
  identitySent: undefined,
};

/** @type {Object<string, any>} the widget's DOM nodes, made by mount() */
export const ui = {};

/**
 * Dispatch `jieli:<name>` on the host element (it bubbles to document and window).
 * @param {string} name
 * @param {Object<string, any>} detail
 */
export function emit(name, detail) {
  const event = new CustomEvent("jieli:" + name, {detail, bubbles: true, composed: true});
  (ui.host || window).dispatchEvent(event);
}
