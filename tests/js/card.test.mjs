// The pure parts of the agent console's handover card and masking: which customer turns are masked
// (protect.js: flagged by the handover context or by the bridge), order numbers, who the customer
// is (verified by the bridge or only claimed by the browser), badges' labels (the frustration level: contract.test.mjs).
// (The profanity word list itself: profanity.test.mjs.)
import {test} from "node:test";
import assert from "node:assert/strict";
import {flaggedTexts, isAbusive, normalize} from "../../handover_bridge/static/console/protect.js";
import {claimsOf, firstText, identityLine, orderNumbers, priorityLabel, verifiedIdentity}
  from "../../handover_bridge/static/console/card.js";

test("masking: a customer turn the context or the bridge flagged is masked; others' turns never", () => {
  const flagged = flaggedTexts({transcript: [
    {sender: "user", text: "你们 客服！！都是骗子", abusive: true},
    {sender: "user", text: "我的快递呢", abusive: false},
    {sender: "bot", text: "抱歉", abusive: "true"},
  ]});
  assert.ok(flagged.has(normalize("你们客服都是骗子")));
  assert.equal(isAbusive({sender: "customer", text: "你们客服，都是骗子"}, flagged), true);   // spaces and punctuation ignored
  assert.equal(isAbusive({sender: "customer", text: "我的快递呢"}, flagged), false);
  assert.equal(isAbusive({sender: "customer", text: "x", payload: {abusive: true}}, flagged), true);
  assert.equal(isAbusive({sender: "customer", text: "x", abusive: true}, null), true);
  assert.equal(isAbusive({sender: "agent", text: "你们客服都是骗子", abusive: true}, flagged), false);
  assert.equal(flaggedTexts(null).size, 0);
});

test("order numbers: from the context and the page, each once, at most six", () => {
  const ctx = {order_id: "2024111500034503", order_ids: ["2024111500034503", 2024110800012345], slots: {order_id: " 111 "}};
  assert.deepEqual(orderNumbers(ctx, {current_order: "222", order: {id: "333"}}),
    ["2024111500034503", "2024110800012345", "111", "222", "333"]);
  assert.equal(orderNumbers({order_ids: ["1", "2", "3", "4", "5", "6", "7"]}, {}).length, 6);
  assert.deepEqual(orderNumbers({}, {}), []);
});

test("identity: only the bridge's verified record counts; the browser's claims are kept apart", () => {
  const record = {verified: true, customer_id: "u1001", name: "王女士", tier: "vip"};
  assert.equal(verifiedIdentity({identity: record}), record);
  assert.equal(verifiedIdentity({identity: {...record, verified: "true"}}), null);
  assert.equal(verifiedIdentity({identity: {verified: true}}), null);
  assert.equal(verifiedIdentity(null), null);
  assert.equal(identityLine(record), "王女士 · u1001 · VIP");
  assert.deepEqual(claimsOf({customer_id: "u1", identity: record, jieli_identity: "x", page: "订单详情"}),
    {customer_id: "u1", page: "订单详情"});
});

test("labels: priority, the first real text", () => {
  assert.equal(priorityLabel(0), "P0 低");
  assert.equal(priorityLabel("3"), "P3 紧急");
  assert.equal(priorityLabel(9), "P9 紧急");
  assert.equal(priorityLabel("x"), null);
  assert.equal(firstText(null, "  ", "摘要", "别的"), "摘要");
  assert.equal(firstText(undefined), "");
});

