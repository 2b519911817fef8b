"""The thresholds of the escalation rules: EscalationPolicy's config in config.yml (see the package
docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from jieli_contract import ANGRY_MIN


@dataclass(frozen=True)
class Thresholds:
    """When the implicit signals hand over. A limit of 0 switches its rule off."""

    human_request_limit: int = 1  # explicit requests in the window that hand over
    fallback_limit: int = 3  # consecutive messages the bot did not understand
    unreadable_limit: int = 2  # consecutive messages the bot could not read at all (Turn.unreadable)
    miss_limit: int = 3  # consecutive messages the bot did not help with (unhelped_turns)
    repeat_limit: int = 3  # times the same question is asked
    complaint_limit: int = 2  # complain intents in the window
    insult_limit: int = 2  # insult intents in the window (the first gets a calm answer)
    frustration_threshold: float = ANGRY_MIN  # frustration (0..1) at which the customer is handed over
    upset_limit: int = 3  # messages in a row, each itself negative, with frustration at 不满 or more
    ask_description_first: bool = False  # True: a bare first-message request asks for the problem first
    clarify_below: float = 0.0  # intent confidence under which the bot asks "您是想问…还是…？" (0: off)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any] | None) -> Thresholds:
        config = config or {}
        values: dict[str, Any] = {}
        for name in (
            "human_request_limit",
            "fallback_limit",
            "unreadable_limit",
            "miss_limit",
            "repeat_limit",
            "complaint_limit",
            "insult_limit",
            "upset_limit",
        ):
            if config.get(name) is None:
                continue
            value = config[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < 0:
                raise ValueError(f"{name} must be a whole number ≥ 0, not {value!r}")
            values[name] = int(value)
        if values.get("human_request_limit", 1) < 1:
            raise ValueError("human_request_limit must be at least 1: a request for a person is never ignored")
        if config.get("frustration_threshold") is not None:
            value = config["frustration_threshold"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"frustration_threshold must be between 0 and 1 (0 switches it off), not {value!r}")
            values["frustration_threshold"] = float(value)
        if config.get("ask_description_first") is not None:
            values["ask_description_first"] = bool(config["ask_description_first"])
        if config.get("clarify_below") is not None:
            value = config["clarify_below"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"clarify_below must be between 0 and 1 (0 switches it off), not {value!r}")
            values["clarify_below"] = float(value)
        return cls(**values)

    def as_dict(self) -> dict:
        return asdict(self)
