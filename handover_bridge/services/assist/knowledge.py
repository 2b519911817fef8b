"""The shop's own answers as the bridge sees them: shop/policy.yml and shop/manuals.yml, the same
files the bot answers from, read here without importing actions/.

Each topic becomes an `Entry` (one suggestion candidate). Answers' ``{placeholders}`` are filled from
the scalars of the policy's ``shop:`` section, as the bot does; a placeholder the shop section does
not know (``{order_id}`` in an order-specific wording) stays as it is, for the agent to fill in.
`ShopFiles` re-reads the files when their modification time changes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SOURCE_LABELS = {"policy": "政策", "manual": "说明书", "reviewed": "审核通过", "colleague": "同事回答"}
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


@dataclass(frozen=True)
class Entry:
    """One thing an agent could send: its text, where it comes from, and what describes it."""

    id: str  # stable: "policy:shipping.dispatch", "manual:nightlight_reset", "reviewed:12", "colleague:7"
    source: str  # a key of SOURCE_LABELS
    title: str
    text: str
    # What retrieval matches: the title, the customers' usual words, the answer, and for a manual
    # topic the product's names. Keywords are listed apart: an exact hit counts extra.
    keywords: tuple[str, ...] = ()
    body: str = ""
    topic: str = ""  # "<section>.<id>" or "manual.<id>" for the shop's topics; "" otherwise
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


class KnowledgeError(RuntimeError):
    """A shop file is missing or malformed."""


def fill(text: Any, values: dict[str, Any]) -> str:
    """Fill {placeholders} from ``values``; unknown ones stay as they are (as the bot does)."""
    if text is None:
        return ""

    def replace(match: re.Match) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return _PLACEHOLDER.sub(replace, str(text)).strip()


def _load_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeError(f"cannot load {path}: {error}") from error
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path} must hold a mapping at the top level")
    return data


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value if v is not None) if isinstance(value, list) else ()


def policy_entries(policy: dict) -> list[Entry]:
    shop = policy.get("shop") or {}
    values = {k: v for k, v in shop.items() if isinstance(v, (str, int, float))} if isinstance(shop, dict) else {}
    entries: list[Entry] = []
    for section, content in policy.items():
        if not isinstance(content, dict) or not isinstance(content.get("topics"), list):
            continue
        for topic in content["topics"]:
            if not isinstance(topic, dict) or not topic.get("id") or not topic.get("answer"):
                continue
            key = f"{section}.{topic['id']}"
            title = str(topic.get("title") or topic["id"])
            keywords = _strings(topic.get("keywords"))
            text = fill(topic["answer"], values)
            entries.append(
                Entry(
                    id=f"policy:{key}",
                    source="policy",
                    title=title,
                    text=text,
                    keywords=keywords,
                    body=text,
                    topic=key,
                )
            )
    return entries


def manual_entries(manuals: dict, policy: dict | None = None) -> list[Entry]:
    shop = (policy or {}).get("shop") or {}
    values = {k: v for k, v in shop.items() if isinstance(v, (str, int, float))} if isinstance(shop, dict) else {}
    entries: list[Entry] = []
    for product in manuals.get("products") or []:
        if not isinstance(product, dict):
            continue
        name = str(product.get("name") or product.get("id") or "")
        aliases = _strings(product.get("aliases"))
        for topic in product.get("topics") or []:
            if not isinstance(topic, dict) or not topic.get("id") or not topic.get("answer"):
                continue
            text = fill(topic["answer"], values)
            entries.append(
                Entry(
                    id=f"manual:{topic['id']}",
                    source="manual",
                    title=f"{name} · {topic.get('title') or topic['id']}",
                    text=text,
                    keywords=_strings(topic.get("keywords")),
                    body=text,
                    topic=f"manual.{topic['id']}",
                    extra={"product": name, "aliases": aliases},
                )
            )
    return entries


class ShopFiles:
    """The policy and manuals files, re-read when either's modification time changes."""

    def __init__(self, policy_path: Path, manuals_path: Path):
        self.policy_path = Path(policy_path)
        self.manuals_path = Path(manuals_path)
        self._stamp: tuple[int, int] | None = None
        self._entries: list[Entry] = []

    def stamp(self) -> tuple[int, int]:
        try:
            return (os.stat(self.policy_path).st_mtime_ns, os.stat(self.manuals_path).st_mtime_ns)
        except OSError as error:
            raise KnowledgeError(f"cannot read the shop's files: {error}") from error

    def changed(self) -> bool:
        return self.stamp() != self._stamp

    def entries(self) -> list[Entry]:
        """The shop's topics, re-read if a file changed since the last call."""
        stamp = self.stamp()
        if stamp != self._stamp:
            policy = _load_yaml(self.policy_path)
            manuals = _load_yaml(self.manuals_path)
            self._entries = policy_entries(policy) + manual_entries(manuals, policy)
            self._stamp = stamp
        return list(self._entries)
