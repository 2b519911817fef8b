"""The intents an agent may tag at close: those of the Rasa domain file (re-read when it changes),
less Rasa's own and the FAQ retrieval intent, with the labels the console shows."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import yaml

import jieli_contract as contract

from ...domain.errors import Invalid, Unavailable
from . import training_export as tx

# Intents of the domain an agent may not tag: Rasa's own, the hand-back rating, and the FAQ
# retrieval intent (tick 「答复可复用」 instead: the answer becomes a new FAQ).
UNTAGGABLE = frozenset({"nlu_fallback", "request_rating", "rate", tx.FAQ_INTENT})
# What the console shows for each intent: the contract's labels (unknown ones show their name).
INTENT_LABELS = contract.INTENT_LABELS


@dataclass(frozen=True)
class Intent:
    name: str
    label: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label}


class DomainIntents:
    """The intents of the Rasa domain file, re-read when it changes."""

    def __init__(self, path: str):
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._intents: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        try:
            stat = os.stat(self.path)
        except OSError:
            raise Unavailable(
                f"the Rasa domain {self.path} cannot be read (JIELI_DOMAIN_PATH)", "domain_unavailable"
            ) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                with open(self.path, encoding="utf-8") as handle:
                    data = yaml.safe_load(handle) or {}
            except (OSError, yaml.YAMLError, UnicodeDecodeError) as error:
                raise Unavailable(
                    f"the Rasa domain {self.path} is not valid YAML: {error}", "domain_unavailable"
                ) from None
            names = []
            for item in data.get("intents") or [] if isinstance(data, dict) else []:
                name = next(iter(item), None) if isinstance(item, dict) else item
                if isinstance(name, str) and name not in names:
                    names.append(name)
            self._intents, self._stamp = tuple(names), stamp
        return self._intents

    def taggable(self) -> list[Intent]:
        names = [n for n in self.names() if n not in UNTAGGABLE]
        order = {name: number for number, name in enumerate(INTENT_LABELS)}
        names.sort(key=lambda n: (order.get(n, len(order)), n))
        return [Intent(n, INTENT_LABELS.get(n, n)) for n in names]

    def check(self, intent: Any, *, what: str = "intent") -> str | None:
        """None, or a taggable intent of the domain; 400 otherwise."""
        if intent is None or intent == "":
            return None
        if not isinstance(intent, str):
            raise Invalid(f"{what} must be the name of an intent", "invalid_intent")
        names = self.names()
        if intent in UNTAGGABLE:
            raise Invalid(
                f"{what} {intent!r} cannot be tagged; for a reusable answer set reusable: true", "invalid_intent"
            )
        if intent not in names:
            raise Invalid(
                f"{what} {intent!r} is not an intent of the domain ({', '.join(i.name for i in self.taggable())})",
                "unknown_intent",
            )
        return intent
