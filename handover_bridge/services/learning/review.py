"""Learning from agents: the review queue of conversation designers, and the export to Rasa.

* **Candidates.** When an agent closes a chat, `create_for_handover` collects what the customer
  asked — before the handover (this bot episode) and while with the agent — and what the agent
  answered, with the intent the agent tagged (one of the domain's intents) and whether the answer
  is reusable. One candidate per handover (idempotent).
* **Review.** A designer lists them, accepts (possibly edited) or rejects each one.
* **Export.** `export` writes the accepted ones into `data/nlu/learned_from_agents.yml`
  (services/learning/training_export.py): examples under the tagged intent, or a new `faq/<key>` with the
  agent's answer as `utter_faq/<key>`; then they are `exported`. `make train` picks them up.

No Sanic here (house style 2); SQL lives in repositories/review.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from ...domain.errors import Invalid, NotFound, Unavailable
from ...models import CANDIDATE_STATUSES, Agent, Handover, ReviewCandidate, utcnow
from ...repositories import assist as assist_repo
from ...repositories import handovers as handovers_repo
from ...repositories import review as review_repo
from ..assist.suggestions import uses_by_handover
from ..wiring.context import Context
from . import training_export as tx
from .examples import MAX_ANSWER_CHARS, MAX_EXAMPLE_CHARS, MAX_EXAMPLES, MAX_NOTE_CHARS, gather, usable_example
from .intents import INTENT_LABELS, UNTAGGABLE, DomainIntents, Intent

__all__ = [
    "INTENT_LABELS",
    "MAX_ANSWER_CHARS",
    "MAX_EXAMPLES",
    "MAX_EXAMPLE_CHARS",
    "UNTAGGABLE",
    "DomainIntents",
    "Intent",
    "ReviewService",
    "candidate_dict",
    "gather",
    "usable_example",
    "write_atomic",
]

log = logging.getLogger("handover_bridge.review")


def candidate_dict(
    candidate: ReviewCandidate, handover: Handover | None = None, names: dict[int, str] | None = None
) -> dict[str, Any]:
    names = names or {}
    data: dict[str, Any] = {
        "id": candidate.id,
        "handover_id": candidate.handover_id,
        "conversation_id": candidate.conversation_id,
        "agent": (
            {"id": candidate.agent_id, "display_name": names.get(candidate.agent_id)} if candidate.agent_id else None
        ),
        "intent": candidate.intent,
        "intent_label": INTENT_LABELS.get(candidate.intent or "", candidate.intent),
        "bot_intent": candidate.bot_intent,
        "bot_intent_label": INTENT_LABELS.get(candidate.bot_intent or "", candidate.bot_intent),
        "examples": list(candidate.examples or []),
        "answer": candidate.answer,
        "reusable": candidate.reusable,
        "status": candidate.status,
        "note": candidate.note,
        "demo": candidate.demo,
        "created_at": candidate.created_at.isoformat() if candidate.created_at else None,
        "reviewed_at": candidate.reviewed_at.isoformat() if candidate.reviewed_at else None,
        "reviewed_by": (
            {"id": candidate.reviewed_by, "display_name": names.get(candidate.reviewed_by)}
            if candidate.reviewed_by
            else None
        ),
        "exported_at": candidate.exported_at.isoformat() if candidate.exported_at else None,
        "export_as": ("faq" if candidate.reusable and candidate.answer else "examples" if candidate.intent else None),
    }
    if handover is not None:
        data["handover"] = {
            "reason": handover.reason,
            "category": handover.category,
            "summary": handover.summary,
            "resolution": handover.resolution,
            "queued_at": handover.queued_at.isoformat() if handover.queued_at else None,
            "closed_at": handover.closed_at.isoformat() if handover.closed_at else None,
        }
    return data


class ReviewService:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.domain = DomainIntents(ctx.settings.domain_path)
        self._export_lock = asyncio.Lock()

    # ---- the close dialog ---------------------------------------------------------------------------

    def intents(self) -> list[dict[str, str]]:
        return [i.as_dict() for i in self.domain.taggable()]

    def check_close(self, intent: Any, reusable: Any, answer: Any) -> tuple[str | None, bool, str | None]:
        """The close dialog's learning fields, checked before the chat closes (400 on bad input)."""
        if reusable is None:
            reusable = False
        if not isinstance(reusable, bool):
            raise Invalid("reusable must be true or false", "invalid_close")
        if answer is not None and not isinstance(answer, str):
            raise Invalid("answer must be text", "invalid_close")
        answer = tx.clean_answer(answer) if answer else None
        if answer and len(answer) > MAX_ANSWER_CHARS:
            raise Invalid(f"answer must be at most {MAX_ANSWER_CHARS} characters", "invalid_close")
        return self.domain.check(intent), reusable, answer or None

    # ---- candidates from a closed handover -----------------------------------------------------------

    async def create_for_handover(
        self, handover_id: int, *, reusable: bool = False, answer: str | None = None
    ) -> ReviewCandidate | None:
        """The candidate of a closed handover (once: a second call returns the first one). None
        when the chat taught nothing: no customer question worth keeping. `answer` is the one the
        agent chose at close; by default their longest message of the chat."""
        async with self.ctx.db.write() as session:
            existing = await review_repo.by_handover(session, handover_id)
            if existing is not None:
                return existing
            handover = await handovers_repo.get(session, handover_id)
            if handover is None or handover.closed_at is None:
                return None
            previous = await review_repo.previous_closed(session, handover.conversation_id, handover.id)
            messages = await review_repo.conversation_messages(session, handover.conversation_id)
            fields = gather(handover, messages, previous.closed_at if previous else None)
            if not fields["examples"]:
                return None
            try:
                async with session.begin_nested():
                    candidate = await review_repo.create(
                        session,
                        handover_id=handover.id,
                        conversation_id=handover.conversation_id,
                        agent_id=handover.agent_id,
                        intent=handover.intent,
                        bot_intent=fields["bot_intent"],
                        examples=fields["examples"],
                        answer=answer or fields["answer"],
                        reusable=reusable,
                        status="pending",
                        demo=False,
                        created_at=utcnow(),
                    )
            except IntegrityError:  # closed twice at once: the other one made it
                return await review_repo.by_handover(session, handover_id)
        log.info(
            "review candidate created",
            extra={
                "fields": {
                    "candidate": candidate.id,
                    "handover": handover_id,
                    "examples": len(candidate.examples),
                    "intent": candidate.intent,
                    "reusable": candidate.reusable,
                }
            },
        )
        return candidate

    # ---- the designer's queue ----------------------------------------------------------------------

    async def listing(self, status: str | None = "pending", limit: int = 50, offset: int = 0) -> dict[str, Any]:
        statuses = self._statuses(status)
        async with self.ctx.db.read() as session:
            rows = await review_repo.listing(session, statuses, limit=limit, offset=offset)
            counts = await review_repo.counts(session)
            names = await review_repo.agent_names(
                session, {c.agent_id for c, _ in rows} | {c.reviewed_by for c, _ in rows}
            )
            uses = uses_by_handover(await assist_repo.uses_of_handovers(session, [c.handover_id for c, _ in rows]))
        return {
            "items": [
                {**candidate_dict(c, h, names), "suggestions_used": uses.get(c.handover_id, [])} for c, h in rows
            ],
            "counts": {s: counts.get(s, 0) for s in CANDIDATE_STATUSES},
        }

    @staticmethod
    def _statuses(status: str | None) -> list[str] | None:
        if status in (None, "", "all"):
            return None
        wanted = [s.strip() for s in str(status).split(",") if s.strip()]
        bad = [s for s in wanted if s not in CANDIDATE_STATUSES]
        if bad:
            raise Invalid(f"status must be among {', '.join(CANDIDATE_STATUSES)} or all", "invalid_status")
        return wanted

    async def get(self, candidate_id: int) -> dict[str, Any]:
        async with self.ctx.db.read() as session:
            candidate = await review_repo.get(session, candidate_id)
            if candidate is None:
                raise NotFound("no such review candidate", "candidate_not_found")
            handover = await handovers_repo.get(session, candidate.handover_id)
            names = await review_repo.agent_names(session, {candidate.agent_id, candidate.reviewed_by})
            uses = uses_by_handover(await assist_repo.uses_of_handovers(session, [candidate.handover_id]))
        return {**candidate_dict(candidate, handover, names), "suggestions_used": uses.get(candidate.handover_id, [])}

    async def accept(self, designer: Agent, candidate_id: int, edits: dict[str, Any]) -> dict[str, Any]:
        """Accept, with the designer's edits (intent, examples, answer, reusable, note). An exported
        candidate accepted again goes back to `accepted` and is exported anew next time."""
        async with self.ctx.db.write() as session:
            candidate = await review_repo.get(session, candidate_id)
            if candidate is None:
                raise NotFound("no such review candidate", "candidate_not_found")
            values = self._edits(candidate, edits)
            if values["reusable"] and not values["answer"]:
                raise Invalid("a reusable answer needs the answer text", "answer_required")
            if not values["reusable"] and not values["intent"]:
                raise Invalid("say which intent these questions are, or mark the answer reusable", "intent_required")
            if not values["examples"]:
                raise Invalid("keep at least one customer question as an example", "examples_required")
            await review_repo.update_fields(
                session,
                candidate.id,
                **values,
                status="accepted",
                reviewed_at=utcnow(),
                reviewed_by=designer.id,
                exported_at=None,
            )
        return await self.get(candidate_id)

    async def reject(self, designer: Agent, candidate_id: int, note: Any = None) -> dict[str, Any]:
        note = self._note(note)
        async with self.ctx.db.write() as session:
            candidate = await review_repo.get(session, candidate_id)
            if candidate is None:
                raise NotFound("no such review candidate", "candidate_not_found")
            values: dict[str, Any] = {"status": "rejected", "reviewed_at": utcnow(), "reviewed_by": designer.id}
            if note is not None:
                values["note"] = note
            await review_repo.update_fields(session, candidate.id, **values)
        return await self.get(candidate_id)

    def _edits(self, candidate: ReviewCandidate, edits: dict[str, Any]) -> dict[str, Any]:
        intent = self.domain.check(edits["intent"]) if "intent" in edits else candidate.intent
        reusable = edits.get("reusable", candidate.reusable)
        if not isinstance(reusable, bool):
            raise Invalid("reusable must be true or false", "invalid_candidate")
        answer = edits["answer"] if "answer" in edits else candidate.answer
        if answer is not None and not isinstance(answer, str):
            raise Invalid("answer must be text", "invalid_candidate")
        answer = tx.clean_answer(answer) or None
        if answer and len(answer) > MAX_ANSWER_CHARS:
            raise Invalid(f"answer must be at most {MAX_ANSWER_CHARS} characters", "invalid_candidate")
        examples = edits["examples"] if "examples" in edits else candidate.examples
        examples = self._examples(examples)
        values = {"intent": intent, "reusable": reusable, "answer": answer, "examples": examples}
        if "note" in edits:
            values["note"] = self._note(edits["note"])
        return values

    @staticmethod
    def _examples(examples: Any) -> list[str]:
        if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
            raise Invalid("examples must be a list of texts", "invalid_examples")
        cleaned: list[str] = []
        seen: set[str] = set()
        for example in examples:
            text = tx.clean_example(example)
            if not text:
                continue
            if len(text) > MAX_EXAMPLE_CHARS:
                raise Invalid(f"an example must be at most {MAX_EXAMPLE_CHARS} characters", "invalid_examples")
            key = tx.dedupe_key(text)
            if len(key) < tx.MIN_CONTENT_CHARS:
                raise Invalid(f"example {text!r} is too short to learn from", "invalid_examples")
            if key not in seen:
                seen.add(key)
                cleaned.append(text)
        if len(cleaned) > MAX_EXAMPLES * 2:
            raise Invalid(f"at most {MAX_EXAMPLES * 2} examples per candidate", "invalid_examples")
        return cleaned

    @staticmethod
    def _note(note: Any) -> str | None:
        if note is None:
            return None
        if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
            raise Invalid(f"note must be text of at most {MAX_NOTE_CHARS} characters", "invalid_note")
        return note.strip() or None

    # ---- export ---------------------------------------------------------------------------------------

    @property
    def export_path(self) -> Path:
        return Path(self.ctx.settings.training_data_dir) / tx.GENERATED_FILE

    async def export(self, *, dry_run: bool = False) -> dict[str, Any]:
        """Write data/nlu/learned_from_agents.yml from the accepted candidates and mark them
        exported. dry_run: only say what would be written."""
        async with self._export_lock:
            started = utcnow()
            async with self.ctx.db.read() as session:
                candidates = await review_repo.for_export(session)
                origins = await review_repo.origins(session)
            rows = [
                {
                    "id": c.id,
                    "handover_id": c.handover_id,
                    "conversation_id": c.conversation_id,
                    "intent": c.intent,
                    "examples": c.examples,
                    "answer": c.answer,
                    "reusable": c.reusable,
                    "reviewed_at": c.reviewed_at,
                }
                for c in candidates
            ]
            data_dir = Path(self.ctx.settings.training_data_dir)
            if not data_dir.is_dir():
                raise Unavailable(
                    f"the training data folder {data_dir} does not exist (JIELI_TRAINING_DATA_DIR)",
                    "training_data_unavailable",
                )
            plan = await asyncio.to_thread(self._plan, rows, [tx.origin_of(c, h) for c, h in origins], data_dir)
            result = {"path": str(self.export_path), "dry_run": dry_run, **plan.summary()}
            if dry_run:
                result["text"] = plan.text or ""
                return result
            await asyncio.to_thread(write_atomic, self.export_path, plan.text)
            async with self.ctx.db.write() as session:
                marked = await review_repo.mark_exported(
                    session, [c.id for c in candidates if c.status == "accepted"], utcnow(), started
                )
        result["marked_exported"] = marked
        log.info(
            "training data exported",
            extra={"fields": {k: result[k] for k in ("path", "entries", "examples", "faqs", "marked_exported")}},
        )
        return result

    def _plan(self, rows: list[dict[str, Any]], known: list[str], data_dir: Path) -> tx.ExportPlan:
        previous = tx.read_generated(data_dir / tx.GENERATED_FILE)
        existing = tx.existing_examples(data_dir, [Path(self.ctx.settings.heldout_path)])
        return tx.plan_export(rows, known_origins=known, previous=previous, existing=existing)


def write_atomic(path: Path, text: str | None) -> None:
    """Replace the file in one step (None removes it)."""
    if text is None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        return
    handle, temporary = tempfile.mkstemp(prefix=".learned-", suffix=".yml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
