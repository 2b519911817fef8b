// @ts-check
// Leave a message (留言): offered while queued or when no agent can take the chat.
import {T} from "./words.js";
import {el, isObject} from "./util.js";
import {W, emit, ui} from "./state.js";
import {ensureConversation, http} from "./conversation.js";
import {insertAfterSeq, openPanel, removeTicketForm, scrollToEnd, setState} from "./controls.js";

/**
 * @param {boolean} focus
 * @param {number} [seq] the ticket offer's seq: the form goes right after it
 */
export function showTicketForm(focus, seq) {
  if (!["bot", "queued"].includes(W.state) && !focus) return;
  if (!ui.ticket) {
    const message = el("textarea", {rows: "3", maxlength: "2000", placeholder: T.ticketMessage, "aria-label": T.ticketMessage});
    const contact = el("input", {type: "text", maxlength: "100", placeholder: T.ticketContact, "aria-label": T.ticketContact,
      autocomplete: "tel"});
    const error = el("div", {class: "jl-card-error", role: "alert"});
    const submit = el("button", {class: "jl-primary", type: "submit"}, T.ticketSubmit);
    const lastQuestion = [...W.messages.values()].reverse().find((m) => m.sender === "customer" &&
      !(isObject(m.payload) && m.payload.type === "button") && !String(m.text).startsWith("/") && !/人工/.test(m.text));
    if (lastQuestion) message.value = lastQuestion.text;
    const form = el("form", {class: "jl-card jl-ticket"}, el("h3", {text: T.ticketTitle}), el("p", {text: T.ticketHint}),
      message, contact, error, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      if (!message.value.trim() || !contact.value.trim()) { error.textContent = T.ticketMissing; return; }
      submit.disabled = true;
      submit.textContent = T.ticketSending;
      try {
        await ensureConversation();
        const data = await http("POST", `/api/conversations/${encodeURIComponent(W.conversation.id)}/ticket`,
          {message: message.value.trim(), contact: contact.value.trim()});
        submit.textContent = T.ticketDone;
        setState(data.state || "ticket");
        emit("ticket", {ticket: data.ticket});
        setTimeout(removeTicketForm, 600);
      } catch (failure) {
        error.textContent = failure.message || T.errorGeneric;
        submit.disabled = false;
        submit.textContent = T.ticketSubmit;
      }
    });
    ui.ticket = form;
  }
  if (seq) insertAfterSeq(ui.ticket, seq);
  else if (!ui.ticket.isConnected) ui.log.append(ui.ticket);
  if (focus) {
    openPanel();
    ui.ticket.querySelector("textarea").focus();
  }
  scrollToEnd();
}
