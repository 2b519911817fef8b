"""The rules that promote unmistakable requests for a person and demote 人工智能-style mentions."""

from pathlib import Path

import pytest
import yaml

from jieli_nlu.human_request import HUMAN, HumanRequestRules
from jieli_nlu.normalize import normalize_text

LEXICON = Path(__file__).resolve().parents[2] / "lexicon" / "human_request.yml"


@pytest.fixture(scope="module")
def rules():
    return HumanRequestRules.from_dict(yaml.safe_load(LEXICON.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "text",
    [
        "人工",
        "转人工",
        "人工客服",
        "rg",
        "RG",
        "Rg 谢谢",
        "rengong",
        "zhuan ren gong",
        "有没有活人",
        "轉人工客服",
        "人工人工人工",
        "人工!!!",
        "我要找真人",
        "联系人工客服",
        "你们人工呢",
        "别跟我扯了 转人工",
        "我不要人工智能 我要人工客服",
        "不要机器人回复",
        "叫你们客服出来",
        "你是真人吗？不是的话给我转人工",
        "妳是機器人吧 我要找真人",
        "我要投诉 叫你们经理来",
        "找你们领导出来说话",
        "把你们人工给我叫出来",
        "帮我转入工",
        "入工客服在哪",
        "讓主管出來跟我說",
        "我要找负责人",
        # a message that opens by calling for a person, then tells the story
        "人工客服！！！下单一周了还没发货 退款也不给退",
        "真人？？我的耳机左边没声音",
        # homophones of 真人 (真银 only when it is not silver: "要个真银的镯子" is jewellery)
        "帮我接个针人",
        "转真银客服",
        "快点帮我接个人",
        "你给我接人来",
    ],
)
def test_unmistakable_requests_are_promoted(rules, text):
    assert rules.decide(normalize_text(text), "out_of_scope") == "promote"


@pytest.mark.parametrize(
    "text",
    [
        "不用转人工了",
        "不要人工",
        "暂时不需要人工",
        "先不转人工",
        "我又没让你找人工",
        "没说过要转真人啊",
        "我也不是要你转人工 就问发票开了没",
        "倒不是想找客服 你先说运费谁出",
        "开发票得找人工吗 还是我自己在订单里填",
    ],
)
def test_negated_requests_are_not_promoted(rules, text):
    assert rules.decide(normalize_text(text), "deny") is None


@pytest.mark.parametrize(
    "text",
    [
        "人工智能客服挺好用",
        "人工费怎么算",
        "人工草坪有货吗",
        "是纯人工缝制的吗",
        "人工养殖的吗",
        "真人实拍吗",
        "人工水晶会不会褪色",
        "人工智能會取代人類嗎",
        "你是真人吗",
        "妳是真人嗎？",
        "你是不是真人啊",
        "是人工还是机器人",
        "你们是真人客服吗",
    ],
)
def test_non_service_mentions_are_demoted(rules, text):
    assert rules.decide(normalize_text(text), HUMAN) == "demote"


@pytest.mark.parametrize(
    "text",
    [
        "好不容易接通了人工 结果说了两句就断了 你们这服务真行",
        "上次找过人工客服也没给我解决",
        "前几天转到人工排了一个钟",
    ],
)
def test_what_happened_before_is_a_story_not_a_request(rules, text):
    assert rules.decide(normalize_text(text), "complain") is None
    assert rules.decide(normalize_text(text), HUMAN) == "demote"


def test_a_story_about_an_earlier_agent_does_not_hide_a_request_now(rules):
    assert rules.decide(normalize_text("上次转了人工也没人管 这次给我转一次人工"), HUMAN) is None


@pytest.mark.parametrize(
    "text", ["人工客服，几点上班？", "人工智能！真厉害", "人工费！太贵了吧", "收入工资都花这上面了", "加入工会有折扣吗"]
)
def test_opening_words_that_are_not_a_call_for_a_person(rules, text):
    assert rules.decide(normalize_text(text), "faq") is None


@pytest.mark.parametrize("text", ["人工智能客服不行 转人工", "人工智能客服不行 我要找人", ""])
def test_no_demotion_without_a_pure_non_service_mention(rules, text):
    assert rules.decide(normalize_text(text), HUMAN) is None


def test_other_intents_are_left_alone(rules):
    assert rules.decide(normalize_text("退款什么时候到账"), "refund") is None
    assert rules.decide(normalize_text("storage 不够了 org"), "product_usage") is None
    assert rules.decide(normalize_text("老板什么时候发货"), "order_status") is None
    assert rules.decide(normalize_text("经理推荐的这款有货吗"), "product_usage") is None


def test_promote_puts_request_human_first_and_keeps_a_distribution():
    from jieli_nlu.human_request import promote

    ranking = promote([{"name": "thank", "confidence": 0.9}, {"name": HUMAN, "confidence": 0.1}], 0.99)
    assert ranking[0] == {"name": HUMAN, "confidence": 0.99}
    assert ranking[1]["name"] == "thank" and ranking[1]["confidence"] < 0.01


def test_demote_lets_the_next_best_intent_lead():
    from jieli_nlu.human_request import demote

    ranking = demote(
        [
            {"name": HUMAN, "confidence": 0.8},
            {"name": "product_info", "confidence": 0.15},
            {"name": "payment", "confidence": 0.05},
        ]
    )
    assert [r["name"] for r in ranking] == ["product_info", "payment", HUMAN]
    assert abs(ranking[0]["confidence"] - 0.75) < 1e-9


def test_people_asking_for_someone_who_talks_sense():
    rules = HumanRequestRules.from_dict(yaml.safe_load(LEXICON.read_text(encoding="utf-8")))
    assert rules.decide(normalize_text("换个能听懂人话的来"), "complain") == "promote"


def test_real_silver_is_not_a_person(rules):
    assert rules.decide(normalize_text("我想要个真银的镯子"), "product_info") is None


@pytest.mark.parametrize("text", ["发票什么时候开出来", "chatgpt是怎么训练出来的", "能送货上门安装吗 人工要另外给钱吗"])
def test_requests_must_name_a_person_and_labour_is_not_one(rules, text):
    assert rules.decide(normalize_text(text), HUMAN) == "demote"


@pytest.mark.parametrize("text", ["客服电话是多少", "叫你们店长出来", "talk to a human", "我要找你们经理"])
def test_requests_naming_a_person_are_kept(rules, text):
    assert rules.decide(normalize_text(text), HUMAN) is None


def test_the_lexicon_agrees_with_the_labelled_training_data(rules):
    """No training example of another intent is promoted, and no labelled request is demoted."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(LEXICON.parents[1] / "data" / "nlu"))
    wrong = []
    for example in data.intent_examples:
        text, intent = normalize_text(example.get("text")), example.get("intent")
        decision = rules.decide(text, HUMAN if intent == HUMAN else intent)
        if (intent == HUMAN and decision == "demote") or (intent != HUMAN and decision == "promote"):
            wrong.append((intent, text, decision))
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    [
        "叫后台的小哥哥来看看",
        "后台小姐姐在吗 帮帮我",
        "客服小哥哥快出来",
        "能让真人看一下我这个单子吗",
        "麻烦派个人来处理一下",
        "说了这么多 你就让个真人回我一句",
    ],
)
def test_the_people_behind_the_chat_by_the_names_customers_use(rules, text):
    assert rules.decide(normalize_text(text), "complain") == "promote"


@pytest.mark.parametrize(
    "text",
    [
        "上次那个人工客服小姐姐特别耐心",
        "你比人工客服还靠谱",
        "之前人工客服答应给我补发的 现在到哪了",
        "真人客服态度挺好的 给个好评",
    ],
)
def test_praise_of_an_agent_or_an_earlier_agent_is_not_a_request(rules, text):
    assert rules.decide(normalize_text(text), HUMAN) == "demote"
    assert rules.decide(normalize_text(text), "thank") is None


def test_praise_first_does_not_hide_a_request_after_it(rules):
    assert rules.decide(normalize_text("上次人工客服态度很好 这次也给我转人工"), "thank") == "promote"


@pytest.mark.parametrize(
    "text",
    [
        "不想再跟软件打字了",
        "别让自动回复回我了",
        "找个能拍板的来",
        "让说话算数的人出来",
        "我想跟上回那位客服说",
        "帮我转给之前那个小哥哥",
        "帮我接个珍人",
    ],
)
def test_requests_by_refusing_software_asking_for_a_decider_or_an_earlier_agent(rules, text):
    assert rules.decide(normalize_text(text), "complain") == "promote"


@pytest.mark.parametrize(
    "text",
    [
        "要不要请人工来铺",
        "是人工绣的花吗",
        "给人工客服打个五星",
        "帮我给那位客服点个赞",
        "回头再找人工吧",
        "明天上班了再联系客服",
    ],
)
def test_labour_ratings_and_later_are_not_a_request_now(rules, text):
    assert rules.decide(normalize_text(text), "thank") != "promote"


@pytest.mark.parametrize("text", ["仁工客服呢", "有没有认工", "人公 快点", "真仁在吗 找个真仁", "银工客服在哪"])
def test_homophones_of_a_person_read_as_the_word(rules, text):
    assert rules.decide(normalize_text(text), "greet") == "promote"


@pytest.mark.parametrize("text", ["这本书的主人公是谁", "个人公司能开专票吗", "私人公寓能送上楼吗", "寄到工人公寓门卫"])
def test_words_that_only_contain_the_same_characters_stay_what_they_are(rules, text):
    assert rules.decide(normalize_text(text), "product_info") is None


@pytest.mark.parametrize(
    "text", ["人工 在不在", "转 人 工", "嗯 那个 就是 转 人工 吧", "找 个 真 人", "我要 人 工 客 服"]
)
def test_spaces_inside_the_words_of_a_request_do_not_hide_it(rules, text):
    assert rules.decide(normalize_text(text), "greet") == "promote"


@pytest.mark.parametrize("text", ["不用 转 人工 了", "不 要 人 工", "人工 费 怎么 算"])
def test_spaces_do_not_turn_a_no_or_a_trap_into_a_request(rules, text):
    assert rules.decide(normalize_text(text), "request_human") == "demote"


@pytest.mark.parametrize("text", ["换个人来", "叫人来处理", "派个人来跟我对接", "这事你搞不定 给我换人"])
def test_asking_to_change_the_person_or_send_someone(rules, text):
    assert rules.decide(normalize_text(text), "complain") == "promote"


@pytest.mark.parametrize("text", ["找人来安装要多少钱", "要不要叫人来装", "能换人收货吗", "我想换个人收件"])
def test_someone_to_install_or_receive_is_not_a_request(rules, text):
    assert rules.decide(normalize_text(text), "product_info") != "promote"


def test_rating_the_agent_just_now_is_not_a_request(rules):
    assert rules.decide(normalize_text("给刚才那个真人客服打个分"), HUMAN) == "demote"


def _guarded(text: str, ranking: list[dict]) -> dict:
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from jieli_nlu.human_request import HumanRequestGuard

    lexicon = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    guard = HumanRequestGuard(
        HumanRequestGuard.get_default_config(), None, None, HumanRequestRules.from_dict(lexicon), lexicon
    )
    message = Message({TEXT: normalize_text(text), INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    guard.process([message])
    return message.get(INTENT)


def test_an_unmistakable_request_the_model_hardly_leads_with_is_made_sure():
    # 0.52 against a complaint's 0.47: the fallback would call it ambiguous and ask again
    intent = _guarded(
        "你们这什么破系统 我要人工！",
        [{"name": HUMAN, "confidence": 0.52}, {"name": "complain", "confidence": 0.47}],
    )
    assert intent == {"name": HUMAN, "confidence": 0.99}


def test_a_request_the_model_hardly_leads_with_stays_as_it_is_without_the_words():
    ranking = [{"name": HUMAN, "confidence": 0.52}, {"name": "complain", "confidence": 0.47}]
    assert _guarded("有没有人能帮我看一下这个问题", ranking) == ranking[0]


@pytest.mark.parametrize(
    "text",
    [
        "喊个管事的过来",
        "派个懂技术的同事来帮我看看",
        "换个能拍板的同事来",
        "叫个会看照片的 我发给他",
        "管这个的是谁 让他来",
        "叫人来😡",
    ],
)
def test_someone_summoned_by_what_they_can_do_is_a_request(rules, text):
    assert rules.decide(normalize_text(text), "complain") == "promote"


@pytest.mark.parametrize("text", ["叫个师傅来安装", "给我换个能用的", "找个能用的充电器", "叫个送货的来搬"])
def test_someone_to_install_or_a_thing_that_works_is_not_a_person_to_talk_to(rules, text):
    assert rules.decide(normalize_text(text), "return_exchange") is None


@pytest.mark.parametrize(
    "text", ["刚才手滑点到转人工了 不用 我就问下能退吗", "人工那边已经给我处理好了 谢谢", "刚才真人客服都帮我弄完了"]
)
def test_a_wrong_tap_or_what_an_agent_already_did_is_not_a_request(rules, text):
    assert rules.decide(normalize_text(text), HUMAN) == "demote"


@pytest.mark.parametrize("text", ["再不给我转人工我就投诉", "还不帮我接人工 我要投诉"])
def test_still_not_put_through_is_a_request_not_a_no(rules, text):
    assert rules.decide(normalize_text(text), "complain") == "promote"


@pytest.mark.parametrize("text", ["人工小姐姐打满分", "人工客服给五星", "刚刚人工客服叫我等通知 等到现在"])
def test_scoring_an_agent_or_what_one_said_is_not_a_request(rules, text):
    assert rules.decide(normalize_text(text), HUMAN) == "demote"
