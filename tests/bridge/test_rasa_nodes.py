"""The bridge with two Rasa nodes (JIELI_RASA_URL="A,B"): small real HTTP servers on loopback
stand in for them and share one tracker, as real nodes share their tracker store. A
conversation's turns reach one node while it is up, move when it is down, come back when it is
up again; a node dying under a turn loses no reply and doubles none."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import pytest_asyncio
from sanic.response import empty

from handover_bridge.domain.rasa_routing import ranking

from .conftest import ACTION_TOKEN, Harness, free_port, start_harness, stop_harness, wait_for
from .fake_rasa import FakeRasa

pytestmark = pytest.mark.asyncio

NO_BOT = "抱歉，智能助手暂时开小差了。"


class Node(FakeRasa):
    """FakeRasa's echo bot, its tracker shared by all nodes (`trackers`), logging who served
    which turn in `served`. `die` drops the connection of the next turn: "before_saving" (the
    node died while working on it) or "after_saving" (it died after saving the turn, before it
    could answer); `hang` saves the next turn, then answers only after a minute."""

    def __init__(self, name: str, port: int, trackers: dict, served: list):
        super().__init__(port, ACTION_TOKEN)
        self.name = name
        self.trackers = trackers
        self.served = served
        self.die: str | None = None
        self.hang = False

        @self.app.on_request
        async def dying(request):
            if request.path != "/webhooks/rest/webhook" or not (self.die or self.hang):
                return None
            body = request.json
            how, self.die = self.die, None
            if how == "before_saving":
                request.transport.abort()
                return empty()
            response = await self.answer(body)
            self.remember(body, json.loads(response.body))
            if self.hang:
                self.hang = False
                await asyncio.sleep(60)
                return response
            request.transport.abort()
            return empty()

    async def answer(self, body: dict[str, Any]):
        response = await super().answer(body)
        self.served.append((self.name, body["sender"], body["message"]))
        return response


class Cluster:
    """Two nodes, A and B, that can be stopped and started again on their ports."""

    def __init__(self) -> None:
        self.trackers: dict[str, list] = {}
        self.served: list[tuple[str, str, str]] = []
        self.ports = {"A": free_port(), "B": free_port()}
        self.nodes: dict[str, Node | None] = {"A": None, "B": None}
        self.bridge_url = ""
        self.harness: Harness | None = None

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def rasa_url(self) -> str:
        return f"{self.url('A')},{self.url('B')}"

    def name_of(self, url: str) -> str:
        return next(name for name in self.ports if self.url(name) == url)

    def first_choice(self, conversation_id: str) -> str:
        return self.name_of(ranking(conversation_id, [self.url("A"), self.url("B")])[0])

    async def start(self, name: str) -> Node:
        node = Node(name, self.ports[name], self.trackers, self.served)
        node.bridge_url = self.bridge_url or None
        await node.start()
        self.nodes[name] = node
        return node

    async def stop(self, name: str) -> None:
        node, self.nodes[name] = self.nodes[name], None
        if node is not None:
            await node.stop()

    def served_by(self, conversation_id: str) -> list[str]:
        return [name for name, sender, _ in self.served if sender == conversation_id]

    def times_served(self, conversation_id: str, text: str) -> int:
        return sum(1 for _, sender, message in self.served if sender == conversation_id and message == text)


@pytest_asyncio.fixture
async def cluster(store):
    """Two stand-in Rasa nodes and a bridge that knows both (a downed node is asked again after
    0.2 s, then 0.4 s …)."""
    c = Cluster()
    first = await c.start("A")
    await c.start("B")
    harness = await start_harness(store, fake=first, rasa_url=c.rasa_url, rasa_node_retry_seconds=0.2)
    c.bridge_url = harness.url
    for node in c.nodes.values():
        node.bridge_url = harness.url
    c.harness = harness
    try:
        yield c
    finally:
        await stop_harness(harness)
        for name in list(c.nodes):
            await c.stop(name)


async def transcript(harness: Harness, customer) -> list[tuple[str, str]]:
    return [(m["sender"], m["text"]) for m in (await harness.history(customer))["messages"]]


def echoed(*texts: str) -> list[tuple[str, str]]:
    """What the transcript must be: each customer message once, each reply once, in order."""
    return [pair for text in texts for pair in (("customer", text), ("bot", f"收到:{text}"))]


async def healthz_nodes(harness: Harness) -> dict[str, dict]:
    body = (await harness.http.get("/healthz")).json()
    return {node["url"]: node for node in body["checks"]["rasa"]["nodes"]}


async def test_every_turn_of_a_conversation_reaches_its_one_node_whichever_bridge_takes_it(cluster, store):
    h1 = cluster.harness
    # a second bridge on the same store lists the nodes the other way round
    h2 = await start_harness(store, fake=cluster.nodes["B"], rasa_url=f"{cluster.url('B')},{cluster.url('A')}")
    try:
        customers = [await h1.customer() for _ in range(12)]
        for turn in range(4):
            for index, customer in enumerate(customers):
                harness = (h1, h2)[(index + turn) % 2]
                await harness.say(customer, f"第{turn}句")
        for customer in customers:
            cid = customer.conversation_id
            assert cluster.served_by(cid) == [cluster.first_choice(cid)] * 4
            assert await transcript(h1, customer) == echoed(*(f"第{t}句" for t in range(4)))
        assert {cluster.first_choice(c.conversation_id) for c in customers} == {"A", "B"}  # both used
    finally:
        await stop_harness(h2)

    # the hand-back goes to the conversation's node too (resume, then the rating question)
    customer = customers[0]
    node = cluster.nodes[cluster.first_choice(customer.conversation_id)]
    agent = await h1.agent("agent-r1")
    await h1.say(customer, "转人工")
    await wait_for(lambda: _state_is(h1, customer, "assigned"), message="assignment")
    await h1.agent_call(agent, "POST", f"/conversations/{customer.conversation_id}/close", json={"return_to_bot": True})
    assert node.events == [(customer.conversation_id, {"event": "resume"})]
    assert node.triggered == [(customer.conversation_id, "request_rating")]
    other = cluster.nodes["B" if node.name == "A" else "A"]
    assert other.events == [] and other.triggered == []


async def test_conversations_move_when_their_node_is_down_and_come_back_when_it_is_up(cluster):
    h = cluster.harness
    customers = [await h.customer() for _ in range(10)]
    home = {c.conversation_id: cluster.first_choice(c.conversation_id) for c in customers}
    assert set(home.values()) == {"A", "B"}
    for customer in customers:
        await h.say(customer, "一")

    await cluster.stop("A")
    for customer in customers:
        answer = await h.say(customer, "二")
        assert [m["text"] for m in answer["messages"]] == ["二", "收到:二"]  # no apology: B answered
    for customer in customers:
        cid = customer.conversation_id
        assert cluster.served_by(cid) == [home[cid], "B"]  # A's moved, B's stayed
    nodes = await healthz_nodes(h)
    assert nodes[cluster.url("A")]["status"] == "down" and nodes[cluster.url("A")]["routing"] == "down"
    assert nodes[cluster.url("A")]["requests"]["unreachable"] == 1  # one turn found it gone; none since
    assert nodes[cluster.url("B")]["routing"] == "up"
    body = (await h.http.get("/healthz")).json()
    assert body["status"] == "degraded" and body["checks"]["rasa"]["status"] == "degraded"
    assert body["checks"]["rasa"]["nodes_up"] == 1

    await cluster.start("A")
    await wait_for(
        lambda: _routing_up(h, cluster.url("A")), timeout=15, message="the probe to bring A back"
    )  # no customer turn was needed
    for customer in customers:
        await h.say(customer, "三")
    for customer in customers:
        cid = customer.conversation_id
        assert cluster.served_by(cid) == [home[cid], "B", home[cid]]
        assert await transcript(h, customer) == echoed("一", "二", "三")
    metrics = (await h.http.get("/metrics")).text
    a = cluster.url("A")
    assert f'jieli_rasa_node_up{{node="{a}"}} 1.0' in metrics
    assert f'jieli_rasa_node_requests_total{{node="{a}",outcome="unreachable"}} 1.0' in metrics
    assert "jieli_bot_failures_total 0.0" in metrics


@pytest.mark.parametrize("how", ["after_saving", "before_saving"])
async def test_a_node_dying_under_a_turn_loses_no_reply_and_doubles_none(cluster, how):
    h = cluster.harness
    customer = await h.customer()
    cid = customer.conversation_id
    home = cluster.first_choice(cid)
    other = "B" if home == "A" else "A"
    await h.say(customer, "你好")
    cluster.nodes[home].die = how

    answer = await h.say(customer, "查订单")
    assert [m["text"] for m in answer["messages"]] == ["查订单", "收到:查订单"]
    assert cluster.times_served(cid, "查订单") == 1  # worked on once, by one node
    if how == "after_saving":  # finished by the node that died: its reply read back from the tracker
        assert cluster.served_by(cid) == [home, home]
    else:  # the dead node had not finished it: the next node did
        assert cluster.served_by(cid) == [home, other]
    assert await transcript(h, customer) == echoed("你好", "查订单")
    result = "finished" if how == "after_saving" else "sent_again"
    assert f'jieli_rasa_interrupted_turns_total{{result="{result}"}} 1.0' in (await h.http.get("/metrics")).text

    # the same client_msg_id again (a widget retry) answers from the store: nothing reaches Rasa
    before = len(cluster.served)
    response = await h.http.post(
        f"{customer.base}/messages", headers=customer.headers, json={"text": "查订单", "client_msg_id": f"m{h.counter}"}
    )
    assert [m["text"] for m in response.json()["messages"]] == ["查订单", "收到:查订单"]
    assert len(cluster.served) == before


async def test_a_turn_taken_over_from_a_dead_bridge_is_not_sent_again_when_rasa_had_finished_it(cluster, store):
    """A bridge process dies while Rasa finishes a turn: the customer's retry reaches another
    bridge, which takes the turn over (after JIELI_RASA_TIMEOUT + 1 s) and finds it in the tracker:
    the replies come from there, Rasa does not get the message a second time."""
    h1 = cluster.harness
    h2 = await start_harness(store, fake=cluster.nodes["B"], rasa_url=cluster.rasa_url, rasa_timeout=30)
    try:
        customer = await h1.customer()
        cid = customer.conversation_id
        home = cluster.nodes[cluster.first_choice(cid)]
        home.hang = True  # it saves the turn, but its answer never reaches bridge 2
        request = asyncio.create_task(h2.say(customer, "查物流", client_msg_id="k1"))
        await wait_for(lambda: cluster.times_served(cid, "查物流") == 1, message="Rasa to finish the turn")
        request.cancel()  # the customer's connection to bridge 2 is gone, and the turn with it
        await asyncio.gather(request, return_exceptions=True)
        await wait_for(lambda: not h2.bridge.conversations._inflight, message="bridge 2 to drop the turn")

        retried = await h1.say(customer, "查物流", client_msg_id="k1")  # the widget's retry, same id
        assert [m["text"] for m in retried["messages"]] == ["查物流", "收到:查物流"]
        assert cluster.times_served(cid, "查物流") == 1  # not sent again
        assert await transcript(h1, customer) == echoed("查物流")
        metrics = (await h1.http.get("/metrics")).text
        assert 'jieli_rasa_interrupted_turns_total{result="finished"} 1.0' in metrics
    finally:
        await stop_harness(h2)


async def test_a_slow_node_is_not_asked_again_elsewhere(cluster):
    """No answer in time: the node may still act on the turn, so it goes nowhere else (the
    customer hears the bot is away, as with one node)."""
    h = cluster.harness
    customer = await h.customer()
    cid = customer.conversation_id
    home = cluster.nodes[cluster.first_choice(cid)]
    home.delay = 3.0  # the harness's JIELI_RASA_TIMEOUT is 2 s
    other = cluster.nodes["B" if home.name == "A" else "A"]
    answer = await h.say(customer, "在吗")
    assert [m["text"] for m in answer["messages"]][:2] == ["在吗", NO_BOT]
    assert [c["message"] for c in home.webhook_calls if c["sender"] == cid] == ["在吗"]  # asked once
    assert [c for c in other.webhook_calls if c["sender"] == cid] == []  # and nowhere else


async def test_every_node_down_the_bot_is_away_and_healthz_says_so(cluster):
    h = cluster.harness
    customer = await h.customer()
    await cluster.stop("A")
    await cluster.stop("B")
    answer = await h.say(customer, "退款")
    assert [m["text"] for m in answer["messages"]][:2] == ["退款", NO_BOT]
    answer = await h.say(customer, "还在吗")  # said once, not on every message
    assert [m["text"] for m in answer["messages"]] == ["还在吗"]
    rasa = (await h.http.get("/healthz")).json()["checks"]["rasa"]
    assert rasa["status"] == "down" and rasa["nodes_up"] == 0
    assert {n["routing"] for n in rasa["nodes"]} == {"down"}

    await cluster.start("B")
    await wait_for(lambda: _routing_up(h, cluster.url("B")), timeout=15, message="B back")
    answer = await h.say(customer, "好了吗")
    assert [m["text"] for m in answer["messages"]] == ["好了吗", "收到:好了吗"]


async def _state_is(harness: Harness, customer, state: str) -> bool:
    return await harness.state(customer) == state


async def _routing_up(harness: Harness, url: str) -> bool:
    return (await healthz_nodes(harness))[url]["routing"] == "up"
