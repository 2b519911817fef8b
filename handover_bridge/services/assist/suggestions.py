"""Suggested replies for the chat an agent has open, and what the agent did with them.

Sources (knowledge.py): the shop's policy and manuals (the bot's own files), answers designers
accepted in the review queue (审核通过), and agents' answers in past handovers the customer rated at
least ``JIELI_ASSIST_MIN_RATING`` (同事回答). The index (retrieval.py) is built at start-up and
rebuilt when a shop file's modification time changes (checked on each request: one stat per file)
or when the past answers changed (checked at most every ``JIELI_ASSIST_REFRESH_SECONDS``: one small
query); never per request otherwise. A rebuild runs in a worker thread while requests are served
from the previous index.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from jieli_contract.intents import INTENT_LABELS

from ...domain.errors import Invalid, NotFound
from ...domain.states import check_assigned_to
from ...models import SUGGESTION_USES, Agent, utcnow
from ...repositories import assist as repo
from ..wiring.context import Context
from .knowledge import SOURCE_LABELS, Entry, ShopFiles
from .retrieval import Index, Params, Tokenizer

log = logging.getLogger("handover_bridge.assist")

TOP_K = 3
MAX_SENT_CHARS = 4000
MAX_TITLE_CHARS = 40


def history_entries(rows: list[tuple[Any, int | None]], min_rating: int) -> list[Entry]:
    """Review candidates as entries: accepted or exported → 审核通过; rated well → 同事回答. What
    retrieval matches is the customers' own questions plus the answer."""
    entries = []
    for candidate, rating in rows:
        reviewed = candidate.status in ("accepted", "exported")
        if not reviewed and (rating is None or rating < min_rating):
            continue
        examples = [str(e) for e in (candidate.examples or []) if e]
        label = INTENT_LABELS.get(candidate.intent or "", "") if candidate.intent else ""
        question = examples[0] if examples else ""
        if len(question) > 18:
            question = question[:17] + "…"
        title = " · ".join(t for t in (label, question) if t) or "过往回答"
        source = "reviewed" if reviewed else "colleague"
        entries.append(
            Entry(
                id=f"{source}:{candidate.id}",
                source=source,
                title=title[:MAX_TITLE_CHARS],
                text=candidate.answer,
                body=" ".join([*examples, *examples, candidate.answer]),
                extra={"intent": candidate.intent, "rating": rating},
            )
        )
    return entries


def item_dict(entry: Entry, score: float) -> dict[str, Any]:
    return {
        "id": entry.id,
        "text": entry.text,
        "source": entry.source,
        "source_label": SOURCE_LABELS[entry.source],
        "title": entry.title,
        "topic": entry.topic or None,
        "score": score,
    }


def compare(suggested: str, sent: str) -> str:
    """as_is when the agent sent the suggestion's text (surrounding blanks aside), else edited."""
    return "as_is" if " ".join(suggested.split()) == " ".join(sent.split()) else "edited"


class AssistService:
    def __init__(self, ctx: Context, params: Params | None = None):
        self.ctx = ctx
        s = ctx.settings
        self.files = ShopFiles(Path(s.policy_path), Path(s.manuals_path))
        self.params = params or Params()
        self.index: Index | None = None
        self._by_id: dict[str, Entry] = {}
        self._history_signature: tuple[Any, ...] | None = None
        self._history_checked = 0.0
        self._lock = asyncio.Lock()
        self._tokenizers: dict[frozenset[str], Tokenizer] = {}

    # ---- the index ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.rebuild()

    async def _history(self) -> tuple[tuple[Any, ...], list[Entry]]:
        min_rating = self.ctx.settings.assist_min_rating
        async with self.ctx.db.read() as session:
            signature = await repo.past_answers_signature(session, min_rating)
            rows = await repo.past_answers(session, min_rating)
        return signature, history_entries(rows, min_rating)

    def _build(self, entries: list[Entry]) -> Index:
        words = frozenset(w for e in entries for w in (*e.keywords, *(e.extra.get("aliases") or ())))
        tokenizer = self._tokenizers.get(words)
        if tokenizer is None:  # jieba's dictionary with the shop's words: only when those change
            tokenizer = Tokenizer(sorted(words), bigrams=self.params.bigrams)
            self._tokenizers = {words: tokenizer}
        return Index(entries, self.params, tokenizer)

    async def rebuild(self) -> None:
        """Read every source again and build a new index (in a worker thread)."""
        async with self._lock:
            signature, past = await self._history()
            shop = await asyncio.to_thread(self.files.entries)
            entries = shop + past
            started = time.perf_counter()
            index = await asyncio.to_thread(self._build, entries)
            self.index, self._by_id = index, {e.id: e for e in entries}
            self._history_signature, self._history_checked = signature, time.monotonic()
        log.info(
            "suggestion index built",
            extra={
                "fields": {
                    "shop": len(shop),
                    "past": len(past),
                    "seconds": round(time.perf_counter() - started, 3),
                }
            },
        )

    async def fresh(self) -> Index:
        """The index, rebuilt first if a source changed."""
        if self.index is None or self.files.changed():
            await self.rebuild()
        elif time.monotonic() - self._history_checked >= self.ctx.settings.assist_refresh_seconds:
            async with self.ctx.db.read() as session:
                signature = await repo.past_answers_signature(session, self.ctx.settings.assist_min_rating)
            self._history_checked = time.monotonic()
            if signature != self._history_signature:
                await self.rebuild()
        assert self.index is not None
        return self.index

    # ---- the agent's chat --------------------------------------------------------------------------

    @staticmethod
    async def _own(session, agent: Agent, conversation_id: str):
        conversation = await repo.conversation(session, conversation_id)
        if conversation is None:
            raise NotFound("conversation not found")
        check_assigned_to(conversation.state, conversation.agent_id, agent.id)
        return conversation

    async def suggestions(self, agent: Agent, conversation_id: str) -> dict[str, Any]:
        """The top three for the customer's own words in this chat (the agent must have it)."""
        async with self.ctx.db.read() as session:
            await self._own(session, agent, conversation_id)
            texts = await repo.customer_texts(session, conversation_id, self.params.max_messages)
        index = await self.fresh()
        items = [item_dict(h.entry, h.score) for h in index.search(texts, TOP_K)]
        if items:
            self.ctx.metrics.suggestions_shown.inc(len(items))
        return {"items": items}

    def entry(self, suggestion_id: str) -> Entry | None:
        return self._by_id.get(suggestion_id)

    async def record_use(self, agent: Agent, conversation_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """What the agent's reply did with the suggestions: as_is, edited or none. The bridge
        compares the texts itself: a reply that differs from its suggestion is stored as edited."""
        how = data.get("how")
        if how not in SUGGESTION_USES:
            raise Invalid("how must be as_is, edited or none", "invalid_usage")
        sent = data.get("sent_text")
        if not isinstance(sent, str) or not sent.strip():
            raise Invalid("sent_text must be the text the agent sent", "invalid_usage")
        if len(sent) > MAX_SENT_CHARS:
            raise Invalid(f"sent_text must be at most {MAX_SENT_CHARS} characters", "invalid_usage")
        suggestion_id = data.get("suggestion_id")
        entry = None
        if how == "none":
            if suggestion_id is not None:
                raise Invalid("a reply written without a suggestion names none", "invalid_usage")
        else:
            if not isinstance(suggestion_id, str) or not suggestion_id:
                raise Invalid("say which suggestion was used", "invalid_usage")
            entry = self.entry(suggestion_id)
            if entry is None:
                raise NotFound("no such suggestion", "unknown_suggestion")
            how = compare(entry.text, sent)
        async with self.ctx.db.write() as session:
            conversation = await self._own(session, agent, conversation_id)
            use = await repo.add_use(
                session,
                conversation_id=conversation_id,
                handover_id=conversation.handover_id,
                agent_id=agent.id,
                how=how,
                suggestion_id=entry.id if entry else None,
                source=entry.source if entry else None,
                title=entry.title[:200] if entry else None,
                suggested_text=entry.text if entry else None,
                sent_text=sent,
                created_at=utcnow(),
            )
        self.ctx.metrics.suggestions_used.labels(how).inc()
        return {"id": use.id, "how": how, "suggestion_id": use.suggestion_id}


def use_dict(use: Any) -> dict[str, Any]:
    return {
        "how": use.how,
        "suggestion_id": use.suggestion_id,
        "source": use.source,
        "source_label": SOURCE_LABELS.get(use.source or "", None),
        "title": use.title,
    }


def uses_by_handover(uses: list[Any]) -> dict[int, list[dict[str, Any]]]:
    """Per handover, which suggestions its replies used (the review queue shows them)."""
    result: dict[int, list[dict[str, Any]]] = {}
    for use in uses:
        if use.handover_id is not None:
            result.setdefault(use.handover_id, []).append(use_dict(use))
    return result
