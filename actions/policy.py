"""The shop's policy (shop/policy.yml) and product manuals (shop/manuals.yml) as the actions see
them: lazy loading, placeholder formatting and keyword-based topic picking.

Files are read on first use and re-read when their modification time changes, so a shop can edit
its policy without restarting the action server.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from actions.settings import get_settings
from jieli_nlu.normalize import normalize_text

logger = logging.getLogger(__name__)

_cache: dict[Path, tuple[int, dict]] = {}
_lock = threading.Lock()
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")
MAX_BUTTONS = 4


class PolicyError(RuntimeError):
    """The policy or manuals file is missing or malformed."""


def _load(path: Path) -> dict:
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError as error:
        raise PolicyError(f"cannot read {path}: {error}") from error
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError) as error:
            raise PolicyError(f"cannot load {path}: {error}") from error
        if not isinstance(data, dict):
            raise PolicyError(f"{path} must hold a mapping at the top level")
        _cache[path] = (mtime, data)
        return data


def load_policy() -> dict:
    return _load(get_settings().policy_path)


def load_manuals() -> dict:
    return _load(get_settings().manuals_path)


# ---------------------------------------------------------------------------------------------
# placeholders


def shop_info() -> dict[str, Any]:
    shop = load_policy().get("shop") or {}
    return {key: value for key, value in shop.items() if isinstance(value, (str, int, float))}


def fmt(text: Any, **extra: Any) -> str:
    """Fill {placeholders} from the `shop:` section and ``extra``; unknown ones stay as they are."""
    if text is None:
        return ""
    values = {**shop_info(), **{k: v for k, v in extra.items() if v is not None}}

    def replace(match: re.Match) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return _PLACEHOLDER.sub(replace, str(text)).strip()


# ---------------------------------------------------------------------------------------------
# lookups with safe fallbacks


def _mapping(name: str) -> dict:
    value = load_policy().get(name)
    return value if isinstance(value, dict) else {}


def order_status_text(status: str | None) -> str:
    return str(_mapping("order_status_text").get(status, status or "未知状态"))


def refund_status_text(status: str | None) -> str:
    return str(_mapping("refund_status_text").get(status, status or "未知状态"))


def payment_method(code: str | None) -> dict[str, str]:
    """{"name", "refund_time"} for a payment method code (unknown codes get a generic wording)."""
    entry = _mapping("payment_methods").get(code) if code else None
    if isinstance(entry, dict):
        return {"name": str(entry.get("name", code)), "refund_time": str(entry.get("refund_time", ""))}
    return {"name": str(code or "原支付方式"), "refund_time": "原路退回您的付款账户"}


def carrier(code: str | None) -> dict[str, str]:
    """{"name", "hotline"} for a carrier code; an unknown code (or a name) is shown as given."""
    entry = _mapping("carriers").get(code) if code else None
    if isinstance(entry, dict):
        return {"name": str(entry.get("name", code)), "hotline": str(entry.get("hotline", ""))}
    return {"name": str(code or "快递"), "hotline": ""}


def section(name: str) -> dict:
    value = load_policy().get(name)
    return value if isinstance(value, dict) else {}


def topics(name_or_topics: str | Iterable[dict] | None) -> list[dict]:
    if name_or_topics is None:
        return []
    if isinstance(name_or_topics, str):
        raw = section(name_or_topics).get("topics")
    else:
        raw = list(name_or_topics)
    return [t for t in (raw or []) if isinstance(t, dict) and t.get("id")]


def get_topic(section_name: str | Iterable[dict], topic_id: str | None) -> dict | None:
    if not topic_id:
        return None
    for topic in topics(section_name):
        if str(topic["id"]) == str(topic_id):
            return topic
    return None


def answer(section_name: str, topic_id: str, **extra: Any) -> str:
    """The formatted answer of a topic, or "" when the shop removed it."""
    topic = get_topic(section_name, topic_id)
    return fmt(topic.get("answer"), **extra) if topic else ""


# ---------------------------------------------------------------------------------------------
# keyword matching


@functools.lru_cache(maxsize=8192)
def _norm(keyword: str) -> str:
    return normalize_text(keyword)


def is_payload(text: str | None) -> bool:
    """A button payload such as '/refund{"topic":"progress"}' (not words to match)."""
    return bool(text) and text.lstrip().startswith("/")


def keyword_hits(keywords: Any, normalized: str) -> set[str]:
    """The distinct keywords found in the normalised text; a keyword inside a longer hit of the
    same list is not counted again."""
    if not normalized or not isinstance(keywords, (list, tuple)):
        return set()
    hits = {k for k in (_norm(str(kw)) for kw in keywords if kw is not None) if k and k in normalized}
    return {k for k in hits if not any(k != other and k in other for other in hits)}


def keyword_score(keywords: Any, normalized: str) -> tuple[int, int]:
    """(total length of the hits, number of hits): longer and more hits score higher; (0, 0) is
    no hit."""
    hits = keyword_hits(keywords, normalized)
    return sum(len(k) for k in hits), len(hits)


def pick_topic(section_name: str | Iterable[dict], text: str | None, topic_id: str | None = None) -> dict | None:
    """The topic of a section that best matches ``text``.

    ``topic_id`` (the `topic` entity sent by a quick-reply button) wins when it names a topic.
    Otherwise every topic's keywords are matched against the normalised text (simplified, lower
    case, half-width): the longest total of keyword hits wins, then the most hits, then the topic
    listed first. None when nothing matches (also for button payloads and empty text).
    """
    chosen = get_topic(section_name, topic_id)
    if chosen:
        return chosen
    ties = keyword_ties(section_name, text)
    return ties[0] if ties else None


def keyword_ties(section_name: str | Iterable[dict], text: str | None) -> list[dict]:
    """The topics whose keywords match ``text`` best, in the order listed (several when they tie:
    "忘了开发票" hits 开发票 of one topic and 忘了开 of another); [] when nothing matches."""
    if not text or is_payload(text):
        return []
    normalized = normalize_text(text)
    asked = asked_part(normalized)
    if asked != normalized:
        ties = _best_matches(section_name, asked)
        if ties:
            return ties
    return _best_matches(section_name, normalized)


# "七天无理由退货的话 运费谁出": what comes before 的话 / 如果… is the case, what follows the question
_CONDITION = re.compile(r"的话|要是[^,，。!?？]{1,20}[,，\s]|如果[^,，。!?？]{1,20}[,，\s]")


def asked_part(normalized: str) -> str:
    """The part of a message after its last condition ('…的话', '如果…，'): the question itself,
    whose keywords say which answer is wanted; the whole message when there is no condition or
    nothing follows it."""
    ends = [m.end() for m in _CONDITION.finditer(normalized)]
    rest = normalized[ends[-1] :].strip() if ends else ""
    return rest if len(rest) >= 2 else normalized


def _best_matches(section_name: str | Iterable[dict], normalized: str) -> list[dict]:
    best: list[dict] = []
    best_score = (0, 0)
    for topic in topics(section_name):
        score = keyword_score(topic.get("keywords"), normalized)
        if score > best_score:
            best, best_score = [topic], score
        elif score == best_score and score > (0, 0):
            best.append(topic)
    return best


# The sections whose topics answer a question on their own (no order to look up first): when the
# understood intent's own section has nothing for a message, the best of these answers it rather
# than the intent's menu ("运费多少" read as a product question still gets the shipping fee).
ANSWER_SECTIONS = ("shipping", "return_exchange", "refund", "invoice", "payment", "coupon", "product_info", "general")
# a match across sections must be clear: keyword characters hit in all (one two-character word is
# too little to move a question to another topic)
MIN_CROSS_SECTION_SCORE = 3


def pick_topic_anywhere(text: str | None, exclude: str = "") -> tuple[str, dict] | None:
    """(section, topic) of the answer topic that best matches ``text`` in any answer section but
    ``exclude``; topics that need an order looked up (``needs_order``) are left to their action.
    None without a clear match."""
    if not text or is_payload(text):
        return None
    normalized = normalize_text(text)
    best, best_score = None, (MIN_CROSS_SECTION_SCORE - 1, 0)
    for name in ANSWER_SECTIONS:
        if name == exclude:
            continue
        for topic in topics(name):
            if topic.get("needs_order"):
                continue
            score = keyword_score(topic.get("keywords"), normalized)
            if score > best_score:
                best, best_score = (name, topic), score
    return best


def topic_buttons(intent: str, topic_list: Iterable[dict], featured: Any = None) -> list[dict]:
    """Up to four quick replies ``/<intent>{"topic":"<id>"}`` titled with the topic titles."""
    all_topics = topics(topic_list)
    by_id = {str(t["id"]): t for t in all_topics}
    ordered = [by_id[str(i)] for i in (featured or []) if str(i) in by_id]
    ordered += [t for t in all_topics if t not in ordered and t.get("keywords")]
    buttons = []
    for topic in ordered[:MAX_BUTTONS]:
        payload = "/" + intent + json.dumps({"topic": str(topic["id"])}, ensure_ascii=False, separators=(",", ":"))
        buttons.append({"title": str(topic.get("title") or topic["id"]), "payload": payload})
    return buttons


def section_buttons(intent: str, section_name: str) -> list[dict]:
    return topic_buttons(intent, topics(section_name), section(section_name).get("featured"))


def reject_advice(reason: str | None) -> str:
    """The shop's advice for a refund rejection reason (best keyword hit), else the default."""
    refund = section("refund")
    normalized = normalize_text(reason or "")
    best, best_score = None, (0, 0)
    for entry in refund.get("reject_reasons") or []:
        if not isinstance(entry, dict):
            continue
        score = keyword_score(entry.get("keywords"), normalized)
        if score > best_score:
            best, best_score = entry, score
    if best and best.get("advice"):
        return fmt(best["advice"])
    return fmt(refund.get("default_reject_advice") or "您可以补充凭证后重新申请，或者转人工复核。")


# ---------------------------------------------------------------------------------------------
# product manuals


def products() -> list[dict]:
    return [p for p in (load_manuals().get("products") or []) if isinstance(p, dict) and p.get("id")]


def get_product(product_id: str | None) -> dict | None:
    if not product_id:
        return None
    for product in products():
        if str(product["id"]) == str(product_id):
            return product
    return None


def find_product(text: str | None) -> dict | None:
    """The product whose longest alias (or name) appears in the text."""
    best, _ = find_product_alias(text)
    return best


def find_product_alias(text: str | None) -> tuple[dict | None, str]:
    """The product whose longest alias (or name) appears in the text, and that alias."""
    if not text or is_payload(text):
        return None, ""
    normalized = normalize_text(text)
    best, best_alias = None, ""
    for product in products():
        names = [product.get("name")] + list(product.get("aliases") or [])
        for name in names:
            alias = _norm(str(name)) if name else ""
            if alias and alias in normalized and len(alias) > len(best_alias):
                best, best_alias = product, alias
    return best, best_alias


def find_manual_topic(topic_id: str | None) -> tuple[dict, dict] | None:
    """(product, topic) for a manual topic id, searching every product."""
    if not topic_id:
        return None
    for product in products():
        topic = get_topic(product.get("topics") or [], topic_id)
        if topic:
            return product, topic
    return None
