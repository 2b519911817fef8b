// The shared WebSocket client (handover_bridge/static/shared/socket.js), as the widget and the console
// use it: back-off, frames, keep-alive, reconnect, and "resend since the last seq" without doubles.
import {test} from "node:test";
import assert from "node:assert/strict";
import {MAX_ATTEMPT, ReconnectingSocket, backoffDelay, parseFrame, takeBySeq} from "../../handover_bridge/static/shared/socket.js";

/** A WebSocket stand-in the test opens, feeds and drops by hand. */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;
  /** @type {FakeSocket[]} */
  static made = [];
  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    this.sent = [];
    this.closed = false;
    FakeSocket.made.push(this);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.closed = true; this.readyState = FakeSocket.CLOSED; this.onclose?.(); }
  open() { this.readyState = FakeSocket.OPEN; this.onopen(); }
  receive(data) { this.onmessage({data: typeof data === "string" ? data : JSON.stringify(data)}); }
  drop() { this.readyState = FakeSocket.CLOSED; this.onclose(); }
}

function client(t, overrides = {}) {
  FakeSocket.made = [];
  t.mock.timers.enable({apis: ["setTimeout", "setInterval", "Date"], now: 1_000_000});
  const seen = {opens: 0, frames: [], closes: [], scheduled: []};
  let url = "ws://bridge/ws/customer?conversation_id=c1&token=t";
  const socket = new ReconnectingSocket({
    url: () => url,
    onOpen: (sock) => { seen.opens += 1; sock.send({type: "hello"}); },
    onFrame: (frame) => seen.frames.push(frame),
    onClose: (info) => seen.closes.push(info),
    onSchedule: (delay) => seen.scheduled.push(delay),
    WebSocket: /** @type {any} */ (FakeSocket),
    random: () => 0.5,                   // jitter factor exactly 1
    ...overrides,
  });
  return {socket, seen, last: () => FakeSocket.made.at(-1), setUrl: (value) => { url = value; }};
}

test("back-off doubles from 500 ms up to 15 s, with ±20 % jitter", () => {
  const exact = (attempt) => backoffDelay(attempt, {random: () => 0.5});
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(exact), [500, 1000, 2000, 4000, 8000, 15000, 15000]);
  assert.equal(backoffDelay(0, {random: () => 0}), 400);
  assert.equal(backoffDelay(0, {random: () => 0.999999}), 600);
  assert.equal(backoffDelay(3, {base: 1000, jitter: false}), 8000);     // the widget's create-retry
  assert.equal(backoffDelay(MAX_ATTEMPT, {base: 1000, jitter: false}), 15000);
});

test("frames: JSON objects with a string type; anything else is ignored", () => {
  assert.deepEqual(parseFrame('{"type":"message","seq":3}'), {type: "message", seq: 3});
  for (const data of ["not json", "null", "[]", '{"type":3}', '{"seq":1}', "42"]) assert.equal(parseFrame(data), null, data);
});

test("a message is taken once by its seq; maxSeq is what to resend after", () => {
  const log = {messages: new Map(), maxSeq: 0};
  assert.equal(takeBySeq(log, {seq: 2, text: "b"}), 2);
  assert.equal(takeBySeq(log, {seq: 1, text: "a"}), 1);
  assert.equal(takeBySeq(log, {seq: 2, text: "b again"}), null);
  assert.equal(takeBySeq(log, {seq: "3"}), 3);                         // a numeric string is a seq
  for (const seq of [0, -1, 1.5, "x", null, undefined]) assert.equal(takeBySeq(log, {seq}), null, String(seq));
  assert.equal(log.maxSeq, 3);
  assert.deepEqual([...log.messages.keys()].sort(), [1, 2, 3]);
  assert.equal(log.messages.get(2).text, "b");
});

test("open: hello is sent, frames are delivered, send works only while open", (t) => {
  const {socket, seen, last} = client(t);
  assert.equal(socket.send({type: "typing"}), false);                  // nothing yet
  socket.connect();
  socket.connect();                                                    // connecting already: no second socket
  assert.equal(FakeSocket.made.length, 1);
  assert.equal(last().url, "ws://bridge/ws/customer?conversation_id=c1&token=t");
  assert.equal(socket.send({type: "typing"}), false);                  // still connecting
  last().open();
  assert.equal(seen.opens, 1);
  assert.equal(socket.open, true);
  assert.deepEqual(last().sent, [{type: "hello"}]);
  last().receive({type: "state", state: "bot"});
  last().receive("garbage");
  assert.deepEqual(seen.frames, [{type: "state", state: "bot"}]);
  assert.equal(socket.send({type: "typing"}), true);
});

test("a drop reconnects after the back-off, longer each time, and from the start once open", (t) => {
  const {socket, seen, last} = client(t);
  socket.connect();
  last().drop();                                                       // never opened
  assert.deepEqual(seen.closes, [{opened: false, failures: 1}]);
  assert.deepEqual(seen.scheduled, [500]);
  assert.equal(socket.reconnectAt, 1_000_000 + 500);
  t.mock.timers.tick(499);
  assert.equal(FakeSocket.made.length, 1);
  t.mock.timers.tick(1);
  assert.equal(FakeSocket.made.length, 2);
  last().drop();
  assert.deepEqual(seen.closes.at(-1), {opened: false, failures: 2});
  assert.equal(seen.scheduled.at(-1), 1000);
  t.mock.timers.tick(1000);
  last().open();                                                       // open: counters start again
  assert.equal(socket.attempt, 0);
  assert.equal(socket.failures, 0);
  last().drop();
  assert.deepEqual(seen.closes.at(-1), {opened: true, failures: 0});
  assert.equal(seen.scheduled.at(-1), 500);
});

test("no reconnect when url() says no (logged out, expired); close() stops everything", (t) => {
  const {socket, seen, last, setUrl} = client(t);
  socket.connect();
  last().open();
  setUrl(null);
  last().drop();
  assert.deepEqual(seen.scheduled, []);
  t.mock.timers.tick(60_000);
  assert.equal(FakeSocket.made.length, 1);

  setUrl("ws://bridge/ws/agent?token=a");
  socket.connect();
  last().drop();                                                       // a reconnect is due …
  assert.equal(seen.scheduled.length, 1);
  socket.close();                                                      // … and cancelled
  assert.equal(socket.reconnectAt, 0);
  t.mock.timers.tick(60_000);
  assert.equal(FakeSocket.made.length, 2);
});

test("reconnectNow: at once, from the shortest delay; not while connected", (t) => {
  const {socket, last} = client(t);
  socket.connect();
  last().drop();
  socket.attempt = 5;
  socket.reconnectNow();
  assert.equal(FakeSocket.made.length, 2);
  assert.equal(socket.attempt, 0);
  socket.reconnectNow();                                               // connecting: nothing more
  assert.equal(FakeSocket.made.length, 2);
  last().drop();
  t.mock.timers.tick(500);                                             // the timer of the first drop was cancelled
  assert.equal(FakeSocket.made.length, 3);
});

test("keep-alive: the console's heartbeat every 15 s", (t) => {
  const {socket, last} = client(t, {keepalive: {every: 15000, frame: () => ({type: "heartbeat"})}});
  socket.connect();
  const first = last();
  first.open();
  t.mock.timers.tick(45000);
  assert.deepEqual(first.sent, [{type: "hello"}, {type: "heartbeat"}, {type: "heartbeat"}, {type: "heartbeat"}]);
  first.drop();
  t.mock.timers.tick(15000);
  assert.equal(first.sent.length, 4);                                  // stopped with the connection
});

test("keep-alive: the widget's ping closes a connection that gives no pong within the deadline", (t) => {
  const {socket, seen, last} = client(t, {keepalive: {every: 20000, frame: () => ({type: "ping"}), deadline: 10000}});
  socket.connect();
  const first = last();
  first.open();
  t.mock.timers.tick(20000);
  assert.deepEqual(first.sent.at(-1), {type: "ping"});
  socket.alive();                                                      // pong
  t.mock.timers.tick(20000);
  assert.equal(first.closed, false);
  t.mock.timers.tick(20000);                                           // no pong to the last ping: dead
  assert.equal(first.closed, true);
  assert.deepEqual(seen.closes, [{opened: true, failures: 0}]);
  t.mock.timers.tick(500);
  assert.equal(FakeSocket.made.length, 2);                             // and reconnected
});

test("resend since the last seq: after a drop the client asks from its maxSeq and shows each message once", (t) => {
  const log = {messages: new Map(), maxSeq: 0};
  const shown = [];
  const {socket, last} = client(t, {
    onOpen: (sock) => sock.send({type: "hello", last_seq: log.maxSeq}),
    onFrame: (frame) => { if (frame.type === "message" && takeBySeq(log, frame) !== null) shown.push(frame.seq); },
  });
  socket.connect();
  last().open();
  for (const seq of [1, 2, 3]) last().receive({type: "message", seq, text: `m${seq}`});
  last().drop();
  t.mock.timers.tick(500);
  last().open();
  assert.deepEqual(last().sent, [{type: "hello", last_seq: 3}]);
  for (const seq of [3, 4, 5, 4]) last().receive({type: "message", seq, text: `m${seq}`});   // overlap and a double
  assert.deepEqual(shown, [1, 2, 3, 4, 5]);
  assert.equal(log.maxSeq, 5);
});
