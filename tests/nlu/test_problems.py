"""Problem reports (lexicon/problems.yml): each kind found in the customer's words, questions about
the policy or a product feature left alone."""

from pathlib import Path

import pytest

from jieli_nlu.normalize import normalize_text
from jieli_nlu.problem_kinds import PROBLEM_LABELS
from jieli_nlu.problems import ProblemRules, read_lexicon

LEXICON = Path(__file__).resolve().parents[2] / "lexicon" / "problems.yml"


@pytest.fixture(scope="module")
def rules():
    return ProblemRules.from_dict(read_lexicon(LEXICON))


def kind(rules, text):
    found = rules.find(normalize_text(text))
    return found.kind if found else None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("快递到了拆开一看杯子碎成两半", "damaged"),
        ("灯罩寄来就有一道裂纹", "damaged"),
        ("裤子上有一块黑色污渍 洗都洗不掉", "stained"),
        ("新毛巾第一次洗就掉色 把白衬衫染了", "stained"),
        ("我拍的是L码 你们寄错成S了", "wrong_item"),
        ("型号不对啊 我要的是二代", "wrong_item"),
        ("盒子里没有充电线", "missing_item"),
        ("买了三盒只有两盒", "missing_item"),
        ("包装里右耳不见了", "missing_item"),
        ("物流显示已签收 可是我根本没收到", "not_received"),
        ("谁签的我的快递", "not_received"),
        ("插上电完全没反应", "cannot_use"),
        ("耳机充不进电", "cannot_use"),
        ("水壶底座有一股烧焦的味道", "safety"),
        ("插头插上去冒火花了", "safety"),
        ("戴了一天脖子起红疹子", "allergy"),
        ("涂完脸上痒得不行", "allergy"),
        ("手机号换了 收不到验证码 登不上去", "account"),
        ("毛衣袖口一圈黄渍", "stained"),
        ("吃完手臂起了好多小疙瘩", "allergy"),
        ("物流写着已签收 我在家等了一天也没人敲门", "not_received"),
        ("拆开一看有使用痕迹 不是新的吧", "wrong_item"),
        ("毛巾洗了一次就缩得跟手帕一样", "quality"),
        ("app一直闪退", "account"),
        ("耳机到手只有一边响", "cannot_use"),
        ("鞋子穿两天就开胶", "quality"),
        ("我的账号怎么被冻结了", "account"),
        ("登录一直失败 密码也不对", "account"),
        ("拍的黑色给我发成了白色", "wrong_item"),
        ("下单的是加湿器 拆开箱子放的却是台灯", "wrong_item"),
        ("40码的鞋寄成43码了", "wrong_item"),
        ("我下单的是儿童款 结果到手是成人的", "wrong_item"),
        ("售后被驳回了 说我是人为损坏 明明收到就是坏的", "refund_dispute"),
        ("凭什么拒绝我的退款申请", "refund_dispute"),
        ("昨天下的单 银行卡给我划走了两笔一样的钱", "double_charge"),
        ("付款的时候卡了一下 结果花呗和余额各扣了一笔", "double_charge"),
        ("账单里同一个订单有两次扣款记录", "double_charge"),
        ("你们系统重复扣费了吧 我就买了一件", "double_charge"),
        ("能不能帮我问问厂家这个灯罩单独卖不卖", "staff_request"),
        ("麻烦你们联系一下快递员 我今天不在家", "staff_request"),
        ("你们能出具一份检测报告吗 公司采购要用", "staff_request"),
        ("叫快递小哥送到隔壁超市就行", "staff_request"),
    ],
)
def test_each_kind_is_found(rules, text, expected):
    assert kind(rules, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "这件衣服洗了会不会掉色",
        "小夜灯怎么充电",
        "过敏体质的人能用吗",
        "赠品怎么领",
        "会不会漏电啊 放卫生间安全吗",
        "订单什么时候发货",
        "你们支持七天无理由吗",
        "怎么登录",
        "会不会起疙瘩",
        "快递签收了吗",
        "旧的怎么处理",
        "这件会不会缩水",
        "怎么洗不会起球",
        "优惠券用不了",
        "退款被驳回了怎么办",
        "如果退款被拒绝还能再申请吗",
        "付款会不会重复扣两次啊",
        "可以分两次付款吗",
        "怎么联系快递",
        "在哪看质检报告",
        "先付定金再付尾款 一共付两次对吧",
        "买的是电饭煲 打开里面装的是什么配件",
    ],
)
def test_questions_are_not_reports(rules, text):
    assert kind(rules, text) is None


def test_every_kind_in_the_lexicon_has_a_label_and_a_policy_answer():
    import yaml

    lexicon = read_lexicon(LEXICON)["kinds"]
    policy = yaml.safe_load((LEXICON.parents[1] / "shop" / "policy.yml").read_text(encoding="utf-8"))
    answers = policy["problem_reports"]["kinds"]
    assert set(lexicon) == set(PROBLEM_LABELS) == set(answers)
    for name, answer in answers.items():
        assert answer["understood"] and answer["policy"], name


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        ProblemRules.from_dict({"kinds": {"broken_heart": {"patterns": ["伤心"]}}})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("杯子口有条裂缝", "damaged"),
        ("盖子开裂了 怎么会这样", "damaged"),
        ("拍了四盒 只到了三盒", "missing_item"),
        ("订了两双鞋才寄来一双", "missing_item"),
        ("件数对不上啊", "missing_item"),
        # a rash however it is described; what was chosen, then what came; refused again
        ("吃了两天 胳膊上长了些小疹子", "allergy"),
        ("下单挑的藏青色 到手的却是墨绿", "wrong_item"),
        ("售后第二次被拒了", "refund_dispute"),
        ("客服答应给退 结果转头就驳回了", "refund_dispute"),
    ],
)
def test_cracks_and_fewer_than_ordered_are_problems(rules, text, expected):
    assert kind(rules, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("簽收咗但係我冇收到貨", "not_received"),
        ("少咗一隻耳機", "missing_item"),
        ("煲水有陣燶味", "safety"),
        ("同我落單嘅顏色唔一樣", "wrong_item"),
        ("用完之後塊面又紅又癢", "allergy"),
        ("我買嘅係紅色外套 寄嚟係灰色", "wrong_item"),
    ],
)
def test_cantonese_reports_read_as_the_mandarin_the_rules_are_written_in(rules, text, expected):
    assert kind(rules, text) == expected


@pytest.mark.parametrize("text", ["唔該 幾時發貨", "我冇問題喇 多謝"])
def test_cantonese_without_a_problem_is_not_a_report(rules, text):
    assert kind(rules, text) is None


@pytest.mark.parametrize(
    "text",
    [
        "这款杯子会不会开裂",
        "裂缝多大算质量问题",
        "地址少了一个字",
        "敏感肌用了会不会起疹子",
        "买的耳机 来的时候是好的",
        "买的外套 收到的是正品吗",
        "退款申请会不会被拒",
    ],
)
def test_asking_about_cracks_before_they_happen_is_not_a_report(rules, text):
    assert kind(rules, text) is None
