"""Routing categories and their agent skills, customer tiers, and THE priority rule: the one pure
function the action (actions/handover) and the bridge (services/priority.py) both call."""

from __future__ import annotations

from dataclasses import dataclass

from .signals import ANGRY_MIN

# ---- categories -------------------------------------------------------------------------------------

CATEGORIES: tuple[str, ...] = ("物流", "售后", "账单", "产品", "其他")
DEFAULT_CATEGORY = "其他"
CATEGORY_SKILLS: dict[str, str] = {
    "物流": "logistics",
    "售后": "after_sales",
    "账单": "billing",
    "产品": "product",
    "其他": "general",
}
# English names an action may send instead of the Chinese category.
CATEGORY_ALIASES: dict[str, str] = {
    "logistics": "物流",
    "shipping": "物流",
    "delivery": "物流",
    "after_sales": "售后",
    "aftersales": "售后",
    "refund": "售后",
    "return": "售后",
    "billing": "账单",
    "payment": "账单",
    "invoice": "账单",
    "product": "产品",
    "other": "其他",
    "general": "其他",
}


def category_of(value: object) -> str:
    """A category as routed: one of CATEGORIES, an English alias of one, else 其他."""
    text = str(value or "").strip()
    if text in CATEGORIES:
        return text
    return CATEGORY_ALIASES.get(text.lower(), DEFAULT_CATEGORY)


# ---- customer tiers ---------------------------------------------------------------------------------

# Tiers a shop signs for its customers that count as VIP (compared lower-cased).
VIP_TIERS: frozenset[str] = frozenset(
    {"vip", "svip", "gold", "platinum", "diamond", "plus", "88vip", "黄金", "铂金", "钻石", "黑金"}
)
TIER_LABELS: dict[str, str] = {
    "vip": "VIP 会员",
    "svip": "超级会员",
    "gold": "黄金会员",
    "platinum": "铂金会员",
    "diamond": "钻石会员",
    "plus": "PLUS 会员",
    "88vip": "88VIP",
    "黄金": "黄金会员",
    "铂金": "铂金会员",
    "钻石": "钻石会员",
    "黑金": "黑金会员",
}


def is_vip(tier: object) -> bool:
    return str(tier or "").strip().lower() in VIP_TIERS


# ---- priority ---------------------------------------------------------------------------------------

DEFAULT_PRIORITY = 1  # 0 low, 1 normal, 2 high, 3 urgent … 9
MAX_PRIORITY = 9
PRIORITY_NAMES: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
HIGH_ORDER_VALUE = 1000.0
REPEATED_REQUESTS = 2  # requests for a person (since the last hand-back) that rank a customer up


@dataclass(frozen=True)
class Priority:
    level: int
    factors: tuple[str, ...]  # "angry", "repeated_requests", "vip", "high_order_value"


def priority(
    *,
    frustration: float | None = None,
    angry: bool = False,
    human_requests: float | None = None,
    verified_tier: object = None,
    verified_order_value: float | None = None,
    angry_at: float = ANGRY_MIN,
) -> Priority:
    """The handover's priority: normal (1), plus one level each for an angry customer (the score
    reached `angry_at`, or the level says 愤怒), repeated requests for a person, a VIP tier the
    bridge vouched for, and an order of ¥1000 or more looked up for its verified owner. Pass only
    what is verified as `verified_tier` / `verified_order_value`: a claim never counts."""
    factors = []
    if angry or (frustration is not None and frustration >= angry_at):
        factors.append("angry")
    if human_requests is not None and human_requests >= REPEATED_REQUESTS:
        factors.append("repeated_requests")
    if is_vip(verified_tier):
        factors.append("vip")
    if verified_order_value is not None and verified_order_value >= HIGH_ORDER_VALUE:
        factors.append("high_order_value")
    return Priority(min(MAX_PRIORITY, DEFAULT_PRIORITY + len(factors)), tuple(factors))
