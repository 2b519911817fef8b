"""The kinds of problem a customer reports about what they received, and their Chinese labels.

One place for the kinds: the lexicon (lexicon/problems.yml) detects them, the policy
(shop/policy.yml: problem_reports) answers them, the escalation explains them to the agent.
Pure data: nothing here imports Rasa.
"""

PROBLEM_ENTITY = "problem"

PROBLEM_LABELS = {
    "damaged": "商品破损",
    "stained": "商品有污渍或变色",
    "wrong_item": "发错货",
    "missing_item": "少发或漏发",
    "not_received": "显示签收但没收到",
    "cannot_use": "商品不能用",
    "safety": "使用安全问题",
    "allergy": "使用后过敏",
    "account": "账号或 App 问题",
    "quality": "商品质量问题",
    "refund_dispute": "退款被驳回有异议",
    "double_charge": "重复扣款",
    "staff_request": "需要店铺出面联系或提供材料",
}
