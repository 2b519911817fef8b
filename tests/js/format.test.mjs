// Formatting shown to agents and customers: waits, clock times, dates (dom.js, the widget's util.js),
// and where the widget finds its bridge (config.js).
import {test} from "node:test";
import assert from "node:assert/strict";

process.env.TZ = "Asia/Shanghai";          // the shops' time zone; set before any Date is formatted

const {clock, dateTime, duration, show} = await import("../../handover_bridge/static/console/dom.js");
const widget = await import("../../handover_bridge/static/widget/src/util.js");
const {bridgeOf} = await import("../../handover_bridge/static/widget/src/config.js");

test("waits read as seconds, minutes and seconds, hours and minutes", () => {
  assert.equal(duration(0), "0秒");
  assert.equal(duration(59.9), "59秒");
  assert.equal(duration(75), "1分15秒");
  assert.equal(duration(605), "10分05秒");
  assert.equal(duration(3600 + 7 * 60 + 5), "1小时7分");
  for (const nonsense of [-5, "x", null, undefined]) assert.equal(duration(nonsense), "0秒");
});

test("clock times: 24-hour HH:MM in the shop's time zone; a bad time shows nothing", () => {
  assert.equal(clock("2024-11-15T01:41:00Z"), "09:41");
  assert.equal(widget.clock("2024-11-15T15:05:00Z"), "23:05");
  assert.equal(clock("not a time"), "");
  assert.equal(widget.clock("not a time"), "");
  assert.match(clock(undefined), /^\d\d:\d\d$/);                     // now
});

test("date and time: month/day and 24-hour time", () => {
  assert.equal(dateTime("2024-11-15T01:41:00Z"), "11/15 09:41");
  assert.equal(dateTime("nope"), "");
});

test("show(): any value as short text, objects as JSON, long text cut with an ellipsis", () => {
  assert.equal(show(null), "");
  assert.equal(show(12), "12");
  assert.equal(show({a: 1}), '{"a":1}');
  assert.equal(show("订单".repeat(10), 5), "订单订单订…");
});

test("the widget's bridge: data-bridge, else the script's origin, else the page's; no trailing slash", () => {
  const here = {href: "https://shop.example.cn/item/1", origin: "https://shop.example.cn"};
  assert.equal(bridgeOf({src: "https://kf.example.cn/widget.js", dataset: {bridge: "https://bridge.example.cn//"}}, here),
    "https://bridge.example.cn");
  assert.equal(bridgeOf({src: "https://kf.example.cn/widget.js", dataset: {}}, here), "https://kf.example.cn");
  assert.equal(bridgeOf(null, here), "https://shop.example.cn");
});
