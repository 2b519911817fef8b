"""Agents: accounts, login sessions, presence and heartbeats, and the grace period of an agent
who dropped in the middle of a chat (after AGENT_GRACE_SECONDS the chat goes back to the front
of the queue)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from ...domain import texts
from ...domain.errors import Conflict, Invalid, RateLimited, Unauthorized
from ...models import ROLES, Agent, utcnow
from ...repositories import agents as agents_repo
from ...repositories import conversations as conversations_repo
from ..infra.frames import AGENTS, Event
from ..infra.security import LoginGate, hash_password, new_token, token_hash, verify_password, verify_unknown_user
from ..wiring.context import Context
from .queue import QueueService

log = logging.getLogger("handover_bridge.agents")

PRESENCE = ("online", "away", "offline")


def has_role(agent: Agent, role: str) -> bool:
    return role in (agent.roles or ["agent"])


def agent_dict(agent: Agent, load: int | None = None) -> dict[str, Any]:
    data = {
        "id": agent.id,
        "username": agent.username,
        "display_name": agent.display_name,
        "skills": agent.skills,
        "roles": list(agent.roles or ["agent"]),
        "max_concurrent": agent.max_concurrent,
        "presence": agent.presence,
        "cooldown_until": agent.cooldown_until.isoformat() if agent.cooldown_until else None,
    }
    if load is not None:
        data["active_chats"] = load
    return data


class AgentService:
    def __init__(self, ctx: Context, queue: QueueService):
        self.ctx = ctx
        self.queue = queue
        self.login_gate = LoginGate(ctx.settings.login_queue, ctx.settings.login_per_address)

    async def create(
        self,
        username: str,
        password: str,
        *,
        display_name: str | None = None,
        skills: list[str] | None = None,
        max_concurrent: int = 3,
        roles: list[str] | None = None,
    ) -> Agent:
        roles = roles or ["agent"]
        if not set(roles) <= set(ROLES):
            raise Invalid(f"roles must be among {', '.join(ROLES)}")
        if not username or len(username) > 64:
            raise Invalid("username must be 1–64 characters")
        if len(password) < 8:
            raise Invalid("password must be at least 8 characters")
        digest = await hash_password(password)
        async with self.ctx.db.write() as session:
            if await agents_repo.by_username(session, username):
                raise Conflict(f"agent {username!r} exists already", "agent_exists")
            return await agents_repo.create(
                session,
                username=username,
                password_hash=digest,
                display_name=display_name or username,
                skills=skills or ["*"],
                max_concurrent=max_concurrent,
                presence="offline",
                roles=roles,
                created_at=utcnow(),
            )

    async def ensure_demo_agents(self, usernames: tuple[str, ...], password: str) -> None:
        """Demo mode: agent1, agent2 … exist and accept the demo password. agent1 is also the
        demo's conversation designer and support lead (review queue, dashboard)."""
        for number, username in enumerate(usernames, start=1):
            async with self.ctx.db.read() as session:
                agent = await agents_repo.by_username(session, username)
            if agent is None:
                try:
                    await self.create(
                        username,
                        password,
                        display_name=f"小{'一二三四五六七八九'[number - 1]}",
                        skills=["*"],
                        max_concurrent=3,
                        roles=list(ROLES) if number == 1 else ["agent"],
                    )
                except Conflict:
                    pass  # another bridge process created it a moment ago
                continue
            if number == 1 and set(agent.roles or []) != set(ROLES):
                async with self.ctx.db.write() as session:
                    await agents_repo.set_roles(session, agent.id, list(ROLES))
            if not await verify_password(agent.password_hash, password):
                digest = await hash_password(password)
                async with self.ctx.db.write() as session:
                    await agents_repo.set_password(session, agent.id, digest)

    # ---- sessions ----------------------------------------------------------------------------

    async def login(self, username: Any, password: Any, ip: str) -> tuple[str, Agent]:
        if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
            raise Invalid("username and password are required", "invalid_credentials_format")
        s = self.ctx.settings
        limiter = self.ctx.limiter
        # Password guessing and CPU burning (argon2 costs ~150 ms of CPU per check): attempts per
        # client address whatever the usernames, per address and username, and the address's
        # request budget; then the gate bounds the checks running or waiting in this process.
        wait = (
            await limiter.hit(f"login-ip:{ip}", s.rate_login_ip_per_min, s.rate_login_ip_burst)
            or await limiter.hit(f"login:{ip}:{username[:64]}", s.rate_login_user_per_min, s.rate_login_user_burst)
            or await limiter.hit(f"ip:{ip}", s.rate_ip_per_min, s.rate_ip_burst)
        )
        if wait:
            self.ctx.metrics.rate_limited.labels("login").inc()
            raise RateLimited("too many login attempts, please wait", retry_after=wait)
        try:
            async with self.login_gate.admit(ip):
                # an unknown username costs one check too (the same time), and within the same bounds
                async with self.ctx.db.read() as session:
                    agent = await agents_repo.by_username(session, username)
                if agent is None:
                    await verify_unknown_user(password)
                    raise Unauthorized("wrong username or password", "invalid_credentials")
                if not await verify_password(agent.password_hash, password):
                    raise Unauthorized("wrong username or password", "invalid_credentials")
        except RateLimited:
            self.ctx.metrics.rate_limited.labels("login").inc()
            raise
        token = new_token()
        expires = utcnow() + timedelta(hours=self.ctx.settings.agent_session_hours)
        async with self.ctx.db.write() as session:
            await agents_repo.create_session(
                session, agent.id, token_hash(self.ctx.settings.secret_key, token), expires
            )
        log.info("agent login", extra={"fields": {"agent": agent.username}})
        return token, agent

    async def logout(self, token: str) -> None:
        async with self.ctx.db.write() as session:
            await agents_repo.delete_session(session, token_hash(self.ctx.settings.secret_key, token))

    async def authenticate(self, token: str | None) -> Agent:
        if not token:
            raise Unauthorized("missing agent token (Authorization: Bearer <token>)")
        async with self.ctx.db.read() as session:
            agent = await agents_repo.by_session(session, token_hash(self.ctx.settings.secret_key, token))
        if agent is None:
            raise Unauthorized("invalid or expired agent token", "invalid_token")
        return agent

    # ---- presence ----------------------------------------------------------------------------

    async def set_presence(self, agent: Agent, presence: Any) -> dict[str, Any]:
        if presence not in PRESENCE:
            raise Invalid("presence must be online, away or offline", "invalid_presence")
        async with self.ctx.db.write() as session:
            await agents_repo.set_presence(session, agent.id, presence)
            updated = await agents_repo.get(session, agent.id)
        await self.ctx.publish([((AGENTS,), {"type": "presence", "agent": agent_dict(updated)})])
        await self.queue.maintain()
        return agent_dict(updated)

    async def heartbeat(self, agent: Agent) -> None:
        async with self.ctx.db.write() as session:
            await agents_repo.heartbeat(session, agent.id)

    async def listing(self) -> list[dict[str, Any]]:
        async with self.ctx.db.read() as session:
            agents = await agents_repo.all_agents(session)
            loads = await conversations_repo.load_by_agent(session)
        return [agent_dict(a, loads.get(a.id, 0)) for a in agents]

    async def sweep(self) -> None:
        """Silent agents go offline; chats of agents offline longer than the grace period go
        back to the front of the queue."""
        s = self.ctx.settings
        now = utcnow()
        silent_cutoff = now - timedelta(seconds=s.heartbeat_timeout_seconds)
        grace_cutoff = now - timedelta(seconds=s.agent_grace_seconds)
        async with self.ctx.db.read() as session:
            if not await agents_repo.sweep_needed(session, silent_cutoff, grace_cutoff):
                return
        events: list[Event] = []
        async with self.ctx.db.write() as session:
            silent = await agents_repo.expire_silent(session, silent_cutoff)
            for agent_id in silent:
                events.append(((AGENTS,), {"type": "presence", "agent": {"id": agent_id, "presence": "offline"}}))
            gone = await agents_repo.offline_before(session, grace_cutoff)
            stranded = []
            for agent_id in gone:
                stranded += [(agent_id, c) for c in await conversations_repo.assigned_to(session, agent_id)]
            for agent_id, conversation in stranded:
                requeued = await self.queue.requeue_front(
                    session,
                    conversation,
                    agent_id,
                    actor="system:grace",
                    text=texts.AGENT_LEFT_REQUEUED,
                    reason="agent_dropped",
                )
                if requeued:
                    log.info(
                        "agent dropped: chat requeued",
                        extra={"fields": {"conversation_id": conversation.id, "agent_id": agent_id}},
                    )
                    events += requeued
        await self.ctx.publish(events)
        if silent or stranded:
            await self.queue.maintain()
