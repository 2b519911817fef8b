"""One state machine: the transition table in domain/states.py, checked by the only writer of a
conversation's state (repositories/conversations.transition), a CHECK constraint in the store, and a
409 where a client asks for an impossible move."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from handover_bridge.domain import states
from handover_bridge.domain.states import TRANSITIONS, InvalidTransition, State
from handover_bridge.repositories import conversations as conversations_repo

from .conftest import wait_for


async def _assigned(harness, customer) -> bool:
    return await harness.state(customer) == "assigned"


def test_the_table_is_the_documented_one():
    allowed = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert allowed == {
        ("bot", "queued"),
        ("bot", "ticket"),
        ("queued", "assigned"),
        ("queued", "bot"),
        ("queued", "ticket"),
        ("assigned", "assigned"),
        ("assigned", "queued"),
        ("assigned", "bot"),
        ("assigned", "closed"),
    }
    assert set(TRANSITIONS) == set(State)


@pytest.mark.parametrize(
    "current, to",
    [
        ("bot", "assigned"),
        ("bot", "closed"),
        ("closed", "bot"),
        ("ticket", "queued"),
        ("queued", "closed"),
        ("nonsense", "bot"),
        ("bot", "nonsense"),
    ],
)
def test_an_impossible_transition_is_a_conflict(current, to):
    with pytest.raises(InvalidTransition) as raised:
        states.check(current, to)
    assert raised.value.status == 409 and raised.value.code == "bad_state"
    assert current in raised.value.message and to in raised.value.message


def test_only_bot_mode_sends_to_rasa():
    assert [s for s in State if states.goes_to_bot(s)] == [State.BOT]
    assert states.goes_to_bot("bot") and not states.goes_to_bot("queued")


@pytest.mark.asyncio
async def test_the_store_refuses_an_impossible_transition_and_an_unknown_state(harness):
    customer = await harness.customer()
    db = harness.bridge.ctx.db
    with pytest.raises(InvalidTransition):
        async with db.write() as session:
            await conversations_repo.transition(
                session, customer.conversation_id, [State.BOT], State.CLOSED, actor="test"
            )
    assert await harness.state(customer) == "bot"
    with pytest.raises(Exception) as raised:
        async with db.write() as session:
            await session.execute(
                text("UPDATE conversations SET state = 'lost' WHERE id = :id"), {"id": customer.conversation_id}
            )
    assert "ck_conversations_state" in str(raised.value) or "CHECK" in str(raised.value).upper()
    assert await harness.state(customer) == "bot"


@pytest.mark.asyncio
async def test_a_client_asking_for_an_impossible_move_gets_409(harness):
    customer = await harness.customer()
    await harness.agent()  # online: the handover is assigned to them
    await harness.handover(customer, reason="request_human")
    await wait_for(lambda: _assigned(harness, customer), message="assigned")
    response = await harness.http.post(
        f"{customer.base}/ticket", headers=customer.headers, json={"message": "请回电", "contact": "13800000000"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "bad_state"
    assert "assigned" in response.json()["error"]["message"]
    assert await harness.state(customer) == "assigned"


@pytest.mark.asyncio
async def test_after_a_handover_nothing_the_customer_writes_reaches_rasa(harness):
    customer = await harness.customer()
    await harness.say(customer, "你好")
    calls = len(harness.fake.webhook_calls)
    await harness.handover(customer, reason="request_human")
    answer = await harness.say(customer, "还在吗？")
    assert answer["state"] == "queued" and [m["sender"] for m in answer["messages"]] == ["customer"]
    assert len(harness.fake.webhook_calls) == calls
