"""action_refund, action_return_exchange and the policy FAQ actions (invoice, payment, coupon,
product_info)."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.aftersales_actions import ActionRefund, ActionReturnExchange
from actions.faq_actions import ActionCoupon, ActionInvoice, ActionPayment, ActionProductInfo
from jieli_testkit import ASK_ORDER_ID, HUMAN, load_tracker, message, question, run_action

CANCEL = {"title": "取消订单", "payload": "/cancel_order"}
HOW_TO_RETURN = {"title": "怎么退货", "payload": '/return_exchange{"topic":"how_to_return"}'}


def refund_about(order_id: str | None, text: str = "我的退款怎么样了", slot: str | None = None):
    entities = [{"entity": "order_id", "value": order_id}] if order_id else []
    tracker = load_tracker(
        "refund_timeline", as_owner=True, text=text, entities=entities, slots={"order_id": slot or order_id}
    )
    return run_action(ActionRefund(), tracker)


# ---------------------------------------------------------------------------------------------
# refund


def test_refund_timeline_general():
    events, messages = run_action(ActionRefund(), load_tracker("refund_timeline", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "退款审核通过后按原支付方式退回：微信支付、支付宝 1–3 个工作日到账；银行卡 3–7 个工作日（以银行为准）；"
            "花呗退回花呗额度，已还款的部分退回支付宝余额；店铺余额即时到账。"
        )
    ]


def test_refund_rejected_without_number_explains_and_asks():
    events, messages = run_action(ActionRefund(), load_tracker("refund_rejected_no_id", as_owner=True))
    assert events == [SlotSet("order_topic", "refund")]
    assert messages == [
        message(
            "退款被驳回的常见原因有：已发货但商品还没寄回、超过售后期、商品影响二次销售（吊牌拆除、有使用痕迹）、"
            "药品类已拆封。您可以补充凭证（照片、视频）重新申请，或者转人工复核。",
            buttons=[HUMAN],
        ),
        ASK_ORDER_ID,
    ]


def test_refund_progress_without_number_asks():
    events, messages = run_action(
        ActionRefund(), load_tracker("refund_timeline", as_owner=True, text="退款进度怎么样了")
    )
    assert events == [SlotSet("order_topic", "refund")]
    assert messages == [message("在「我的订单 → 退款/售后」里可以看到退款的每一步，我也可以帮您查。"), ASK_ORDER_ID]


def test_refund_overview_with_buttons():
    events, messages = run_action(ActionRefund(), load_tracker("refund_timeline", as_owner=True, text="退款"))
    assert events == []
    assert messages == [
        question(
            "退款的问题我可以帮您查进度、解释到账时间和驳回原因。您想了解哪一项？",
            buttons=[
                {"title": "退款进度", "payload": '/refund{"topic":"progress"}'},
                {"title": "到账时间", "payload": '/refund{"topic":"timeline"}'},
                {"title": "退款被拒", "payload": '/refund{"topic":"rejected"}'},
                {"title": "仅退款", "payload": '/refund{"topic":"refund_only"}'},
            ],
        )
    ]


def test_refund_topic_button_with_a_known_order_looks_up_the_record():
    tracker = load_tracker(
        "refund_timeline",
        as_owner=True,
        text='/refund{"topic":"progress"}',
        entities=[{"entity": "topic", "value": "progress"}],
        slots={"order_id": "2024110800089008"},
    )
    events, messages = run_action(ActionRefund(), tracker)
    assert events == []
    assert messages == [
        message(
            "订单 2024110800089008：您 11月16日 10:00 申请的退款 ¥158.00 正在处理中（退货寄回后，仓库签收 48 小时内验货），"
            "处理完成后原路退回付款银行卡，3–7 个工作日到账（以银行处理时间为准）。"
        )
    ]


def test_refund_only_topic():
    events, messages = run_action(
        ActionRefund(), load_tracker("refund_timeline", as_owner=True, text="没发货能申请仅退款吗")
    )
    assert events == [] and messages[0]["text"].startswith("订单还没发货：直接在订单详情点「申请退款」")


def test_rejected_refund_with_number_gives_reason_and_advice():
    events, messages = refund_about("2024110800011210", "我的退款为什么被拒绝了 2024110800011210")
    assert events == []
    assert messages == [
        message(
            "订单 2024110800011210：您 11月16日 10:00 申请的退款 ¥299.00 已被驳回，原因是「退回商品吊牌已剪、有明显使用痕迹，"
            "影响二次销售」。如果商品收到时就有问题，请拍照或录视频补充凭证后重新申请；对审核结果有异议，可以转人工复核。",
            buttons=[HUMAN],
        )
    ]


@pytest.mark.parametrize(
    "order_id,facts,buttons",
    [
        ("2024110300090109", ["退款 ¥49.90 已于 11月10日 10:00 退出", "原路退回支付宝"], [HUMAN]),
        ("2024111800012313", ["退款 ¥50.00 已于 11月20日 07:00 同意", "3–7 个工作日"], []),
        ("2024111500034503", ["付款后超过 48 小时还没发货", "系统自动驳回", "直接取消订单"], [CANCEL, HUMAN]),
    ],
)
def test_refund_record_by_status(order_id, facts, buttons):
    events, messages = refund_about(order_id)
    assert events == [] and messages[0]["buttons"] == buttons
    for fact in facts:
        assert fact in messages[0]["text"], fact


@pytest.mark.parametrize(
    "order_id,facts,buttons",
    [
        ("2024111900012312", ["目前没有退款申请", "直接取消订单", "¥239.00 会全额退回花呗额度"], [CANCEL, HUMAN]),
        ("2024111800045604", ["目前没有退款申请", "拒收"], [HOW_TO_RETURN, HUMAN]),
        ("2024111500067806", ["目前没有退款申请", "申请售后 → 退货退款", "48 小时内审核"], [HOW_TO_RETURN, HUMAN]),
        ("2024112000012301", ["目前没有退款申请", "订单还没付款"], [CANCEL, HUMAN]),
    ],
)
def test_refund_question_about_an_order_without_refund(order_id, facts, buttons):
    events, messages = refund_about(order_id)
    assert messages[0]["buttons"] == buttons
    for fact in facts:
        assert fact in messages[0]["text"], fact


def test_refund_unknown_order(env):
    env(JIELI_ORDER_SECOND_FACTOR="none")
    events, messages = refund_about("2024000000000000")
    assert events == [SlotSet("order_id", None), SlotSet("order_topic", "refund")]
    assert messages[0]["text"].startswith("没有查到订单 2024000000000000")


def test_refund_after_cancelling_the_news_case_order():
    from actions.shop.factory import get_adapter

    assert get_adapter().cancel_order("2024111500034503").ok
    events, messages = refund_about("2024111500034503")
    assert messages == [
        message(
            "订单 2024111500034503：退款 ¥78.30 已于 11月20日 10:00 同意，"
            "原路退回支付宝（余额或付款银行卡），1–3 个工作日到账。"
        )
    ]


# ---------------------------------------------------------------------------------------------
# return / exchange


def test_return_shipping_fee():
    events, messages = run_action(ActionReturnExchange(), load_tracker("return_shipping_fee", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "质量问题、发错或漏发：来回运费由我们承担，寄回时请先垫付（普通快递，20 元以内），退款时一起补给您。"
            "无理由退换：寄回运费由您承担；下单时买了运费险的，退货后运费险会自动理赔到您的付款账户，一般 72 小时内到账。"
            "请不要寄到付。"
        )
    ]


@pytest.mark.parametrize(
    "text,fact",
    [
        ("药拆封了还能退吗", "药品和医疗器械"),
        ("衣服小了能换大一号吗", "选「换货」"),
        ("退货寄到哪里", "浙江省杭州市余杭区仓前街道文一西路 1888 号"),
        ("收到的杯子碎了", "来回运费我们承担"),
        ("退货流程是什么", "填写退货快递单号"),
    ],
)
def test_return_topics(text, fact):
    _, messages = run_action(ActionReturnExchange(), load_tracker("return_shipping_fee", as_owner=True, text=text))
    assert fact in messages[0]["text"]


def test_return_quality_offers_a_person():
    _, messages = run_action(
        ActionReturnExchange(), load_tracker("return_shipping_fee", as_owner=True, text="质量问题怎么退")
    )
    assert messages[0]["buttons"] == [HUMAN]


def test_return_overview():
    _, messages = run_action(ActionReturnExchange(), load_tracker("return_shipping_fee", as_owner=True, text="售后"))
    assert messages == [
        question(
            "签收后 7 天内支持无理由退货，质量问题 15 天内包退换。您想了解哪一项？",
            buttons=[
                {"title": "7天无理由", "payload": '/return_exchange{"topic":"seven_days"}'},
                {"title": "怎么退货", "payload": '/return_exchange{"topic":"how_to_return"}'},
                {"title": "退货运费", "payload": '/return_exchange{"topic":"shipping_fee"}'},
                {"title": "换尺码颜色", "payload": '/return_exchange{"topic":"exchange"}'},
            ],
        )
    ]


# ---------------------------------------------------------------------------------------------
# invoice, payment, coupon, product info


def test_invoice_title():
    events, messages = run_action(ActionInvoice(), load_tracker("invoice_title", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "发票开出前，可以在订单详情「发票信息」里直接修改抬头和税号；已经开出的，在「申请换开」里提交正确的抬头，"
            "我们作废原发票后 3 个工作日内重新开具，每个订单可以换开 1 次。"
        )
    ]


def test_invoice_button_selects_the_topic():
    events, messages = run_action(ActionInvoice(), load_tracker("invoice_button", as_owner=True))
    assert events == []
    assert messages[0]["text"].startswith("增值税专用发票只给企业开，需要提供：单位名称、纳税人识别号")


def test_invoice_overview():
    _, messages = run_action(ActionInvoice(), load_tracker("invoice_title", as_owner=True, text="发票"))
    assert messages[0]["text"] == "我们默认开电子普通发票，也可以开增值税专用发票。您想了解哪一项？"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/invoice{"topic":"types"}',
        '/invoice{"topic":"vat_special"}',
        '/invoice{"topic":"change_title"}',
        '/invoice{"topic":"download"}',
    ]


def test_invoice_reissue_window():
    _, messages = run_action(
        ActionInvoice(), load_tracker("invoice_title", as_owner=True, text="忘了开发票现在还能补开吗")
    )
    assert "确认收货后 180 天内" in messages[0]["text"]


def test_payment_double_charge():
    events, messages = run_action(ActionPayment(), load_tracker("payment_double_charge", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "同一个订单被扣了两次的话，多扣的钱会在 72 小时内原路自动退回，不需要您操作。"
            "超过 72 小时还没退回，请把订单号和两笔扣款截图发给人工客服，我们当天为您处理。",
            buttons=[HUMAN],
        )
    ]


@pytest.mark.parametrize(
    "text,fact",
    [
        ("付款失败了", "换一种支付方式再试"),
        ("可以货到付款吗", "目前不支持货到付款"),
        ("花呗能分期吗", "3、6、12 期"),
        ("安装师傅另外收了人工费", "勾选「安装服务」才会收人工费"),
        ("你们支持哪些支付方式", "微信支付、支付宝、花呗"),
    ],
)
def test_payment_topics(text, fact):
    _, messages = run_action(ActionPayment(), load_tracker("payment_double_charge", as_owner=True, text=text))
    assert fact in messages[0]["text"]


def test_coupon_price_protection():
    events, messages = run_action(ActionCoupon(), load_tracker("coupon_price_protect", as_owner=True))
    assert events == []
    assert messages == [
        message(
            "付款后 7 天内，同款同规格商品在本店降价，可以申请补差价：订单详情点「价格保护」，或者把订单号和降价截图发给人工客服。"
            "秒杀、直播专享价和限量券带来的降价不在价保范围内。"
        )
    ]


@pytest.mark.parametrize(
    "text,fact",
    [
        ("优惠券怎么用", "「我的 → 优惠券」"),
        ("店铺券和平台券能叠加吗", "各用一张叠加"),
        ("券过期了能补吗", "没法延期或补发"),
        ("积分怎么用", "100 积分抵 1 元"),
    ],
)
def test_coupon_topics(text, fact):
    _, messages = run_action(ActionCoupon(), load_tracker("coupon_price_protect", as_owner=True, text=text))
    assert fact in messages[0]["text"]


def test_product_info_stock_is_not_mistaken_for_material():
    events, messages = run_action(ActionProductInfo(), load_tracker("product_info_stock", as_owner=True))
    assert events == []
    assert messages[0]["text"].startswith("商品页上能选的颜色和尺码都有现货")


@pytest.mark.parametrize(
    "text,fact",
    [
        ("安装人工费怎么算", "人工草坪铺设 8 元/平方米"),
        ("是纯人工缝制的吗", "商品详情 → 规格参数"),
        ("保质期多久", "有效期是 24 个月"),
        ("L码会不会偏小", "尺码表"),
    ],
)
def test_product_info_topics(text, fact):
    _, messages = run_action(ActionProductInfo(), load_tracker("product_info_stock", as_owner=True, text=text))
    assert fact in messages[0]["text"]


@pytest.mark.parametrize(
    "action,section", [(ActionPayment, "payment"), (ActionCoupon, "coupon"), (ActionProductInfo, "product_info")]
)
def test_faq_overview_buttons_use_the_intent(action, section):
    _, messages = run_action(action(), load_tracker("bad_input", as_owner=True, text="嗯", intent=section))
    assert 1 <= len(messages[0]["buttons"]) <= 4
    assert all(b["payload"].startswith(f'/{section}{{"topic":"') for b in messages[0]["buttons"])


@pytest.mark.parametrize(
    "action,text,fact",
    [
        # understood as a product question, plainly about shipping: the fee, not the product menu
        (ActionProductInfo, "邮费怎么算的呀", "元包邮"),
        # understood as a coupon question, plainly about the warranty
        (ActionCoupon, "电器坏了保修期是多久", "免费保修"),
        # understood as an invoice question, plainly asking for the hotline
        (ActionInvoice, "你们的联系电话发我一下", "400-820-5151"),
        (ActionPayment, "下单以后多久发货", "小时内发货"),
        # a word of the coupon rules (满多少) and one of the shipping fee (包邮): it means shipping
        (ActionCoupon, "好吧 那买满多少才能包邮", "元包邮"),
    ],
)
def test_a_question_plainly_about_another_topic_gets_that_answer_not_a_menu(action, text, fact):
    _, messages = run_action(action(), load_tracker("bad_input", as_owner=True, text=text, intent=action.section))
    assert fact in messages[0]["text"]
    assert not messages[0].get("buttons") or "topic" not in messages[0]["buttons"][0]["payload"]


def test_an_own_topic_named_as_exactly_as_another_sections_keeps_its_own_answer():
    # 人工费 names the payment topic as well as the product page's installation topic: payment's
    _, messages = run_action(
        ActionPayment(), load_tracker("bad_input", as_owner=True, text="装完师傅又收了人工费", intent="payment")
    )
    assert "勾选「安装服务」才会收人工费" in messages[0]["text"]


def test_one_short_word_of_another_topic_is_not_enough_to_leave_the_menu():
    # "会员" (two characters) alone is a weak hint of the points topic: the payment menu stays
    _, messages = run_action(ActionPayment(), load_tracker("bad_input", as_owner=True, text="会员呢", intent="payment"))
    assert all(b["payload"].startswith('/payment{"topic":"') for b in messages[0]["buttons"])
