// @ts-check
// The login shared by the agent console, the dashboard and the review queue: the token in this tab's
// sessionStorage, the /api/agent fetch helper, the login form, logout, and the toast. Each page keeps
// its own state (the token lives in its S) and passes what differs as callbacks. Texts are set with
// textContent only.
import {$} from "./dom.js";

const TOKEN_KEY = "jieli-console:token";     // the console's login, shared within this tab

export const storedToken = () => sessionStorage.getItem(TOKEN_KEY);
export const storeToken = (token) => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/**
 * api(method, path, body) for /api/agent: the bearer token from getToken(), JSON both ways. A failure
 * throws an Error (message from `errors[code]`, the server's message, or the status) with .status and
 * .code; on a 401 (except for /login) onUnauthorized() is called first.
 */
/** @typedef {Error & {status?: number, code?: string}} ApiError a failed call: the HTTP status and the error code */

export function createApi({getToken, onUnauthorized = null, errors = null}) {
  return async function api(method, path, body) {
    const headers = {"Content-Type": "application/json"};
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(`/api/agent${path}`, {method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)});
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const code = data && data.error && data.error.code;
      const error = /** @type {ApiError} */ (new Error((errors && errors[code]) || (data && data.error && data.error.message)
        || `请求失败（${response.status}）`));
      error.status = response.status;
      error.code = code;
      if (onUnauthorized && response.status === 401 && path !== "/login") onUnauthorized();
      throw error;
    }
    return data;
  };
}

export function showLogin() {
  $("#app").hidden = true;
  $("#login").hidden = false;
  $("#login-username").focus();
}

/**
 * #login-form → POST /login; the token is stored, then onLogin(data) runs (awaited: its failure shows
 * under the form). beforeSubmit() runs first, inside the user's gesture.
 */
export function wireLogin({api, onLogin, beforeSubmit = null}) {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (beforeSubmit) beforeSubmit();
    $("#login-error").textContent = "";
    $("#login-submit").disabled = true;
    try {
      const data = await api("POST", "/login", {username: $("#login-username").value.trim(),
        password: $("#login-password").value});
      storeToken(data.token);
      $("#login-password").value = "";
      await onLogin(data);
    } catch (failure) {
      // 429: too many attempts from this address (rate_limited) or too many logins at once (login_busy)
      $("#login-error").textContent = failure.status === 401 ? "账号或密码不正确"
        : failure.status === 429 ? "登录尝试太多或太频繁，请稍等片刻再试" : failure.message;
    } finally {
      $("#login-submit").disabled = false;
    }
  });
}

/** #logout → farewell() (POST /logout by default; failures ignored), then onSignedOut(). */
export function wireLogout({api, onSignedOut, farewell = () => api("POST", "/logout")}) {
  $("#logout").addEventListener("click", async () => {
    try { await farewell(); } catch (_) { /* gone anyway */ }
    onSignedOut();
  });
}

/** The page's start: with a stored token, onToken(token) and start(agent of GET /me); else the login. */
export async function resume({api, onToken, start, onFailure}) {
  const token = storedToken();
  if (!token) { showLogin(); return; }
  onToken(token);
  try {
    start((await api("GET", "/me")).agent);
  } catch (_) {
    onFailure();
  }
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/**
 * @param {string} text
 * @param {"info" | "error"} [kind]
 */
export function toast(text, kind = "info") {
  const box = $("#toast");
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}
