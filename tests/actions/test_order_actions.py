"""action_order_status, action_cancel_order, action_change_address, action_continue_order."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.order_actions import ActionCancelOrder, ActionChangeAddress, ActionContinueOrder, ActionOrderStatus
from actions.shop.factory import get_adapter
from jieli_testkit import ASK_ORDER_ID, HUMAN, load_tracker, message, run_action

CANCEL = {"title": "取消订单", "payload": "/cancel_order"}
HOW_TO_RETURN = {"title": "怎么退货", "payload": '/return_exchange{"topic":"how_to_return"}'}
CONFIRM = [{"title": "确认取消", "payload": "/affirm"}, {"title": "先不取消", "payload": "/deny"}]
NOT_FOUND = (
    "没有查到订单 2024000000000000 😥 麻烦核对一下订单号（在「我的订单 → 订单详情」里可以复制）。"
    "如果确认没有错，我帮您转人工客服查一下。"
)


def status_of(order_id: str) -> tuple[list[dict], list[dict]]:
    tracker = load_tracker(
        "order_status_shipped",
        as_owner=True,
        text=f"订单号{order_id}到哪了",
        entities=[{"entity": "order_id", "value": order_id}],
        slots={"order_id": order_id},
    )
    return run_action(ActionOrderStatus(), tracker)


# ---------------------------------------------------------------------------------------------
# order status


def test_no_order_number_asks_for_it():
    events, messages = run_action(ActionOrderStatus(), load_tracker("order_status_no_id", as_owner=True))
    assert events == [SlotSet("order_topic", "order_status")]
    assert messages == [ASK_ORDER_ID]


def test_general_dispatch_question_answers_and_asks_for_the_number():
    events, messages = run_action(
        ActionOrderStatus(), load_tracker("order_status_no_id", as_owner=True, text="怎么还没发货")
    )
    assert events == [SlotSet("order_topic", "order_status")]
    assert messages == [
        message(
            "现货商品付款后 48 小时内发货，预售商品以商品页写明的发货时间为准。发货后在「我的订单 → 订单详情」就能看到快递单号。"
        ),
        ASK_ORDER_ID,
    ]


def test_general_shipping_question_needs_no_order_number():
    events, messages = run_action(
        ActionOrderStatus(), load_tracker("order_status_no_id", as_owner=True, text="你们发什么快递？")
    )
    assert events == []
    assert len(messages) == 1 and messages[0]["text"].startswith("我们按商品和地区安排快递")


def test_shipping_topic_button():
    tracker = load_tracker(
        "order_status_no_id",
        as_owner=True,
        text='/order_status{"topic":"remote"}',
        entities=[{"entity": "topic", "value": "remote"}],
    )
    events, messages = run_action(ActionOrderStatus(), tracker)
    assert events == [] and "新疆、西藏、青海、宁夏、内蒙古属于偏远地区" in messages[0]["text"]


def test_shipped_order_gives_carrier_tracking_number_and_latest_event():
    events, messages = run_action(ActionOrderStatus(), load_tracker("order_status_shipped", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "订单 2024111800045604（接力 Air 蓝牙耳机 ×1）已经发货，顺丰速运运单号 SF1428305566704。"
            "最新物流（11月20日 08:00）：【北京市】快件交给快递员王师傅，正在派送途中。"
        )
    ]


def test_news_case_overdue_dispatch_and_rejected_refund():
    """Paid 5 days ago, not shipped, refund auto-rejected: apologise, explain, offer cancel and a person."""
    events, messages = run_action(ActionOrderStatus(), load_tracker("order_status_news_case", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "订单 2024111500034503（感冒灵颗粒 ×1、维生素C泡腾片 ×2）是 11月15日 10:00 付的款，按承诺应该在 "
            "11月17日 10:00 前发货，现在已经超时 3 天还没发出，真的非常抱歉让您久等了！\n"
            "您 11月18日 10:00 申请的退款 ¥78.30 已被驳回，原因是「系统自动驳回：订单状态异常」。"
            "这是系统自动审核的结果，不是最终结论。您可以转人工复核，客服会优先为您处理。\n"
            "订单还没发货，您可以直接取消订单，¥78.30 会全额原路退回支付宝（余额或付款银行卡），1–3 个工作日到账；"
            "也可以转人工客服帮您加急处理。",
            buttons=[CANCEL, HUMAN],
        )
    ]


def test_paid_order_within_promise_gives_the_dispatch_deadline():
    events, messages = status_of("2024112000023402")
    assert messages == [
        message(
            "订单 2024112000023402（三键感应小夜灯 ×2）已付款，正在等待发货。您是 11月20日 04:00 付的款，"
            "我们承诺 48 小时内发货，最晚 11月22日 04:00 前发出；发货后随时可以找我查物流。"
        )
    ]


def test_stale_tracking_offers_a_person():
    events, messages = status_of("2024111300056705")
    assert messages == [
        message(
            "订单 2024111300056705（仿真人工草坪 ×1）已经发货，中通快递运单号 78812345678905。"
            "最新物流（11月16日 10:00）：【兰州市】快件到达 兰州转运中心。\n"
            "物流已经 4 天没有更新了，非常抱歉！我可以帮您转人工联系快递核实；确认丢件的话，我们负责补发或全额退款。",
            buttons=[HUMAN],
        )
    ]


@pytest.mark.parametrize(
    "order_id,facts",
    [
        ("2024112000012301", ["还没付款", "应付 ¥79.00", "30 分钟内没付款会自动取消"]),
        ("2024111500067806", ["已于 11月18日 10:00 签收", "签收 7 天内（到 11月25日 10:00）支持无理由退货"]),
        ("2024111700012311", ["已于 11月19日 10:00 签收", "有问题"]),
        ("2024111000078907", ["已于 11月10日 10:30 取消", "订单没有付款，不会产生任何费用"]),
        ("2024110800089008", ["当前状态：退款中", "¥158.00 正在处理中", "仓库签收 48 小时内验货", "3–7 个工作日"]),
        ("2024110300090109", ["当前状态：已退款", "退款 ¥49.90 已于 11月10日 10:00 退出", "支付宝"]),
        ("2024110800011210", ["当前状态：退款被拒", "影响二次销售", "补充凭证"]),
        ("2024111800012313", ["当前状态：退款中", "退款 ¥50.00 已于 11月20日 07:00 同意", "付款银行卡"]),
        ("2024111900012312", ["已付款，正在等待发货", "最晚 11月21日 04:00 前发出"]),
    ],
)
def test_every_status_is_specific(order_id, facts):
    events, messages = status_of(order_id)
    assert events == [] and len(messages) == 1
    for fact in facts:
        assert fact in messages[0]["text"], fact


def test_medicine_delivery_does_not_promise_no_reason_returns():
    _, messages = status_of("2024111700012311")
    assert "无理由" not in messages[0]["text"]


def test_unknown_order_number(env):
    env(JIELI_ORDER_SECOND_FACTOR="none")  # a shop where only logged-in customers see orders
    tracker = load_tracker(
        "order_status_shipped",
        as_owner=True,
        text="订单号2024000000000000到哪了",
        entities=[{"entity": "order_id", "value": "2024000000000000"}],
        slots={"order_id": "2024000000000000"},
    )
    events, messages = run_action(ActionOrderStatus(), tracker)
    assert events == [SlotSet("order_id", None), SlotSet("order_topic", "order_status")]
    assert messages == [message(NOT_FOUND, buttons=[HUMAN])]


def test_order_number_from_the_slot():
    tracker = load_tracker("order_status_no_id", as_owner=True, slots={"order_id": "2024111800045604"})
    events, messages = run_action(ActionOrderStatus(), tracker)
    assert events == [] and "顺丰速运运单号 SF1428305566704" in messages[0]["text"]


def test_order_number_in_the_text_when_the_entity_was_missed():
    """Full-width digits, no entity: the same rule as the NLU finds it; the slot is set."""
    tracker = load_tracker(
        "order_status_no_id",
        customer="C1002",
        text="单号：２０２４１１１８０００４５６０４",
        slots={"order_id": "2024112000012301"},
    )
    events, messages = run_action(ActionOrderStatus(), tracker)
    assert events == [SlotSet("order_id", "2024111800045604")]
    assert "SF1428305566704" in messages[0]["text"]


def test_answering_clears_a_stale_order_topic():
    tracker = load_tracker("order_status_shipped", as_owner=True, slots={"order_topic": "cancel_order"})
    events, _ = run_action(ActionOrderStatus(), tracker)
    assert events == [SlotSet("order_topic", None)]


# ---------------------------------------------------------------------------------------------
# cancel


def test_cancel_without_number_asks_for_it():
    events, messages = run_action(ActionCancelOrder(), load_tracker("cancel_no_id", as_owner=True))
    assert events == [SlotSet("order_topic", "cancel_order")]
    assert messages == [ASK_ORDER_ID]


def test_cancel_paid_order_asks_to_confirm():
    events, messages = run_action(ActionCancelOrder(), load_tracker("cancel_paid", as_owner=True))
    assert events == [SlotSet("pending_confirm", "cancel_order")]
    assert messages == [
        message(
            "确认要取消订单 2024112000023402\uff08三键感应小夜灯 ×2\uff0c¥99.80\uff09吗？"
            "取消后 ¥99.80 会全额原路退回微信（零钱或付款银行卡），1–3 个工作日到账。",
            buttons=CONFIRM,
        )
    ]
    assert get_adapter().get_order("2024112000023402").status == "paid", "nothing is cancelled before yes"


def test_cancel_unpaid_order_asks_to_confirm():
    tracker = load_tracker("cancel_no_id", as_owner=True, slots={"order_id": "2024112000012301"})
    events, messages = run_action(ActionCancelOrder(), tracker)
    assert events == [SlotSet("pending_confirm", "cancel_order")]
    assert messages[0]["text"].endswith("吗？订单还没付款，取消后不会产生任何费用。")
    assert messages[0]["buttons"] == CONFIRM


def test_cancel_shipped_order_suggests_refusal_or_return():
    tracker = load_tracker("cancel_no_id", as_owner=True, slots={"order_id": "2024111800045604"})
    events, messages = run_action(ActionCancelOrder(), tracker)
    assert events == []
    assert messages == [
        message(
            "订单 2024111800045604 已经发货了（顺丰速运 SF1428305566704），没办法直接取消 🙏 您可以："
            "1）快递派送时直接拒收，包裹退回仓库后为您全额退款；"
            "2）签收后 7 天内申请无理由退货（寄回运费您承担，买了运费险的可以理赔）。",
            buttons=[HOW_TO_RETURN, HUMAN],
        )
    ]


@pytest.mark.parametrize(
    "order_id,text",
    [
        ("2024111500067806", "订单 2024111500067806 已经签收，不能取消了。不想要的话，签收 7 天内可以申请退货。"),
        ("2024111000078907", "订单 2024111000078907 已经是取消状态了，不需要再操作。"),
        (
            "2024111800012313",
            "订单 2024111800012313 当前状态是「退款中」，不能再取消了。需要的话我帮您转人工客服看看。",
        ),
    ],
)
def test_cancel_refused_by_status(order_id, text):
    events, messages = run_action(
        ActionCancelOrder(), load_tracker("cancel_no_id", as_owner=True, slots={"order_id": order_id})
    )
    assert events == [] and messages[0]["text"] == text


def test_cancel_unknown_order_waits_for_a_corrected_number(env):
    env(JIELI_ORDER_SECOND_FACTOR="none")
    tracker = load_tracker("cancel_no_id", as_owner=True, text="取消订单2024000000000000")
    events, messages = run_action(ActionCancelOrder(), tracker)
    assert events == [SlotSet("order_topic", "cancel_order")]
    assert messages == [message(NOT_FOUND, buttons=[HUMAN])]


# ---------------------------------------------------------------------------------------------
# change address


def test_change_address_unshipped():
    events, messages = run_action(ActionChangeAddress(), load_tracker("change_address_unshipped", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "订单 2024111900012312 还没发货，地址来得及改：打开「我的订单 → 订单详情 → 修改地址」，收货人、电话和地址都能改，"
            "每个订单可以自助修改 1 次。App 里改不了的话，转人工客服帮您改，发货前都来得及。",
            buttons=[HUMAN],
        )
    ]


def test_change_address_shipped_gives_the_carrier_hotline():
    tracker = load_tracker(
        "change_address_unshipped",
        as_owner=True,
        slots={"order_id": "2024111300056705"},
        entities=[],
        text="地址写错了",
    )
    events, messages = run_action(ActionChangeAddress(), tracker)
    assert events == []
    assert messages == [
        message(
            "订单 2024111300056705 已经发出（中通快递 78812345678905），订单里的地址改不了了。"
            "您可以拨打中通快递客服电话 95311，报运单号申请改派（可能产生改派费）；也可以转人工，我们帮您联系快递。",
            buttons=[HUMAN],
        )
    ]


def test_change_address_after_delivery():
    tracker = load_tracker(
        "change_address_unshipped", as_owner=True, slots={"order_id": "2024111500067806"}, entities=[], text="改地址"
    )
    events, messages = run_action(ActionChangeAddress(), tracker)
    assert messages == [
        message(
            "订单 2024111500067806 当前状态是「已签收」，不需要再修改收货地址了。如果收货遇到问题，告诉我具体情况就好。"
        )
    ]


def test_change_address_without_number():
    tracker = load_tracker(
        "change_address_unshipped", as_owner=True, entities=[], text="地址填错了", slots={"order_id": None}
    )
    events, messages = run_action(ActionChangeAddress(), tracker)
    assert events == [SlotSet("order_topic", "change_address")] and messages == [ASK_ORDER_ID]


# ---------------------------------------------------------------------------------------------
# continue once the number arrives


def test_continue_with_order_status():
    events, messages = run_action(ActionContinueOrder(), load_tracker("continue_order_status", as_owner=True))
    assert events == [SlotSet("order_topic", None)]
    assert messages[0]["text"].startswith("订单 2024111300056705（仿真人工草坪 ×1）已经发货")


def test_continue_without_topic_defaults_to_status():
    tracker = load_tracker("continue_order_status", as_owner=True, slots={"order_topic": None})
    events, messages = run_action(ActionContinueOrder(), tracker)
    assert events == [] and "中通快递运单号 78812345678905" in messages[0]["text"]


def test_continue_with_cancel():
    tracker = load_tracker(
        "continue_order_status",
        as_owner=True,
        slots={"order_topic": "cancel_order"},
        text="2024112000023402",
        entities=[{"entity": "order_id", "value": "2024112000023402"}],
    )
    tracker.slots["order_id"] = "2024112000023402"
    events, messages = run_action(ActionContinueOrder(), tracker)
    assert events == [SlotSet("order_topic", None), SlotSet("pending_confirm", "cancel_order")]
    assert messages[0]["text"].startswith("确认要取消订单 2024112000023402")


def test_continue_with_change_address():
    tracker = load_tracker("continue_order_status", as_owner=True, slots={"order_topic": "change_address"})
    events, messages = run_action(ActionContinueOrder(), tracker)
    assert events == [SlotSet("order_topic", None)]
    assert "中通快递客服电话 95311" in messages[0]["text"]


def test_continue_with_refund():
    events, messages = run_action(ActionContinueOrder(), load_tracker("refund_rejected_continue", as_owner=True))
    assert events == [SlotSet("order_topic", None)]
    assert messages == [
        message(
            "订单 2024111500034503 付款后超过 48 小时还没发货，非常抱歉让您久等了！\n"
            "您 11月18日 10:00 申请的退款 ¥78.30 已被驳回，原因是「系统自动驳回：订单状态异常」。"
            "这是系统自动审核的结果，不是最终结论。您可以转人工复核，客服会优先为您处理。\n"
            "订单还没发货，您可以直接取消订单，¥78.30 会全额原路退回支付宝（余额或付款银行卡），1–3 个工作日到账。",
            buttons=[CANCEL, HUMAN],
        )
    ]


def test_continue_without_any_number_asks_again():
    tracker = load_tracker(
        "refund_rejected_continue", as_owner=True, text="我找不到订单号", entities=[], slots={"order_id": None}
    )
    events, messages = run_action(ActionContinueOrder(), tracker)
    assert events == [SlotSet("order_topic", "refund")] and messages == [ASK_ORDER_ID]
