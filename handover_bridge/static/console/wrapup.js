// @ts-check
// Wrap-up in one click: the close dialog is pre-filled from the chat (GET …/wrapup) — what the
// customer really asked (one of the bot's intents) and a one- or two-sentence summary of how it was
// resolved, in the note (stored with the result as the close's resolution). The agent confirms or
// edits; anything the agent already typed or picked is left alone.
import {$} from "./dom.js";
import {api} from "./state.js";

/**
 * @param {import("./state.js").Chat} chat
 * @param {Promise<void>} intentsReady the intent list of the dialog, loading
 */
export async function prefillClose(chat, intentsReady) {
  const hint = $("#close-prefill");
  hint.hidden = true;
  hint.textContent = "";
  let data;
  try {
    data = await api("GET", `/conversations/${encodeURIComponent(chat.id)}/wrapup`);
  } catch (_) {
    return;                                   // the dialog works as before, empty
  }
  await intentsReady;
  if (!$("#close-dialog").open) return;
  const note = /** @type {HTMLTextAreaElement} */ ($("#close-note"));
  if (!note.value.trim() && typeof data.resolution === "string") note.value = data.resolution;
  const select = /** @type {HTMLSelectElement} */ ($("#close-intent"));
  if (!select.value && typeof data.intent === "string"
      && [...select.options].some((option) => option.value === data.intent)) {
    select.value = data.intent;
  }
  hint.textContent = "已根据对话预填意图和小结，请确认或修改。";
  hint.hidden = false;
}
