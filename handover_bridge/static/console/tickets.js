// @ts-check
// Tickets: the messages customers left when no agent could take them; answer (optionally with a
// reply sent to the customer) or close. A reply being typed survives a refresh of the list.
import {$, dateTime, h, isObject, show} from "./dom.js";
import {hasProfanity} from "./protect.js";
import {toast} from "./session.js";
import {S, api} from "./state.js";
import {TICKET_STATUS, claimsOf, identityLine, verifiedIdentity} from "./card.js";
import {plain} from "./handover_card.js";
import {maskedText} from "./mask.js";

export async function refreshTickets() {
  const status = $("#ticket-filter").value;
  try {
    const [listing, open] = await Promise.all([api("GET", `/tickets?status=${encodeURIComponent(status)}`),
      status === "open" ? null : api("GET", "/tickets?status=open")]);
    S.tickets = listing.items || [];
    $("#ticket-count").textContent = String((open ? open.items : S.tickets).length);
    renderTickets();
  } catch (_) { /* shown on the next try */ }
}

$("#ticket-filter").addEventListener("change", refreshTickets);

/** Replies being typed, by ticket id: a refresh of the list (a new ticket arrives, the tab is
 * opened again) redraws it and must not wipe what the agent is writing. */
const ticketDrafts = new Map();

function renderTickets() {
  $("#tickets-empty").hidden = S.tickets.length > 0;
  const focused = document.activeElement && document.activeElement.classList.contains("ticket-reply")
    ? /** @type {HTMLElement | null} */ (document.activeElement.closest(".ticket"))?.dataset.ticketId : null;
  $("#ticket-list").replaceChildren(...S.tickets.map((t) => {
    const meta = claimsOf(isObject(t.metadata) ? t.metadata : {});
    const ident = verifiedIdentity(t.metadata);
    const reply = h("textarea", {class: "ticket-reply", rows: "2", maxlength: "2000", placeholder: "回复内容（可选，会发给顾客）",
      "aria-label": "回复内容"});
    reply.value = ticketDrafts.get(String(t.id)) || "";
    reply.addEventListener("input", () => ticketDrafts.set(String(t.id), reply.value));
    const answered = t.status !== "open";
    return h("li", {class: `ticket ticket-${t.status}`, dataset: {ticketId: t.id}},
      h("header", {}, h("strong", {text: `#${t.id}`}), h("span", {class: `badge status-${t.status}`, text: TICKET_STATUS[t.status] || t.status}),
        h("span", {class: "muted small", text: dateTime(t.created_at)}),
        ident ? h("span", {class: "small q-identity verified", text: `已验证 ${identityLine(ident)}`})
          : meta.customer_id ? h("span", {class: "muted small", text: `顾客自述 ${show(meta.customer_id, 30)}`}) : null,
        meta.current_order ? h("span", {class: "small"}, "订单 ", h("b", {class: "order-no", text: plain(meta.current_order, 30)})) : null),
      h("p", {class: "ticket-message"}, maskedText(String(t.message ?? ""), hasProfanity(t.message))),
      h("p", {class: "small"}, "联系方式：", h("b", {text: show(t.contact, 100)})),
      t.reply ? h("p", {class: "small ticket-answer"}, "已回复：", h("span", {text: show(t.reply, 500)})) : null,
      t.status === "closed" ? null : h("div", {class: "ticket-actions"}, answered ? null : reply,
        answered ? null : h("button", {class: "btn small primary ticket-answer-btn", type: "button", onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api("POST", `/tickets/${t.id}/answer`, reply.value.trim() ? {reply: reply.value.trim()} : {});
            ticketDrafts.delete(String(t.id));
            toast("已标记为已回复");
            refreshTickets();
          } catch (failure) { toast(failure.message, "error"); e.target.disabled = false; }
        }}, "标记已回复"),
        h("button", {class: "btn small", type: "button", onclick: async () => {
          try { await api("POST", `/tickets/${t.id}/close`); refreshTickets(); } catch (failure) { toast(failure.message, "error"); }
        }}, "关闭工单")));
  }));
  if (focused) $(`#ticket-list .ticket[data-ticket-id="${CSS.escape(focused)}"] .ticket-reply`)?.focus();
}
