// @ts-check
// Jieli review queue for conversation designers (GET/POST /api/agent/review/…): what customers
// asked before and during a handover, what the agent answered; accept (edited) or reject each one,
// then export the accepted ones as Rasa training data. Everything a customer or an agent wrote is
// set with textContent or as a form value, never as HTML; no inline styles (the page's CSP).
import {$, $$, dateTime, h, isObject} from "./dom.js";
import {loadContract, reasonLabel} from "./contract.js";
import {createApi, forgetToken, resume, showLogin, toast, wireLogin, wireLogout} from "./session.js";

await loadContract();   // the Chinese labels of the reason codes (GET /api/contract)

const STATUS = {pending: "待审核", accepted: "已采纳", exported: "已导出", rejected: "已驳回"};
const SKIP_REASONS = {duplicate: "训练数据里已有", empty: "没有新的问法", too_short: "太短", too_long: "太长"};

const S = {token: null, me: null, status: "pending", intents: [], items: []};

const api = createApi({getToken: () => S.token, onUnauthorized: () => signedOut()});

// ---- login -------------------------------------------------------------------------------------------
wireLogin({api, onLogin: (data) => { S.token = data.token; start(data.agent); }});

function signedOut() {
  S.token = null;
  forgetToken();
  showLogin();
}

wireLogout({api, onSignedOut: signedOut});

async function start(agent) {
  S.me = agent;
  const roles = Array.isArray(agent.roles) ? agent.roles : [];
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#me-name").textContent = `${agent.display_name}（${agent.username}）`;
  $("#dashboard-link").hidden = !roles.includes("lead");
  const designer = roles.includes("designer");
  $("#no-role").hidden = designer;
  $("#review").hidden = !designer;
  if (!designer) return;
  try {
    S.intents = ((await api("GET", "/review/intents")).items || []).filter(isObject);
  } catch (failure) {
    toast(failure.message, "error");
  }
  await load();
}

// ---- the list ------------------------------------------------------------------------------------------
$$(".filter").forEach((button) => button.addEventListener("click", () => {
  S.status = button.dataset.status;
  load();
}));

async function load() {
  $$(".filter").forEach((b) => b.classList.toggle("active", b.dataset.status === S.status));
  try {
    const data = await api("GET", `/review/candidates?status=${encodeURIComponent(S.status)}&limit=100`);
    S.items = (data.items || []).filter(isObject);
    for (const [status, count] of Object.entries(data.counts || {})) {
      const badge = $(`.count[data-count="${status}"]`);
      if (badge) badge.textContent = String(count);
    }
    render();
  } catch (failure) {
    toast(failure.message, "error");
  }
}

function render() {
  $("#candidates").replaceChildren(...S.items.map(card));
  $("#empty").hidden = S.items.length > 0;
  $("#empty").textContent = S.status === "pending" ? "暂时没有需要审核的对话 🎉" : "这里还没有内容";
}

function intentLabel(name) {
  const found = S.intents.find((i) => i.name === name);
  return found ? `${found.label}（${found.name}）` : name;
}

function intentSelect(value) {
  const select = h("select", {class: "c-intent", "aria-label": "顾客其实想问的是"},
    h("option", {value: ""}, "— 未标注 —"),
    S.intents.map((i) => h("option", {value: i.name, selected: i.name === value}, `${i.label}（${i.name}）`)));
  if (value && !S.intents.some((i) => i.name === value)) {
    select.append(h("option", {value, selected: true}, value));
  }
  return select;
}

function exampleRow(text) {
  const row = h("li", {class: "example"},
    h("input", {class: "c-example", type: "text", maxlength: 200, value: text, "aria-label": "顾客的问法"}),
    h("button", {class: "btn small ghost", type: "button", title: "删除这个问法",
      onclick: () => { row.remove(); }}, "删除"));
  return row;
}

function exportAs(item, node) {
  const reusable = $(".c-reusable", node).checked;
  const answer = $(".c-answer", node).value.trim();
  const intent = $(".c-intent", node).value;
  const target = $(".c-export-as", node);
  if (reusable && answer) target.textContent = "导出为：新的常见问答（机器人直接用这条答复回答）";
  else if (intent) target.textContent = `导出为：「${intentLabel(intent)}」的新问法`;
  else target.textContent = "请选择意图，或勾选「答复可复用」";
  $(".c-answer-box", node).hidden = !reusable;
}

/**
 * Which suggested reply the agent's replies used (services/assist): one line, or nothing.
 * @param {Object<string, any>} item
 */
function suggestionLine(item) {
  const uses = Array.isArray(item.suggestions_used) ? item.suggestions_used.filter(isObject) : [];
  const used = uses.filter((u) => u.how === "as_is" || u.how === "edited");
  if (!uses.length) return null;
  const text = used.length
    ? used.map((u) => `${u.source_label || u.source}「${u.title || ""}」（${u.how === "as_is" ? "原样发送" : "修改后发送"}）`).join("；")
    : "没有使用建议回复";
  return h("p", {class: "suggestion-used muted small"}, "用到的建议回复：", h("span", {text}));
}

function card(item) {
  const ho = isObject(item.handover) ? item.handover : {};
  const node = h("li", {class: `candidate status-${item.status}`, dataset: {id: item.id}});
  const examples = h("ul", {class: "examples"}, (item.examples || []).map(exampleRow));
  const reusable = h("input", {class: "c-reusable", type: "checkbox", checked: Boolean(item.reusable)});
  const answer = h("textarea", {class: "c-answer", rows: 3, maxlength: 1000, "aria-label": "可复用的答复",
    value: item.answer || ""});
  const note = h("input", {class: "c-note", type: "text", maxlength: 500, value: item.note || "",
    placeholder: "备注（可选）", "aria-label": "备注"});
  const error = h("p", {class: "error c-error", role: "alert"});
  const transcript = h("details", {class: "transcript"}, h("summary", {}, "查看完整对话"),
    h("div", {class: "transcript-body"}, h("p", {class: "muted", text: "展开后加载…"})));
  transcript.addEventListener("toggle", () => { if (transcript.open) loadTranscript(item, transcript); });

  node.append(
    h("header", {class: "c-head"},
      h("strong", {text: `#${item.id}`}),
      h("span", {class: `badge status ${item.status}`, text: STATUS[item.status] || item.status}),
      item.demo ? h("span", {class: "badge demo", title: "make demo 生成的演示数据，不会导出", text: "演示"}) : null,
      ho.reason ? h("span", {class: "badge reason", text: reasonLabel(ho.reason)}) : null,
      ho.category ? h("span", {class: "badge cat", text: ho.category}) : null,
      h("span", {class: "spacer"}),
      h("span", {class: "muted small", text: [item.agent && item.agent.display_name ? `客服 ${item.agent.display_name}` : "",
        ho.closed_at ? `结束于 ${dateTime(ho.closed_at)}` : ""].filter(Boolean).join(" · ")})),
    suggestionLine(item),
    h("p", {class: "bot-intent muted"}, "机器人当时理解为：",
      h("span", {class: "mono", text: item.bot_intent ? intentLabel(item.bot_intent) : "没听懂"})),
    h("div", {class: "c-body"},
      h("section", {class: "c-part"}, h("h3", {}, "顾客的问法"), examples,
        h("button", {class: "btn small", type: "button", onclick: () => {
          const row = exampleRow("");
          examples.append(row);
          $("input", row).focus();
        }}, "＋ 添加问法")),
      h("section", {class: "c-part"},
        h("label", {class: "field"}, "顾客其实想问的是", intentSelect(item.intent)),
        h("label", {class: "check"}, reusable, " 答复可复用（作为常见问答，机器人直接回答）"),
        h("label", {class: "field c-answer-box"}, "客服的答复", answer),
        h("p", {class: "c-export-as"}), note)),
    transcript,
    h("footer", {class: "c-actions"}, error, h("span", {class: "spacer"}),
      h("button", {class: "btn danger c-reject", type: "button", disabled: item.status === "rejected",
        onclick: (e) => reject(item, node, e.target)}, "驳回"),
      h("button", {class: "btn primary c-accept", type: "button", onclick: (e) => accept(item, node, e.target)},
        item.status === "pending" || item.status === "rejected" ? "采纳" : "保存修改")));
  for (const input of [reusable, answer, $(".c-intent", node)]) {
    input.addEventListener("input", () => exportAs(item, node));
    input.addEventListener("change", () => exportAs(item, node));
  }
  exportAs(item, node);
  return node;
}

async function loadTranscript(item, details) {
  const body = $(".transcript-body", details);
  if (details.dataset.loaded) return;
  try {
    const data = await api("GET", `/conversations/${encodeURIComponent(item.conversation_id)}`);
    const labels = {customer: "顾客", bot: "机器人", agent: "客服", system: "系统"};
    body.replaceChildren(...(data.messages || []).filter(isObject).map((m) =>
      h("p", {class: `line ${m.sender}`}, h("span", {class: "who", text: labels[m.sender] || m.sender}),
        h("span", {class: "text", text: m.text || ""}))));
    details.dataset.loaded = "1";
  } catch (failure) {
    body.replaceChildren(h("p", {class: "error", text: failure.message}));
  }
}

async function accept(item, node, button) {
  const error = $(".c-error", node);
  error.textContent = "";
  const examples = $$(".c-example", node).map((i) => i.value.trim()).filter(Boolean);
  const body = {examples, intent: $(".c-intent", node).value || null,
    reusable: $(".c-reusable", node).checked, answer: $(".c-answer", node).value.trim() || null,
    note: $(".c-note", node).value.trim() || null};
  if (!examples.length) { error.textContent = "请至少保留一个顾客的问法"; return; }
  if (body.reusable && !body.answer) { error.textContent = "请填写可复用的答复"; return; }
  if (!body.reusable && !body.intent) { error.textContent = "请选择意图，或勾选「答复可复用」"; return; }
  button.disabled = true;
  try {
    await api("POST", `/review/candidates/${item.id}/accept`, body);
    toast("已采纳，导出训练数据后生效");
    await load();
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
}

async function reject(item, node, button) {
  button.disabled = true;
  try {
    await api("POST", `/review/candidates/${item.id}/reject`, {note: $(".c-note", node).value.trim() || null});
    toast("已驳回");
    await load();
  } catch (failure) {
    $(".c-error", node).textContent = failure.message;
    button.disabled = false;
  }
}

// ---- export ----------------------------------------------------------------------------------------------
async function runExport(dryRun) {
  const box = $("#export-result");
  const buttons = [$("#export-preview"), $("#export-run")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const data = await api("POST", "/review/export", {dry_run: dryRun});
    const intents = Object.entries(data.intents || {}).map(([name, n]) => `${name === "faq" ? "常见问答" : intentLabel(name)} ${n} 条`);
    const skipped = (data.skipped || []).filter(isObject);
    box.replaceChildren(
      h("h2", {}, dryRun ? "导出预览（还没有写入）" : "已导出训练数据 ✅"),
      h("p", {}, `共 ${data.entries} 组、${data.examples} 条问法，其中常见问答 ${data.faqs} 条。`,
        intents.length ? `（${intents.join("，")}）` : ""),
      h("p", {class: "muted small"}, "文件：", h("code", {text: data.path || ""})),
      skipped.length ? h("details", {class: "skipped"}, h("summary", {}, `跳过 ${skipped.length} 条`),
        h("ul", {}, skipped.map((s) => h("li", {},
          `#${s.candidate} `, s.example ? h("q", {text: s.example}) : "整条候选",
          `：${SKIP_REASONS[s.reason] || s.reason}`, s.where ? `（${s.where}）` : ""))))
        : null,
      dryRun ? h("pre", {class: "yaml", text: data.text || "（没有可导出的内容）"})
        : h("p", {class: "next"}, "下一步：在项目目录运行 ", h("code", {}, "make train"), " 重新训练，智能助手就会用上这些答复。"));
    box.hidden = false;
    if (!dryRun) {
      toast(`已导出 ${data.entries} 组训练数据`);
      await load();
    }
  } catch (failure) {
    box.replaceChildren(h("p", {class: "error", text: failure.message}));
    box.hidden = false;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

$("#export-preview").addEventListener("click", () => runExport(true));
$("#export-run").addEventListener("click", () => runExport(false));

resume({api, onToken: (token) => { S.token = token; }, start, onFailure: signedOut});
