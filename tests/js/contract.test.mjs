// The contract's labels in the pages (static/console/contract.js), with the JSON GET /api/contract
// serves (jieli_contract.as_public_json; tests/fixtures/handover has contexts from the real action).
import {test} from "node:test";
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import {fileURLToPath} from "node:url";
import {categoryLabel, channelLabel, frustrationLabel, frustrationLevel, knownSignal, reasonLabel, signalLabel, stateLabel,
  useContract} from "../../handover_bridge/static/console/contract.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// the contract as the bridge serves it (stdlib-only Python: any interpreter on the machine reads it)
const CONTRACT = JSON.parse(execFileSync("python3", ["-c",
  "import json, jieli_contract; print(json.dumps(jieli_contract.as_public_json(), ensure_ascii=False))"],
{cwd: ROOT, encoding: "utf-8"}));

test("before the contract is loaded every label is the code itself, and no level is guessed", () => {
  useContract(null);
  assert.equal(reasonLabel("abuse"), "abuse");
  assert.equal(frustrationLabel(0.9), null);
});

test("reasons, signals, states and categories in Chinese; older reason codes too", () => {
  useContract(CONTRACT);
  assert.equal(reasonLabel("request_human"), "顾客要求人工");
  assert.equal(reasonLabel("repeated_question"), CONTRACT.reasons.repeated_question.label);
  assert.equal(reasonLabel("customer_request"), "顾客要求人工");
  assert.equal(reasonLabel("something_new"), "something_new");
  assert.equal(reasonLabel(""), null);
  assert.equal(signalLabel("pending_description"), CONTRACT.signals.pending_description.label);
  assert.ok(knownSignal("unreadable_turns") && !knownSignal("values") && !knownSignal("thresholds"));
  assert.equal(stateLabel("queued"), "排队中");
  assert.equal(categoryLabel("物流"), "物流");
});

test("frustration levels: 平静 < 0.3 ≤ 不满 < 0.7 ≤ 愤怒, from a score, a label or a code", () => {
  useContract(CONTRACT);
  assert.deepEqual([0, 0.29, 0.3, 0.69, 0.7, 1].map(frustrationLabel), ["平静", "平静", "不满", "不满", "愤怒", "愤怒"]);
  assert.equal(frustrationLabel("不满"), "不满");
  assert.equal(frustrationLabel("angry"), "愤怒");
  assert.equal(frustrationLabel(45), "不满");                 // a percentage
  assert.equal(frustrationLevel("0.8").code, "angry");
  assert.equal(frustrationLevel("平静").value < 0.3, true);
  assert.equal(frustrationLabel(null), null);
  assert.equal(frustrationLabel("perhaps"), null);
});

test("the card's pure parts: a claimed order as plain words, the frustration of a real context", async () => {
  useContract(CONTRACT);
  const {frustrationOf, plain} = await import("../../handover_bridge/static/console/handover_card.js");
  assert.equal(plain({order_id: "2024111500034503", amount: "78.30"}), "2024111500034503 · ¥78.30");
  assert.equal(plain({model_id: "x"}), "");
  assert.equal(plain(["a", {id: 7}]), "a、7");
  const fs = await import("node:fs");
  for (const name of fs.readdirSync(new URL("../fixtures/handover/", import.meta.url))) {
    const {context} = JSON.parse(fs.readFileSync(new URL(`../fixtures/handover/${name}`, import.meta.url), "utf-8")).body;
    const level = frustrationOf(context);
    if (context.frustration_level === undefined) assert.equal(level, null, name);
    else assert.equal(level.label, context.frustration_level, name);   // the action's level, read back the same
  }
});

test("channels: where the customer is, as the card's badge says it", () => {
  useContract(CONTRACT);
  assert.equal(channelLabel("wechat"), "微信");
  assert.equal(channelLabel("web"), "网页");
  assert.equal(channelLabel(undefined), "网页");  // conversations from before channels: the widget
  assert.equal(channelLabel("rasa_webchat"), "网页");
  assert.equal(channelLabel("fax"), "fax");
});
