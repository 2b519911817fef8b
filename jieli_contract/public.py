"""The one JSON the browser pages read (served by the bridge at GET /api/contract)."""

from __future__ import annotations

from typing import Any

from .channels import CHANNEL_LABELS
from .intents import INTENT_LABELS
from .reasons import REASONS
from .routing import CATEGORIES, CATEGORY_SKILLS, TIER_LABELS
from .schema import CONTEXT_VERSION, CONTRACT_VERSION
from .signals import FRUSTRATION_LEVELS, SIGNALS
from .states import STATE_LABELS


def as_public_json() -> dict[str, Any]:
    """{"version", "context_version", "states", "reasons", "signals", "frustration_levels",
    "categories", "tiers", "intents", "channels"}: every label a page shows for a code of the contract."""
    return {
        "version": CONTRACT_VERSION,
        "context_version": CONTEXT_VERSION,
        "states": {state.value: {"label": label} for state, label in STATE_LABELS.items()},
        "reasons": {code: {"label": r.label, "explanation": r.explanation} for code, r in REASONS.items()},
        "signals": {name: {"label": s.label, "explanation": s.explanation} for name, s in SIGNALS.items()},
        "frustration_levels": [
            {"code": level.code, "label": level.label, "min": level.min} for level in FRUSTRATION_LEVELS
        ],
        "categories": {category: {"label": category, "skill": CATEGORY_SKILLS[category]} for category in CATEGORIES},
        "tiers": {tier: {"label": label} for tier, label in TIER_LABELS.items()},
        "intents": {name: {"label": label} for name, label in INTENT_LABELS.items()},
        "channels": {name: {"label": label} for name, label in CHANNEL_LABELS.items()},
    }
