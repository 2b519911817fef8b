// @ts-check
// Jieli dashboard for the support lead: the figures of GET /api/agent/analytics for a period, as
// numbers and hand-drawn SVG charts. Plain JavaScript modules, no framework, no CDN. Every text that
// comes from the store (agent names, reasons) is set with textContent; no inline styles (the page's
// CSP forbids them): sizes are SVG attributes, colours CSS classes.
import {$, $$, duration, h} from "./dom.js";
import {loadContract, reasonLabel} from "./contract.js";
import {createApi, forgetToken, resume, showLogin, wireLogin, wireLogout} from "./session.js";
import {loadProtection} from "./protection_panel.js";

await loadContract();   // the Chinese labels of the reason codes (GET /api/contract)

const NS = "http://www.w3.org/2000/svg";

const OUTCOMES = [["answered", "客服已接入"], ["cancelled", "顾客取消排队"], ["ticket", "转为留言"],
  ["waiting", "仍在排队"], ["other", "其他"]];
const ERRORS = {
  invalid_date: "日期格式不正确。", invalid_period: "开始日期不能晚于结束日期。",
  period_too_long: "时间范围最长 366 天。", invalid_days: "天数不正确。", invalid_tz: "时区不正确。",
};

const S = {token: null, me: null, loading: 0};

const api = createApi({getToken: () => S.token, errors: ERRORS});

// ---- login -------------------------------------------------------------------------------------------
wireLogin({api, onLogin: (data) => { S.token = data.token; start(data.agent); }});

function signedOut() {
  S.token = null;
  forgetToken();
  showLogin();
}

wireLogout({api, onSignedOut: signedOut});

function start(agent) {
  S.me = agent;
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#me-name").textContent = `${agent.display_name}（${agent.username}）`;
  $("#review-link").hidden = !(agent.roles || []).includes("designer");   // the designer's review queue
  if (!(agent.roles || []).includes("lead")) {
    notice("数据看板需要组长（lead）权限，请联系管理员开通。");
    $("#content").hidden = true;
    return;
  }
  $("#content").hidden = false;
  load();
}

// ---- the period (kept in the address: #days=7 or #from=…&to=…) ---------------------------------------
function period() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("from") && params.get("to")) return {from: params.get("from"), to: params.get("to")};
  const days = Number(params.get("days"));
  return {days: Number.isInteger(days) && days >= 1 && days <= 366 ? days : 7};
}

function setPeriod(value) {
  const params = new URLSearchParams(value.days ? {days: String(value.days)} : {from: value.from, to: value.to});
  if (location.hash.slice(1) !== params.toString()) location.hash = params.toString();
  else load();
}

window.addEventListener("hashchange", () => { if (S.token && S.me) load(); });

$$(".period").forEach((button) => button.addEventListener("click", () => {
  if (button.dataset.custom) {
    $("#custom").hidden = false;
    markPeriod(true);
    $("#from").focus();
    return;
  }
  $("#custom").hidden = true;
  setPeriod({days: Number(button.dataset.days)});
}));

$("#custom").addEventListener("submit", (event) => {
  event.preventDefault();
  const from = $("#from").value;
  const to = $("#to").value;
  if (!from || !to) { notice("请选择开始和结束日期。"); return; }
  if (from > to) { notice(ERRORS.invalid_period); return; }
  setPeriod({from, to});
});

$("#refresh").addEventListener("click", () => load());

function markPeriod(custom) {
  const current = period();
  $$(".period").forEach((button) => {
    const active = custom ? Boolean(button.dataset.custom)
      : (current.days ? Number(button.dataset.days) === current.days : Boolean(button.dataset.custom));
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", active ? "true" : "false");
  });
}

function notice(text) {
  const box = $("#notice");
  box.textContent = text || "";
  box.hidden = !text;
}

// ---- load and render --------------------------------------------------------------------------------
async function load() {
  const current = period();
  markPeriod(false);
  if (current.from) {
    $("#custom").hidden = false;
    $("#from").value = current.from;
    $("#to").value = current.to;
  }
  const query = new URLSearchParams(current.days ? {days: String(current.days)} : /** @type {Record<string, string>} */ (current)).toString();
  const ticket = ++S.loading;
  $("#content").setAttribute("aria-busy", "true");
  try {
    const data = await api("GET", `/analytics?${query}`);
    if (ticket !== S.loading) return;
    notice("");
    render(data);
    loadProtection(api);   // today's abuse load and cool-downs, whatever the period
  } catch (failure) {
    if (ticket !== S.loading) return;
    if (failure.status === 401) { signedOut(); return; }
    notice(failure.status === 403 ? "数据看板需要组长（lead）权限。" : `无法加载数据：${failure.message}`);
  } finally {
    if (ticket === S.loading) $("#content").setAttribute("aria-busy", "false");
  }
}

const pct = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
const num = (value) => (value === null || value === undefined ? "—" : Number(value).toLocaleString("zh-CN"));
const secs = (value) => (value === null || value === undefined ? "—" : duration(Math.round(value)));

function set(id, text) {
  $(id).textContent = text;
}

function render(d) {
  const p = d.period;
  set("#period-label", p.from === p.to ? `${p.from}（${p.days} 天）` : `${p.from} 至 ${p.to}（共 ${p.days} 天）`);
  set("#tz", p.timezone);
  set("#generated", d.generated_at.replace("T", " ").slice(0, 19));
  $("#demo-badge").hidden = !d.demo.present;
  const demoNote = $("#demo-note");
  demoNote.hidden = !d.demo.present;
  demoNote.textContent = d.demo.present
    ? `演示数据：本时段有 ${num(d.demo.conversations)} 个会话是 make demo 生成的演示会话，不是真实顾客。` : "";

  const c = d.conversations;
  set("#k-conversations", num(c.total));
  set("#k-conversations-sub", `打开 ${num(c.opened)} 次，其中 ${num(c.opened - c.total)} 次未发言`);
  set("#k-containment", pct(c.containment_rate));
  set("#k-containment-sub", `机器人独立解决 ${num(c.contained)} 个，转人工 ${num(c.handed_over)} 个，仅留言 ${num(c.ticket_only)} 个`);
  set("#k-handovers", num(d.handovers.total));
  set("#k-handovers-sub", `客服已接入 ${num(d.handovers.outcomes.answered)} 次，顾客取消 ${num(d.handovers.outcomes.cancelled)} 次`);
  const w = d.first_reply_wait;
  set("#k-wait", w.count ? `中位 ${secs(w.p50)}` : "—");
  set("#k-wait-sub", w.count ? `90% 的顾客在 ${secs(w.p90)} 内得到回复（${num(w.count)} 次）` : "本时段没有客服回复");
  const hd = d.handling;
  set("#k-handling", hd.count ? `中位 ${secs(hd.p50)}` : "—");
  set("#k-handling-sub", hd.count ? `90 分位 ${secs(hd.p90)}，平均 ${secs(hd.mean)}（${num(hd.count)} 次）` : "本时段没有结束的人工会话");
  set("#k-tickets", `${num(d.tickets.opened)} 新增`);
  set("#k-tickets-sub", `本时段回复 ${num(d.tickets.answered)} 个，当前待处理 ${num(d.tickets.open_now)} 个`);
  set("#k-rating", d.ratings.average === null ? "—" : `${d.ratings.average.toFixed(2)} 分`);
  set("#k-rating-sub", `${num(d.ratings.count)} 次评分`);
  const sg = d.suggestions;                            // agents' suggested replies (services/assist)
  set("#k-suggest", sg && sg.replies ? pct(sg.use_rate) : "—");
  set("#k-suggest-sub", sg && sg.replies
    ? `${num(sg.replies)} 条回复：原样发送 ${num(sg.as_is)}，修改后发送 ${num(sg.edited)}，未用 ${num(sg.none)}` : "本时段没有记录");
  set("#k-abuse", num(d.abuse.messages));
  set("#k-abuse-sub", `客服接待期间 ${num(d.abuse.masked_by_agents)} 条，已为客服遮挡`);

  dailyChart($("#chart-daily"), d.daily);
  barChart($("#chart-reasons"), d.handovers.by_reason.map((r) => [reasonLabel(r.reason), r.count]), "b-reason");
  donut($("#chart-categories"), d.handovers.by_category.map((r) => [r.category, r.count]));
  barChart($("#chart-outcomes"), OUTCOMES.map(([key, label]) => [label, d.handovers.outcomes[key] || 0])
    .filter(([label, n], index) => n > 0 || index < 3), "b-outcome");
  timesChart($("#chart-times"), [["首次回复等待", d.first_reply_wait], ["接入等待", d.accept_wait], ["人工处理时长", d.handling]]);
  barChart($("#chart-ratings"), [5, 4, 3, 2, 1].map((s) => [`${"★".repeat(s)}${"☆".repeat(5 - s)}`, d.ratings.distribution[String(s)] || 0]), "b-rating");
  const byAgent = d.agents.filter((a) => a.abusive_masked > 0).sort((a, b) => b.abusive_masked - a.abusive_masked)
    .map((a) => [a.display_name, a.abusive_masked]);
  barChart($("#chart-abuse"), [...byAgent, ["机器人阶段", Math.max(0, d.abuse.messages - d.abuse.masked_by_agents), "bar-bot"]]
    .filter(([, n], i, all) => n > 0 || all.length === 1), "b-abuse");
  agentsTable(d.agents);
}

// ---- SVG ----------------------------------------------------------------------------------------------
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

function empty(box, text = "本时段没有数据") {
  box.replaceChildren(h("p", {class: "empty", text}));
}

/** A round step for an axis up to `max` with about `ticks` lines. */
function step(max, ticks = 4) {
  const raw = Math.max(1, max) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

function dailyChart(box, days) {
  if (!days.length || days.every((d) => d.conversations === 0)) { empty(box); return; }
  const W = 1160, H = 260, L = 40, R = 48, T = 12, B = 30;
  const plotW = W - L - R, plotH = H - T - B;
  const maxTotal = Math.max(...days.map((d) => d.conversations));
  const unit = step(maxTotal);
  const top = Math.ceil(maxTotal / unit) * unit || unit;
  const y = (value) => T + plotH - (value / top) * plotH;
  const slot = plotW / days.length;
  const barW = Math.max(2, Math.min(56, slot * 0.6));
  const chart = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "svg daily"});
  for (let v = 0; v <= top; v += unit) {
    chart.append(svg("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid-line"}),
      svg("text", {x: L - 6, y: y(v) + 4, class: "axis", "text-anchor": "end", text: v}));
  }
  for (const pctValue of [0, 50, 100]) {
    chart.append(svg("text", {x: W - R + 6, y: T + plotH - (pctValue / 100) * plotH + 4, class: "axis rate-axis", text: `${pctValue}%`}));
  }
  const labelEvery = Math.ceil(days.length / 10);
  const points = [];
  days.forEach((d, i) => {
    const x = L + slot * i + (slot - barW) / 2;
    const human = d.conversations - d.contained;
    const title = `${d.date}：会话 ${d.conversations}，机器人解决 ${d.contained}，转人工 ${d.handovers}，留言 ${d.tickets_opened}，独立解决率 ${pct(d.containment_rate)}`;
    const group = svg("g", {class: "day"}, svg("title", {text: title}));
    if (d.contained) group.append(svg("rect", {x, y: y(d.contained), width: barW, height: y(0) - y(d.contained), class: "s-bot"}));
    if (human) group.append(svg("rect", {x, y: y(d.conversations), width: barW, height: y(d.contained) - y(d.conversations), class: "s-human"}));
    chart.append(group);
    if (i % labelEvery === 0 || days.length <= 10) {
      chart.append(svg("text", {x: x + barW / 2, y: H - 10, class: "axis", "text-anchor": "middle", text: d.date.slice(5)}));
    }
    if (d.containment_rate !== null) points.push([x + barW / 2, T + plotH - d.containment_rate * plotH]);
  });
  if (points.length > 1) {
    chart.append(svg("polyline", {points: points.map((p) => p.join(",")).join(" "), class: "rate-line"}));
  }
  for (const [px, py] of points) chart.append(svg("circle", {cx: px, cy: py, r: 3.5, class: "rate-dot"}));
  box.replaceChildren(chart);
}

function barChart(box, rows, kind) {
  if (!rows.length || rows.every(([, n]) => !n)) { empty(box); return; }
  const W = 360, row = 30, labelW = 104, valueW = 52;
  const H = rows.length * row + 4;
  const max = Math.max(...rows.map(([, n]) => n), 1);
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  const chart = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: `svg bars ${kind}`});
  rows.forEach(([label, n, extra], i) => {
    const top = i * row + 4;
    const width = Math.max(n ? 2 : 0, ((W - labelW - valueW) * n) / max);
    chart.append(svg("g", {class: "bar-row"},
      svg("title", {text: `${label}：${n}（${total ? ((n / total) * 100).toFixed(1) : 0}%）`}),
      svg("text", {x: labelW - 8, y: top + row / 2 + 1, class: "bar-label", "text-anchor": "end", text: label}),
      svg("rect", {x: labelW, y: top + 5, width, height: row - 12, rx: 3, class: `bar bar-${i}${extra ? ` ${extra}` : ""}`}),
      svg("text", {x: labelW + width + 6, y: top + row / 2 + 1, class: "bar-value", text: n})));
  });
  box.replaceChildren(chart);
}

function donut(box, rows) {
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  if (!total) { empty(box); return; }
  const R = 70, r = 44, C = 90;
  const chart = svg("svg", {viewBox: "0 0 180 180", class: "svg donut"});
  let angle = -Math.PI / 2;
  const legend = h("ul", {class: "donut-legend"});
  rows.forEach(([label, n], i) => {
    legend.append(h("li", {}, h("i", {class: `swatch seg-${i}`}), h("span", {text: label}),
      h("b", {text: `${n}（${((n / total) * 100).toFixed(0)}%）`})));
    if (!n) return;
    const sweep = Math.min((n / total) * 2 * Math.PI, 2 * Math.PI - 1e-4);
    const end = angle + sweep;
    const large = sweep > Math.PI ? 1 : 0;
    const pt = (radius, a) => `${(C + radius * Math.cos(a)).toFixed(2)} ${(C + radius * Math.sin(a)).toFixed(2)}`;
    const path = `M ${pt(R, angle)} A ${R} ${R} 0 ${large} 1 ${pt(R, end)} L ${pt(r, end)} A ${r} ${r} 0 ${large} 0 ${pt(r, angle)} Z`;
    chart.append(svg("path", {d: path, class: `seg seg-${i}`}, svg("title", {text: `${label}：${n}`})));
    angle = end;
  });
  chart.append(svg("text", {x: C, y: C - 2, class: "donut-total", "text-anchor": "middle", text: total}),
    svg("text", {x: C, y: C + 18, class: "donut-caption", "text-anchor": "middle", text: "次转人工"}));
  box.replaceChildren(chart, legend);
}

function timesChart(box, groups) {
  const values = groups.flatMap(([, s]) => [s.p50, s.p90]).filter((v) => v !== null && v !== undefined);
  if (!values.length) { empty(box); return; }
  const W = 360, labelW = 96, valueW = 118, group = 58;
  const H = groups.length * group;
  const max = Math.max(...values, 1);
  const chart = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "svg times"});
  groups.forEach(([label, s], i) => {
    const top = i * group + 6;
    chart.append(svg("text", {x: labelW - 8, y: top + 20, class: "bar-label", "text-anchor": "end", text: label}));
    [["p50", "中位"], ["p90", "90分位"]].forEach(([key, name], j) => {
      const value = s[key];
      const width = value ? Math.max(2, ((W - labelW - valueW) * value) / max) : 0;
      const y0 = top + j * 22;
      chart.append(svg("g", {},
        svg("title", {text: `${label} ${name}：${secs(value)}（${s.count} 次）`}),
        svg("rect", {x: labelW, y: y0, width, height: 16, rx: 3, class: `bar t-${key}`}),
        svg("text", {x: labelW + width + 6, y: y0 + 12, class: "bar-value", text: `${name} ${secs(value)}`})));
    });
  });
  box.replaceChildren(chart);
}

function agentsTable(agents) {
  const body = $("#agents");
  body.replaceChildren(...agents.map((a) => h("tr", {},
    h("td", {}, h("b", {text: a.display_name}), h("span", {class: "muted small", text: `（${a.username}）`})),
    h("td", {text: num(a.handovers)}),
    h("td", {text: secs(a.handling_mean)}),
    h("td", {text: num(a.ratings)}),
    h("td", {text: a.rating_mean === null ? "—" : a.rating_mean.toFixed(2)}),
    h("td", {class: a.abusive_masked ? "abuse" : "", text: num(a.abusive_masked)}))));
  $("#agents-empty").hidden = agents.length > 0;
}

resume({api, onToken: (token) => { S.token = token; }, start, onFailure: signedOut});
