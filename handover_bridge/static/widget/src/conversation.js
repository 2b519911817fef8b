// @ts-check
// The conversation: the shop's metadata, the bridge's HTTP API, creating the conversation (with the
// shop's signed identity token when there is one) and retrying that with back-off when it fails.
import {MAX_ATTEMPT, backoffDelay} from "../../shared/socket.js";
import {T} from "./words.js";
import {VERSION, env} from "./config.js";
import {isObject, store} from "./util.js";
import {W, emit} from "./state.js";
import {connect, socket} from "./connection.js";
import {refreshControls} from "./controls.js";

export function metadata() {
  const o = W.options;
  const meta = isObject(o.metadata) ? {...o.metadata} : {};
  if (isObject(o.customer)) {
    if (o.customer.id !== undefined) meta.customer_id = String(o.customer.id);
    if (o.customer.tier !== undefined) meta.tier = String(o.customer.tier);
    if (o.customer.name !== undefined) meta.customer_name = String(o.customer.name);
  }
  if (typeof o.order === "string" || typeof o.order === "number") meta.current_order = String(o.order);
  else if (isObject(o.order)) {
    meta.order = {...o.order};
    if (o.order.id !== undefined) meta.current_order = String(o.order.id);
  }
  meta.page = o.page ? String(o.page) : document.title;
  meta.page_url = location.origin + location.pathname;
  if (o.shop) meta.shop = String(o.shop);
  meta.widget = VERSION;
  return meta;
}

/** @typedef {Error & {status?: number, code?: string}} HttpError */

/**
 * A call of the bridge's customer API, JSON both ways, with the conversation's token.
 * @param {string} method
 * @param {string} path
 * @param {object} [body]
 * @returns {Promise<any>}
 * @throws {HttpError} with the bridge's message, the status and the error code
 */
export async function http(method, path, body) {
  const headers = {"Content-Type": "application/json"};
  if (W.conversation) headers.Authorization = "Bearer " + W.conversation.token;
  const response = await fetch(env.bridge + path, {method, headers, body: body ? JSON.stringify(body) : undefined,
    credentials: "omit", cache: "no-store"});
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    const error = /** @type {HttpError} */ (new Error((data && data.error && data.error.message) || T.errorGeneric));
    error.status = response.status;
    error.code = data && data.error && data.error.code;
    throw error;
  }
  return data;
}

// ---- verified identity: the shop's signed token (identityToken / data-identity-token / login) ----
const IDENTITY_REFUSED = new Set(["invalid_identity", "identity_not_configured"]);

export function identityToken() {
  const token = W.options.identityToken !== undefined ? W.options.identityToken
    : env.script && env.script.dataset.identityToken;
  return typeof token === "string" && token ? token : null;
}

/**
 * @param {Object<string, any> | null} record
 * @param {{code: string, message: string} | null} [error]
 */
export function setIdentity(record, error) {
  W.identity = isObject(record) && record.verified === true ? record : null;
  emit("identity", {verified: Boolean(W.identity), identity: W.identity, error: error || null});
}

/** Create the conversation, with the shop's identity token when there is one. A token the
 * bridge refuses (expired, not signed by the shop …) does not keep the customer from chatting:
 * the conversation starts anonymous and `jieli:identity` says why. */
function createConversation() {
  const token = identityToken();
  const body = {metadata: metadata()};
  if (token) body.identity_token = token;
  return http("POST", "/api/conversations", body).then((data) => {
    W.identitySent = token;
    setIdentity(data.identity);
    return data;
  }, (error) => {
    if (!token || !IDENTITY_REFUSED.has(error.code)) throw error;
    setIdentity(null, {code: error.code, message: error.message});
    return http("POST", "/api/conversations", {metadata: metadata()});
  });
}

export function ensureConversation() {
  if (W.conversation) return Promise.resolve(W.conversation);
  if (!W.creating) {
    W.creating = createConversation()
      .then((data) => {
        W.conversation = {id: data.conversation_id, token: data.token};
        store.set(env.storeKey, W.conversation);
        emit("conversation", {conversation_id: data.conversation_id});
        connect();
        return W.conversation;
      })
      .finally(() => { W.creating = null; });
  }
  return W.creating;
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let createTimer;

/** Creating the conversation failed (offline?): try again after the back-off, the offline banner
 * counting down meanwhile. */
export function scheduleCreateRetry() {
  W.createFailed = true;
  clearTimeout(createTimer);
  const delay = backoffDelay(socket.attempt, {base: 1000, jitter: false});
  socket.attempt = Math.min(socket.attempt + 1, MAX_ATTEMPT);
  socket.reconnectAt = Date.now() + delay;
  refreshControls();
  createTimer = setTimeout(() => {
    createTimer = undefined;
    ensureConversation().then(() => { W.createFailed = false; refreshControls(); })
      .catch(() => scheduleCreateRetry());
  }, delay);
}

/** Stop a pending create-retry (reset, or the customer asked to try now). */
export function cancelCreateRetry() {
  clearTimeout(createTimer);
  createTimer = undefined;
}
