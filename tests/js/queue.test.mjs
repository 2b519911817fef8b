// What a waiting customer reads: the queue banner's text (words.js) from the queue frames and the
// stored queue notices (controls.js queueOf).
import {test} from "node:test";
import assert from "node:assert/strict";
import {T} from "../../handover_bridge/static/widget/src/words.js";
import {queueOf} from "../../handover_bridge/static/widget/src/controls.js";

const banner = (frame) => {
  const queue = queueOf(frame);
  return queue && T.queue(queue.ahead, queue.eta_seconds);
};

test("next in line, and how many are ahead", () => {
  assert.equal(banner({position: 1, eta_seconds: 30}), "正在为您转接人工客服，您是下一位，预计等待不到 1 分钟");
  assert.equal(banner({position: 4, eta_seconds: 150}), "正在为您转接人工客服，前面还有 3 位，预计等待 3 分钟");
});

test("the expected wait: under a minute, whole minutes rounded up, none when no agent is online", () => {
  assert.equal(banner({position: 2, eta_seconds: 59}), "正在为您转接人工客服，前面还有 1 位，预计等待不到 1 分钟");
  assert.equal(banner({position: 2, eta_seconds: 60}), "正在为您转接人工客服，前面还有 1 位，预计等待 1 分钟");
  assert.equal(banner({position: 2, eta_seconds: 61}), "正在为您转接人工客服，前面还有 1 位，预计等待 2 分钟");
  assert.equal(banner({position: 2, eta_seconds: null}), "正在为您转接人工客服，前面还有 1 位，当前暂无客服在线，您可以先留言");
  assert.equal(banner({position: 2}), "正在为您转接人工客服，前面还有 1 位，当前暂无客服在线，您可以先留言");
});

test("the bridge's `ahead` wins over the position; never below zero", () => {
  assert.deepEqual(queueOf({position: 5, ahead: 2, eta_seconds: "120", agents_online: 3}),
    {position: 5, ahead: 2, eta_seconds: 120, agents_online: 3});
  assert.equal(queueOf({position: 1, ahead: -3}).ahead, 0);
  assert.equal(queueOf({position: "3"}).ahead, 2);
});

test("no banner without a real position", () => {
  for (const position of [0, -1, "x", null, undefined]) assert.equal(queueOf({position}), null, String(position));
});
