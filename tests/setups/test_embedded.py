"""`make demo`'s set-up under supervisord: Rasa killed with -9 in the middle of a conversation is
restarted while the bridge keeps serving (the customer hears "暂时开小差" meanwhile), and the
restarted Rasa continues the conversation from its SQLite tracker store — it still knows the order
number and the question it had asked."""

from __future__ import annotations

import asyncio
import stat

import httpx
import pytest

from .conftest import BOT_DOWN, shipped_order
from .widget_client import WidgetClient

pytestmark = pytest.mark.asyncio


async def test_rasa_killed_mid_conversation_is_restarted_and_remembers(embedded):
    order = shipped_order()
    assert embedded.names() == ["actions-1", "rasa-1", "bridge-1"]
    state_dir = embedded.layout.state_dir
    tracker_db = state_dir / "rasa" / "trackers.db"
    assert tracker_db.exists(), "Rasa keeps its trackers in SQLite under the state folder"
    for private in ("supervisord.conf", "log/endpoints.yml", "secrets.json"):  # they hold tokens
        assert stat.S_IMODE((state_dir / private).stat().st_mode) == 0o600, private

    async with httpx.AsyncClient(timeout=60) as http:
        customer = await WidgetClient(embedded.url, http).open()
        try:
            assert any("订单号" in text for text in await customer.say("我的快递到哪了"))
            asked = await customer.say(order["order_id"])
            assert any("手机号的后四位" in text for text in asked), asked  # the pending question

            others = {name: embedded.pid(name) for name in ("actions-1", "bridge-1")}
            killed = embedded.kill("rasa-1")
            rasa = embedded.program("rasa-1")
            while await asyncio.to_thread(rasa.healthy):  # gone once the kernel has ended it
                await asyncio.sleep(0.1)
            meanwhile = await customer.say("在吗")
            assert any(BOT_DOWN in text for text in meanwhile), meanwhile
            assert customer.connections == 1, "the bridge kept serving: the socket never dropped"

            # in a thread: the event loop keeps answering the socket's pings meanwhile
            restarted = await asyncio.to_thread(embedded.wait_restarted, "rasa-1", killed)
            assert restarted != killed
            assert {name: embedded.pid(name) for name in others} == others, "only Rasa was restarted"

            answer = "\n".join(await customer.say(f"尾号{order['phone'][-4:]}"))
            assert order["tracking_no"] in answer, answer  # it knew the order number and what it had asked

            stored = await customer.caught_up()
            assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
            assert customer.doubled == [] and sorted(customer.seen) == [m["seq"] for m in stored]
            said = [m["text"] for m in stored if m["sender"] == "customer"]
            assert said == ["我的快递到哪了", order["order_id"], "在吗", f"尾号{order['phone'][-4:]}"]
        finally:
            await customer.close()
