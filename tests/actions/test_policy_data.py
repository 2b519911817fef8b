"""shop/policy.yml, shop/manuals.yml and shop/demo_orders.yml: well formed, consistent, and the
keyword matching picks the right answers."""

from __future__ import annotations

import os
import re
import shutil

import pytest
import yaml

from actions import policy
from actions.shop.base import ORDER_STATUSES, REFUND_STATUSES
from jieli_testkit import ROOT

SECTIONS = [
    "shipping",
    "return_exchange",
    "refund",
    "invoice",
    "payment",
    "coupon",
    "product_info",
    "general",
    "order_help",
]
PER_ORDER = {
    "order_id": "2024112000023402",
    "carrier": "顺丰速运",
    "tracking_no": "SF1",
    "carrier_hotline": "95338",
    "status_text": "已签收",
}
ASCII_PUNCT_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:!?][\u4e00-\u9fff]")


def all_answers():
    for name in SECTIONS:
        for topic in policy.topics(name):
            yield f"{name}.{topic['id']}", topic["answer"]
        if policy.section(name).get("overview"):
            yield f"{name}.overview", policy.section(name)["overview"]
    for entry in policy.section("refund")["reject_reasons"]:
        yield f"refund.reject_reasons.{entry['id']}", entry["advice"]
    for product in policy.products():
        yield f"manuals.{product['id']}.intro", product["intro"]
        for topic in product["topics"]:
            yield f"manuals.{topic['id']}", topic["answer"]


def test_every_section_has_well_formed_topics():
    for name in SECTIONS:
        section = policy.section(name)
        assert section.get("overview"), name
        topics = section["topics"]
        ids = [t["id"] for t in topics]
        assert len(ids) == len(set(ids)), name
        assert set(section.get("featured", [])) <= set(ids) and len(section.get("featured", [])) <= 4
        for topic in topics:
            assert topic["title"] and len(topic["title"]) <= 8, topic["id"]
            assert isinstance(topic["keywords"], list), topic["id"]
            assert topic["answer"].strip(), topic["id"]
            if name != "order_help":
                assert topic["keywords"], topic["id"]


def test_every_placeholder_resolves_and_chinese_punctuation_is_full_width():
    for where, answer in all_answers():
        text = policy.fmt(answer, **PER_ORDER)
        assert "{" not in text and "}" not in text, where
        assert not ASCII_PUNCT_IN_CHINESE.search(text), (where, ASCII_PUNCT_IN_CHINESE.search(text))


def test_shop_facts():
    shop = policy.shop_info()
    assert shop["shop_name"] == "接力小铺"
    assert shop["assistant_name"] == "小力"
    assert shop["service_hours"] == "每天 9:00–22:00"
    assert shop["hotline"] and shop["after_sales_days"] == 7 and shop["dispatch_hours"] == 48


def test_wordings_cover_every_status_method_and_carrier():
    data = policy.load_policy()
    assert set(data["order_status_text"]) == set(ORDER_STATUSES)
    assert data["order_status_text"]["paid"] == "待发货"
    assert set(data["refund_status_text"]) == set(REFUND_STATUSES)
    assert set(data["payment_methods"]) == {"wechat", "alipay", "huabei", "bank_card", "balance"}
    assert "1–3 个工作日" in policy.payment_method("wechat")["refund_time"]
    assert "1–3 个工作日" in policy.payment_method("alipay")["refund_time"]
    assert "3–7 个工作日" in policy.payment_method("bank_card")["refund_time"]
    assert "花呗" in policy.payment_method("huabei")["refund_time"]
    assert "即时到账" in policy.payment_method("balance")["refund_time"]
    assert policy.payment_method("unknown") == {"name": "unknown", "refund_time": "原路退回您的付款账户"}
    assert policy.carrier("sf") == {"name": "顺丰速运", "hotline": "95338"}
    assert policy.carrier("zto")["name"] == "中通快递" and policy.carrier("jd")["name"] == "京东物流"
    assert policy.carrier("韵达快递") == {"name": "韵达快递", "hotline": ""}


@pytest.mark.parametrize(
    "section,text,expected",
    [
        ("refund", "退款什么时候到账啊", "timeline"),
        ("refund", "我的退款被驳回了 为什么？？？", "rejected"),
        ("refund", "怎么申请仅退款", "refund_only"),
        ("refund", "退款进度怎么样了？", "progress"),
        ("return_exchange", "退货运费谁出？", "shipping_fee"),
        ("return_exchange", "药能退吗 拆封了", "exclusions"),
        ("return_exchange", "衣服大了想换小一号", "exchange"),
        ("return_exchange", "退货地址是多少", "return_address"),
        ("invoice", "要开增值税专用发票", "vat_special"),
        ("invoice", "發票抬頭寫錯了", "change_title"),
        ("invoice", "之前的订单能补开发票吗", "reissue"),
        ("payment", "付款失败怎么办", "failed"),
        ("payment", "能用花呗分期吗", "huabei"),
        ("payment", "支持货到付款吗", "cod"),
        ("payment", "安装师傅多收了人工费", "fees"),
        ("coupon", "优惠券过期了", "expired"),
        ("coupon", "满减和优惠券能叠加吗", "rules"),
        ("product_info", "人工草坪有货吗", "stock"),
        ("product_info", "安装人工费怎么算", "installation"),
        ("product_info", "是纯人工缝制的吗", "material"),
        ("shipping", "新疆能发吗", "remote"),
        ("shipping", "物流三天没更新了", "no_update"),
        ("shipping", "你们发什么快递", "carriers"),
        ("shipping", "能发ＳＦ顺丰吗？", "carriers"),
    ],
)
def test_pick_topic(section, text, expected):
    assert policy.pick_topic(section, text)["id"] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # the case comes first, the question after it: the question picks the answer
        ("七天无理由的话 退回去寄哪里", "return_address"),
        ("要是尺码不合适, 来回邮费谁出", "shipping_fee"),
        ("如果质量有问题 怎么退货", "how_to_return"),
        # no condition, or nothing asked after it: the whole message, as before
        ("七天无理由怎么算", "seven_days"),
        ("不喜欢的话能退吗", "seven_days"),
    ],
)
def test_the_question_after_a_condition_picks_the_answer(text, expected):
    assert policy.pick_topic("return_exchange", text)["id"] == expected


def test_pick_topic_prefers_the_button_topic():
    assert policy.pick_topic("invoice", "发票抬头写错了", "download")["id"] == "download"
    assert policy.pick_topic("invoice", "发票抬头写错了", "no-such-topic")["id"] == "change_title"


@pytest.mark.parametrize("text", ["", None, "😀😀😀", "今天天气怎么样", '/invoice{"topic":"x"}', "啊" * 5000, "\u200b"])
def test_pick_topic_finds_nothing(text):
    assert policy.pick_topic("invoice", text) is None


def test_pick_topic_unknown_section():
    assert policy.pick_topic("no_such_section", "发票") is None


def test_keyword_score_counts_length_then_hits():
    assert policy.keyword_score(["到账", "什么时候到账"], "退款什么时候到账") == (6, 1)
    assert policy.keyword_score(["药", "拆封"], "药能退吗 拆封了") == (3, 2)
    assert policy.keyword_score(None, "x") == (0, 0)


def test_topic_buttons_follow_featured_and_stop_at_four():
    buttons = policy.section_buttons("invoice", "invoice")
    assert buttons == [
        {"title": "发票类型", "payload": '/invoice{"topic":"types"}'},
        {"title": "专用发票", "payload": '/invoice{"topic":"vat_special"}'},
        {"title": "修改抬头", "payload": '/invoice{"topic":"change_title"}'},
        {"title": "下载发票", "payload": '/invoice{"topic":"download"}'},
    ]


def test_fmt():
    assert policy.fmt("{shop_name}的{assistant_name}{unknown}") == "接力小铺的小力{unknown}"
    assert policy.fmt("订单 {order_id}", order_id="123") == "订单 123"
    assert policy.fmt(None) == ""
    assert policy.fmt("{ 不是占位符 }") == "{ 不是占位符 }"


def test_reject_advice_matches_the_reason():
    assert "系统自动审核" in policy.reject_advice("系统自动驳回：订单状态异常")
    assert "补充凭证" in policy.reject_advice("退回商品吊牌已剪，影响二次销售")
    assert "签收后 7 天" in policy.reject_advice("已超出售后期")
    assert "拆封" in policy.reject_advice("药品已拆封")
    assert "寄回" in policy.reject_advice("商品未退回")
    assert (
        policy.reject_advice("")
        == policy.reject_advice("奇怪的原因")
        == "您可以补充凭证（照片、视频）后重新申请，或者转人工复核。"
    )


def test_policy_is_reloaded_when_the_shop_edits_it(tmp_path, env):
    path = tmp_path / "policy.yml"
    shutil.copy(ROOT / "shop" / "policy.yml", path)
    env(JIELI_POLICY_PATH=str(path))
    assert policy.shop_info()["shop_name"] == "接力小铺"
    path.write_text(
        path.read_text(encoding="utf-8").replace("shop_name: 接力小铺", "shop_name: 接力旗舰店"), encoding="utf-8"
    )
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert policy.shop_info()["shop_name"] == "接力旗舰店"


def test_missing_or_broken_policy_raises_policy_error(tmp_path, env):
    env(JIELI_POLICY_PATH=str(tmp_path / "missing.yml"))
    with pytest.raises(policy.PolicyError):
        policy.load_policy()
    broken = tmp_path / "broken.yml"
    broken.write_text("shop: [unclosed", encoding="utf-8")
    env(JIELI_POLICY_PATH=str(broken))
    with pytest.raises(policy.PolicyError):
        policy.load_policy()


# ---------------------------------------------------------------------------------------------
# manuals


def test_manuals_are_well_formed():
    products = policy.products()
    assert len(products) >= 4
    assert len({p["id"] for p in products}) == len(products)
    topic_ids = [t["id"] for p in products for t in p["topics"]]
    assert len(topic_ids) == len(set(topic_ids)), "topic ids are unique across the manuals"
    assert not set(topic_ids) & {p["id"] for p in products}
    for product in products:
        assert product["name"] and product["aliases"] and product["intro"]
        assert set(product.get("featured", [])) <= {t["id"] for t in product["topics"]}
        for topic in product["topics"]:
            assert topic["title"] and len(topic["title"]) <= 8 and topic["keywords"] and topic["answer"]


def test_nightlight_manual_covers_the_three_buttons():
    answers = {t["id"]: t["answer"] for t in policy.get_product("nightlight")["topics"]}
    buttons = answers["nightlight_buttons"]
    for word in ("电源键", "模式键", "亮度键", "短按", "长按 3 秒", "双击"):
        assert word in buttons
    assert "同时按住模式键和亮度键 5 秒" in answers["nightlight_reset"]
    assert "Type-C" in answers["nightlight_charging"]
    for colour in ("红色常亮", "绿色常亮", "红色闪烁", "蓝色"):
        assert colour in answers["nightlight_indicator"]
    assert "充电" in answers["nightlight_not_responding"] and "5 秒" in answers["nightlight_not_responding"]


def test_other_manuals():
    earbuds = {t["id"] for t in policy.get_product("earbuds")["topics"]}
    assert {"earbuds_pairing", "earbuds_reset", "earbuds_charging"} <= earbuds
    assert policy.get_product("kettle") and policy.get_product("vitc")
    vitc = {t["id"]: t["answer"] for t in policy.get_product("vitc")["topics"]}
    assert "没有质量问题不能退换" in vitc["vitc_returns"]
    assert "阴凉干燥" in vitc["vitc_storage"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("小夜灯不亮了", "nightlight"),
        ("灯一直闪", "nightlight"),
        ("耳机连不上手机", "earbuds"),
        ("水壶指示灯不亮", "kettle"),
        ("維C泡騰片怎麼吃", "vitc"),
        ("VC泡腾片", "vitc"),
        ("你好", None),
        ("", None),
    ],
)
def test_find_product(text, expected):
    found = policy.find_product(text)
    assert (found["id"] if found else None) == expected


# ---------------------------------------------------------------------------------------------
# demo orders


def demo_orders():
    return yaml.safe_load((ROOT / "shop" / "demo_orders.yml").read_text(encoding="utf-8"))["orders"]


def test_demo_orders_cover_every_status_with_well_formed_ids():
    orders = demo_orders()
    assert 10 <= len(orders) <= 16
    ids = [o["order_id"] for o in orders]
    assert len(set(ids)) == len(ids)
    for order_id in ids:
        assert re.fullmatch(r"2024(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{8}", order_id), order_id
    assert {o["status"] for o in orders} == set(ORDER_STATUSES)
    carriers, methods = policy.load_policy()["carriers"], policy.load_policy()["payment_methods"]
    for order in orders:
        assert order["items"] and order["total_amount"] and order["address"]
        if order.get("payment_method"):
            assert order["payment_method"] in methods
        if order["status"] in ("shipped", "delivered"):
            assert order["carrier"] in carriers and order["tracking_no"] and order["tracking"]
        for refund in order.get("refunds", []):
            assert refund["status"] in REFUND_STATUSES
            if refund["status"] == "rejected":
                assert refund["reject_reason"]


def test_demo_orders_include_the_news_report_case():
    case = next(o for o in demo_orders() if o["order_id"] == "2024111500034503")
    assert case["status"] == "paid" and case["paid_at"] == "-5d" and "shipped_at" not in case
    assert {i["name"] for i in case["items"]} == {"感冒灵颗粒", "维生素C泡腾片"}
    assert all(i["category"] == "medicine" for i in case["items"])
    [refund] = case["refunds"]
    assert refund["status"] == "rejected" and refund["reject_reason"].startswith("系统自动驳回")
