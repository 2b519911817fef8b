"""The handover contract: the facts every component of Jieli shares, defined once.

Pure Python, standard library only (imported by the action server on Python 3.10 and the bridge on
3.11). What lives here:

* `states` — conversation states, their Chinese labels and the allowed transitions;
* `reasons` — handover reason codes with labels and explanations, and their priority order;
* `signals` — the escalation signals an agent sees, and the frustration levels (平静 < 0.3 ≤ 不满 < 0.7 ≤ 愤怒);
* `routing` — categories and skills, customer tiers, and the one priority rule;
* `schema` — the versioned JSON Schema of a handover (`handover.schema.json`, read on first use);
* `intents` — the Chinese label of each of the bot's intents;
* `channels` — where the customer is (web widget, 微信客服 …) and the card's label for it;
* `public` — `as_public_json()`, the labels the browser pages read (GET /api/contract).
"""

from .channels import CHANNEL_LABELS, channel_label
from .intents import INTENT_LABELS, intent_label
from .public import as_public_json
from .reasons import (
    BRIDGE_ONLY_REASONS,
    DEFAULT_REASON,
    HANDOVER_REASONS,
    REASON_PRIORITY,
    REASONS,
    Reason,
    first_reason,
    reason_label,
)
from .routing import (
    CATEGORIES,
    CATEGORY_ALIASES,
    CATEGORY_SKILLS,
    DEFAULT_CATEGORY,
    DEFAULT_PRIORITY,
    HIGH_ORDER_VALUE,
    MAX_PRIORITY,
    PRIORITY_NAMES,
    REPEATED_REQUESTS,
    TIER_LABELS,
    VIP_TIERS,
    Priority,
    category_of,
    is_vip,
    priority,
)
from .schema import CONTEXT_VERSION, CONTRACT_VERSION, SCHEMA_PATH, handover_schema
from .signals import (
    ANGRY,
    ANGRY_MIN,
    CALM,
    FRUSTRATION_LEVELS,
    LEVEL_CODES,
    SIGNALS,
    UPSET,
    UPSET_MIN,
    FrustrationLevel,
    Signal,
    frustration_level,
    signal_label,
)
from .states import STATE_LABELS, STATES, TRANSITIONS, State, can_transition
