"""action_product_usage and the yes/no actions."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.confirm_actions import ActionHandleAffirm, ActionHandleDeny
from actions.product_actions import ActionProductUsage
from actions.shop.factory import get_adapter
from jieli_testkit import ASK_ORDER_ID, HUMAN, load_tracker, message, question, run_action

# ---------------------------------------------------------------------------------------------
# product usage


def test_nightlight_buttons():
    events, messages = run_action(ActionProductUsage(), load_tracker("usage_nightlight_buttons", as_owner=True))
    assert events == [SlotSet("product", "nightlight")]
    assert messages == [
        message(
            "三个按键从左到右：①电源键：短按开/关灯；长按 3 秒开启或关闭感应模式（指示灯蓝色闪 2 下表示切换成功）。"
            "②模式键：短按在暖光、自然光、冷白光之间切换；双击开启或关闭彩色氛围光。"
            "③亮度键：短按在 25%、50%、100% 三档亮度间切换；长按 3 秒进入无级调光，松手即停；双击开启 30 分钟定时关灯。"
        )
    ]


def test_follow_up_uses_the_product_slot():
    events, messages = run_action(ActionProductUsage(), load_tracker("usage_followup_reset", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "同时按住模式键和亮度键 5 秒，指示灯蓝色常亮 3 秒后松手，就恢复了出厂设置（自然光、50% 亮度、关闭感应模式、取消定时）。"
        )
    ]


def test_a_one_character_name_does_not_switch_from_the_product_of_the_chat():
    # "白灯也不闪啊" in a chat about the earphones is their light, not the night light ("灯")
    tracker = load_tracker(
        "usage_unknown_product", as_owner=True, text="盒子打开了 白灯也不闪啊", slots={"product": "earbuds"}
    )
    events, messages = run_action(ActionProductUsage(), tracker)
    assert events == []
    assert "小夜灯" not in str(messages) and "耳机" in str(messages)
    # with no product in the chat, "灯" still names the night light
    alone = load_tracker("usage_unknown_product", as_owner=True, text="灯不亮了怎么办")
    events, _ = run_action(ActionProductUsage(), alone)
    assert events == [SlotSet("product", "nightlight")]


def test_unknown_product_asks_which_one():
    events, messages = run_action(ActionProductUsage(), load_tracker("usage_unknown_product", as_owner=True))
    assert events == []
    assert messages == [
        question(
            "您想了解哪款商品的使用方法？点下面的商品，或者直接告诉我商品名称~",
            buttons=[
                {"title": "三键感应小夜灯", "payload": '/product_usage{"topic":"nightlight"}'},
                {"title": "接力 Air 蓝牙耳机", "payload": '/product_usage{"topic":"earbuds"}'},
                {"title": "接力 1.7L 电热水壶", "payload": '/product_usage{"topic":"kettle"}'},
                {"title": "维生素C泡腾片", "payload": '/product_usage{"topic":"vitc"}'},
            ],
        )
    ]


def test_product_button_shows_its_topics():
    tracker = load_tracker(
        "usage_unknown_product",
        as_owner=True,
        text='/product_usage{"topic":"earbuds"}',
        entities=[{"entity": "topic", "value": "earbuds"}],
    )
    events, messages = run_action(ActionProductUsage(), tracker)
    assert events == [SlotSet("product", "earbuds")]
    assert messages == [
        question(
            "接力 Air 蓝牙耳机的配对、触控和充电，您想了解哪一项？",
            buttons=[
                {"title": "蓝牙配对", "payload": '/product_usage{"topic":"earbuds_pairing"}'},
                {"title": "恢复出厂设置", "payload": '/product_usage{"topic":"earbuds_reset"}'},
                {"title": "充电和续航", "payload": '/product_usage{"topic":"earbuds_charging"}'},
                {"title": "触控操作", "payload": '/product_usage{"topic":"earbuds_controls"}'},
            ],
        )
    ]


def test_topic_button_selects_product_and_topic():
    tracker = load_tracker(
        "usage_unknown_product",
        as_owner=True,
        text='/product_usage{"topic":"kettle_descale"}',
        entities=[{"entity": "topic", "value": "kettle_descale"}],
        slots={"product": "nightlight"},
    )
    events, messages = run_action(ActionProductUsage(), tracker)
    assert events == [SlotSet("product", "kettle")]
    assert messages[0]["text"].startswith("建议每月除垢一次")


@pytest.mark.parametrize(
    "text,product,fact,buttons",
    [
        ("灯不亮了", "nightlight", "先充电 10 分钟以上", [HUMAN]),
        ("小夜灯的指示灯一直红色闪烁", "nightlight", "红色闪烁 = 电量低于 10%", []),
        ("耳机怎么恢复出厂设置", "earbuds", "长按充电盒背面按键 10 秒", [HUMAN]),
        ("怎么配对", "earbuds", "Jieli Air", []),
        ("耳机充满要多久", "earbuds", "充满约 1.5 小时", []),
        ("水壶不加热了", "kettle", "自动断电保护", [HUMAN]),
        ("维C泡腾片怎么保存", "vitc", "阴凉干燥处", []),
        ("泡腾片一天吃几片", "vitc", "成人一日 1 片", []),
        ("泡腾片拆了能退吗", "vitc", "没有质量问题不能退换", []),
    ],
)
def test_product_topics(text, product, fact, buttons):
    events, messages = run_action(ActionProductUsage(), load_tracker("usage_unknown_product", as_owner=True, text=text))
    assert events == [SlotSet("product", product)]
    assert fact in messages[0]["text"] and messages[0]["buttons"] == buttons


def test_product_named_without_a_question_shows_its_topics():
    events, messages = run_action(
        ActionProductUsage(), load_tracker("usage_unknown_product", as_owner=True, text="电热水壶")
    )
    assert events == [SlotSet("product", "kettle")]
    assert messages[0]["text"] == "接力 1.7L 电热水壶的使用、保温和清洁，您想了解哪一项？"
    assert len(messages[0]["buttons"]) == 4


def test_ambiguous_question_without_product_asks_which_one():
    """ "充电" is in several manuals: ask instead of guessing."""
    events, messages = run_action(
        ActionProductUsage(), load_tracker("usage_unknown_product", as_owner=True, text="怎么充电")
    )
    assert events == [] and messages[0]["text"].startswith("您想了解哪款商品的使用方法")


# ---------------------------------------------------------------------------------------------
# affirm / deny


def test_affirm_cancels_and_tells_the_refund_timeline():
    events, messages = run_action(ActionHandleAffirm(), load_tracker("affirm_cancel", as_owner=True))
    assert events == [SlotSet("pending_confirm", None)]
    assert messages == [
        message(
            "已为您取消订单 2024112000023402。退款 ¥99.80 会原路退回微信（零钱或付款银行卡），"
            "1–3 个工作日到账。还有什么可以帮您？"
        )
    ]
    assert get_adapter().get_order("2024112000023402").status == "cancelled"
    assert get_adapter().get_refund("2024112000023402").status == "approved"


@pytest.mark.parametrize(
    "order_id,text",
    [
        ("2024112000012301", "已为您取消订单 2024112000012301。订单没有付款，不会产生任何费用。还有什么可以帮您？"),
        (
            "2024111900012312",
            "已为您取消订单 2024111900012312。退款 ¥239.00 会退回花呗额度，1–3 个工作日恢复；"
            "如果这笔已经还款，会退回支付宝余额；分期的后续账单会自动取消。还有什么可以帮您？",
        ),
        (
            "2024111500034503",
            "已为您取消订单 2024111500034503。退款 ¥78.30 会原路退回支付宝（余额或付款银行卡），"
            "1–3 个工作日到账。还有什么可以帮您？",
        ),
    ],
)
def test_affirm_cancel_by_payment_method(order_id, text):
    tracker = load_tracker("affirm_cancel", as_owner=True, slots={"order_id": order_id})
    events, messages = run_action(ActionHandleAffirm(), tracker)
    assert events == [SlotSet("pending_confirm", None)] and messages == [message(text)]


def test_affirm_when_the_order_shipped_meanwhile():
    tracker = load_tracker("affirm_cancel", as_owner=True, slots={"order_id": "2024111800045604"})
    events, messages = run_action(ActionHandleAffirm(), tracker)
    assert events == [SlotSet("pending_confirm", None)]
    assert messages[0]["text"].startswith("订单 2024111800045604 已经发货了")


def test_affirm_twice_does_not_cancel_twice():
    run_action(ActionHandleAffirm(), load_tracker("affirm_cancel", as_owner=True))
    events, messages = run_action(ActionHandleAffirm(), load_tracker("affirm_cancel", as_owner=True))
    assert messages == [message("订单 2024112000023402 已经是取消状态了，不需要再操作。")]


def test_affirm_cancel_without_order_number_asks_for_it():
    tracker = load_tracker("affirm_cancel", as_owner=True, slots={"order_id": None})
    events, messages = run_action(ActionHandleAffirm(), tracker)
    assert events == [SlotSet("pending_confirm", None), SlotSet("order_topic", "cancel_order")]
    assert messages == [ASK_ORDER_ID]


def test_affirm_cancel_unknown_order():
    tracker = load_tracker("affirm_cancel", as_owner=True, slots={"order_id": "2024000000000000"})
    events, messages = run_action(ActionHandleAffirm(), tracker)
    assert events == [SlotSet("pending_confirm", None)]
    assert messages == [
        message(
            "没有查到订单 2024000000000000，没能取消 😥 麻烦核对一下订单号，或者转人工客服帮您处理。", buttons=[HUMAN]
        )
    ]


def test_deny_keeps_the_order():
    events, messages = run_action(ActionHandleDeny(), load_tracker("deny_cancel", as_owner=True))
    assert events == [SlotSet("pending_confirm", None)]
    assert messages == [message("好的，订单 2024112000023402 为您保留，不取消。还有什么可以帮您？")]
    assert get_adapter().get_order("2024112000023402").status == "paid"


@pytest.mark.parametrize("action", [ActionHandleAffirm, ActionHandleDeny])
def test_yes_or_no_with_nothing_pending(action):
    events, messages = run_action(action(), load_tracker("affirm_nothing_pending", as_owner=True))
    assert events == [] and messages == [message("好的~ 还有什么可以帮您？")]


@pytest.mark.parametrize("action", [ActionHandleAffirm, ActionHandleDeny])
def test_yes_or_no_with_an_unknown_question_clears_it(action):
    events, messages = run_action(
        action(), load_tracker("affirm_nothing_pending", as_owner=True, slots={"pending_confirm": "rate_us"})
    )
    assert events == [SlotSet("pending_confirm", None)] and messages == [message("好的~ 还有什么可以帮您？")]


@pytest.mark.parametrize("text", ["还是不行", "試過了 沒用", "按了也不行啊"])
def test_a_no_that_says_the_answer_did_not_help_is_not_answered_cheerfully(text):
    """ "还是不行" after a product answer is read as deny: say sorry and offer a person,
    not "好的~ 还有什么可以帮您？"."""
    events, messages = run_action(
        ActionHandleDeny(), load_tracker("affirm_nothing_pending", as_owner=True, text=text, intent="deny")
    )
    assert events == []
    assert messages == [
        message(
            "抱歉没能帮上忙 😔 您可以说说具体是哪一步不行，我再帮您看看；"
            "也可以直接转人工客服，刚才的聊天记录客服都能看到，不用重复说明。",
            [HUMAN],
        )
    ]


def test_a_product_guessed_from_the_question_is_named():
    """ "加湿器三个按钮" is not one of the shop's products: the night light's answer says whose it is."""
    events, messages = run_action(
        ActionProductUsage(),
        load_tracker("usage_unknown_product", as_owner=True, text="这个加湿器上面三个按钮都是干嘛的"),
    )
    assert events == [SlotSet("product", "nightlight")]
    assert messages[0]["text"].startswith("三个按键从左到右")
    assert messages[0]["text"].endswith("（以上是「三键感应小夜灯」的说明，如果您问的不是这款，告诉我商品名称就好~）")


def test_a_named_product_is_answered_without_the_note():
    events, messages = run_action(ActionProductUsage(), load_tracker("usage_nightlight_buttons", as_owner=True))
    assert "如果您问的不是这款" not in messages[0]["text"]
