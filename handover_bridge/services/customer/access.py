"""Who may open a conversation (ConversationService inherits it): the customer's token (a
conversation's own, checked against its stored hash), the idle expiry (401 `conversation_expired`
after JIELI_CUSTOMER_IDLE_HOURS), the shop's identity token (identity.verify) and the per
conversation rate limit.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from ...domain import identity
from ...domain.errors import Conflict, NotFound, RateLimited, Unauthorized
from ...models import utcnow
from ...repositories import conversations as conversations_repo
from ..infra.security import same, token_hash
from ..wiring.context import Context

log = logging.getLogger("handover_bridge.conversations")

CONVERSATION_ID = re.compile(r"^[0-9a-f]{32}$")
CONVERSATION_EXPIRED = "会话已过期，为了您的信息安全，请重新开始对话～"


class CustomerAccess:
    """The access side of ConversationService (which sets these)."""

    ctx: Context
    _token_hashes: dict[str, tuple[str, datetime]]

    async def log_in(self, conversation_id: str, identity_token: Any) -> dict[str, Any]:
        """A running conversation's customer logs in (POST …/identity): the shop's token is
        verified and the record stored. The same customer again refreshes it (tier, name); another
        customer is refused (409): a conversation belongs to one customer."""
        record = self._verify_identity(identity_token, conversation_id).record()
        async with self.ctx.db.write() as session:
            stored = await conversations_repo.set_identity(session, conversation_id, record)
        if stored is None:
            raise NotFound("conversation not found")
        if stored is not record:
            log.warning(
                "identity refused",
                extra={"fields": {"conversation_id": conversation_id, "reason": "other_customer", "at": "login"}},
            )
            raise Conflict("本次会话已登录为另一位顾客，请开始新的会话。", "identity_mismatch")
        log.info(
            "identity verified",
            extra={"fields": {"conversation_id": conversation_id, "customer_id": record["customer_id"], "at": "login"}},
        )
        return record

    def _verify_identity(self, token: Any, conversation_id: str | None) -> identity.Identity:
        try:
            return identity.verify(token, self.ctx.settings.identity_secret)
        except identity.IdentityRefused as refused:  # logged without the token's text
            log.warning(
                "identity refused",
                extra={
                    "fields": {
                        "conversation_id": conversation_id,
                        "reason": refused.reason,
                        "code": refused.code,
                        "at": "login" if conversation_id else "create",
                    }
                },
            )
            raise

    async def authenticate(self, conversation_id: str, token: str | None) -> None:
        """A customer token opens its own conversation only; anything else is 'not found'. After
        JIELI_CUSTOMER_IDLE_HOURS without activity in the conversation the right token gets 401
        `conversation_expired` (the widget offers a new conversation; nothing stored is removed)."""
        if not token:
            raise Unauthorized("missing conversation token (Authorization: Bearer <token>)")
        if not CONVERSATION_ID.match(conversation_id or ""):
            raise NotFound("conversation not found")
        digest, active_at = await self._credentials(conversation_id)
        if not same(digest, token_hash(self.ctx.settings.secret_key, token)):
            raise NotFound("conversation not found")
        self._check_idle(active_at)

    async def check_active(self, conversation_id: str) -> None:
        """An open customer socket: 401 `conversation_expired` once the conversation sat idle."""
        _digest, active_at = await self._credentials(conversation_id)
        self._check_idle(active_at)

    async def _credentials(self, conversation_id: str) -> tuple[str, datetime]:
        """(token hash, last activity), from memory while the remembered activity is recent enough
        to prove the conversation fresh, else from the store (activity only moves forward)."""
        remembered = self._token_hashes.get(conversation_id)
        if remembered is not None and utcnow() - remembered[1] < self._idle():
            return remembered
        async with self.ctx.db.read() as session:
            found = await conversations_repo.credentials(session, conversation_id)
        if found is None:
            raise NotFound("conversation not found")
        self._remember(conversation_id, *found)
        return found

    def _idle(self) -> timedelta:
        return timedelta(hours=self.ctx.settings.customer_idle_hours)

    def _check_idle(self, active_at: datetime) -> None:
        if utcnow() - active_at >= self._idle():
            raise Unauthorized(CONVERSATION_EXPIRED, "conversation_expired")

    def _remember(self, conversation_id: str, digest: str, active_at: datetime) -> None:
        if len(self._token_hashes) > 100_000:
            self._token_hashes.clear()
        self._token_hashes[conversation_id] = (digest, active_at)

    async def check_rate(self, conversation_id: str) -> None:
        s = self.ctx.settings
        wait = await self.ctx.limiter.hit(
            f"c:{conversation_id}", s.rate_conversation_per_min, s.rate_conversation_burst
        )
        if wait:
            self.ctx.metrics.rate_limited.labels("conversation").inc()
            raise RateLimited("发送太频繁了，请稍等片刻再试。", retry_after=wait)
