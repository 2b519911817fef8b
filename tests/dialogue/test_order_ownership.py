"""Orders belong to someone — whole conversations in one process with the trained model and the
real actions (tests/dialogue/harness.py) on a seeded shop database: an anonymous customer asking
for an order gets no details and cannot cancel it; its logged-in owner can; the last four digits of
the order's phone work as a second factor; failed lookups stop after a limit.

Skipped when there is no trained model (`make train`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "jieli.tar.gz"
SHIPPED = "2024111800045604"  # C1002's 接力 Air earphones, shipped by SF, phone 13600004444
PAID = "2024112000023402"  # C1002's night lights, paid ¥99.80, phone 13900002222
UNPAID = "2024112000012301"  # C1001's T-shirt, waiting for payment, phone 13800001111
NEWS = "2024111500034503"  # C1001's cold medicine, refund rejected, phone 13700003333
DETAILS = ("接力 Air", "SF1428305566704", "199")  # what the order of SHIPPED would give away
ASK = "为了保护您的订单信息，请先登录，或告诉我下单手机号的后四位～"

pytestmark = [
    pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `make train`"),
    pytest.mark.filterwarnings("ignore"),
]


@pytest.fixture
def fresh(bot):
    from actions.lookup_guard import get_guard

    get_guard().reset()
    bot.bridge.bodies.clear()
    yield bot
    get_guard().reset()


def status_of(order_id: str) -> str:
    from actions.shop.factory import get_adapter

    return get_adapter().get_order(order_id).status


def gives_away(text: str) -> list[str]:
    return [fact for fact in DETAILS if fact in text]


def test_an_anonymous_customer_gets_no_details_and_cannot_cancel(fresh):
    conversation = fresh.conversation(customer_id="C1002")  # a claim in the metadata, not a login
    reply = conversation.say(f"查一下订单 {SHIPPED}")
    assert gives_away(reply.said) == [] and ASK in reply.said
    reply = conversation.say(f"取消订单 {PAID}")
    assert "确认要取消" not in reply.said and "99.80" not in reply.said and ASK in reply.said
    conversation.say("确认取消")
    assert status_of(PAID) == "paid"
    assert not any("action_handover" in r.actions for r in conversation.replies)


def test_policy_questions_need_no_login(fresh):
    conversation = fresh.conversation()
    reply = conversation.say("你们支持七天无理由退货吗")
    assert ASK not in reply.said and ("7" in reply.said or "七" in reply.said), reply.said


def test_the_owner_sees_the_order_and_can_cancel(fresh):
    conversation = fresh.verified_conversation("C1002")
    reply = conversation.say(f"查一下订单 {SHIPPED}")
    assert "SF1428305566704" in reply.said and ASK not in reply.said
    reply = conversation.say(f"取消订单 {PAID}")
    assert f"确认要取消订单 {PAID}" in reply.said
    reply = conversation.say("确认")
    assert f"已为您取消订单 {PAID}" in reply.said
    assert status_of(PAID) == "cancelled"


def test_someone_elses_login_does_not_open_the_order(fresh):
    conversation = fresh.verified_conversation("C1001")
    reply = conversation.say(f"订单{SHIPPED}到哪了")
    assert gives_away(reply.said) == [] and "在您当前登录的账号下没有查到" in reply.said


@pytest.mark.parametrize("answer", ["尾号4444", "后四位是 4444", "4444"])
def test_the_phones_last_four_digits_carry_on_with_the_question(fresh, answer):
    conversation = fresh.conversation()
    reply = conversation.say(f"我的订单{SHIPPED}到哪了")
    assert ASK in reply.said and gives_away(reply.said) == []
    reply = conversation.say(answer)
    assert "SF1428305566704" in reply.said, (reply.actions, reply.said)
    # remembered for this conversation: no second question about the same order
    reply = conversation.say(f"订单号{SHIPPED}现在到哪了")
    assert "SF1428305566704" in reply.said and ASK not in reply.said


def test_cancel_with_the_digits(fresh):
    conversation = fresh.conversation()
    assert ASK in conversation.say(f"帮我取消订单{UNPAID}").said
    reply = conversation.say("手机尾号1111")
    assert f"确认要取消订单 {UNPAID}" in reply.said, (reply.actions, reply.said)
    reply = conversation.say("确认")
    assert f"已为您取消订单 {UNPAID}" in reply.said
    assert status_of(UNPAID) == "cancelled"


def test_wrong_digits_get_a_retry_and_then_a_person_is_suggested(fresh):
    conversation = fresh.conversation()
    conversation.say(f"订单{NEWS}的退款怎么样了")
    first = conversation.say("尾号1234")
    assert "对不上" in first.said and "78.30" not in first.said
    conversation.say("后四位是 5678")
    third = conversation.say("尾号 9012")
    assert "不再核对" in third.said and "登录" in third.said and "转人工" in third.said
    assert "78.30" not in " ".join(r.said for r in conversation.replies)
    reply = conversation.say("尾号3333")  # even the right digits: no more offers in this conversation
    assert "78.30" not in reply.said


def test_failed_lookups_stop_after_the_limit(fresh):
    """A logged-in customer trying order numbers that are not theirs: after five misses the bot
    stops looking orders up for a while — even their own."""
    conversation = fresh.verified_conversation("C1001")
    for serial in range(5):
        reply = conversation.say(f"查一下订单 20241120{serial:08d}")
        assert "暂停" not in reply.said
    reply = conversation.say(f"查一下订单 {NEWS}")
    assert "订单查询先暂停一会儿" in reply.said and "78.30" not in reply.said


def test_a_bare_number_of_repeated_digits_is_the_answer(fresh):
    conversation = fresh.conversation()
    assert ASK in conversation.say(f"订单{UNPAID}现在什么状态").said
    reply = conversation.say("1111")
    assert "纯棉短袖T恤" in reply.said, (reply.actions, reply.said)


def test_not_remembering_the_digits_is_answered_kindly(fresh):
    conversation = fresh.conversation()
    conversation.say(f"订单{SHIPPED}到哪了")
    reply = conversation.say("不记得了")
    assert "登录后就能直接查看订单" in reply.said and gives_away(reply.said) == []
