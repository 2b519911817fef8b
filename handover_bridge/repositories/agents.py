"""Agents, their presence, and their login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.states import State
from ..models import Agent, AgentSession, Conversation, utcnow


async def create(session: AsyncSession, **fields: Any) -> Agent:
    agent = Agent(**fields)
    session.add(agent)
    await session.flush()
    return agent


async def get(session: AsyncSession, agent_id: int) -> Agent | None:
    return await session.get(Agent, agent_id)


async def by_username(session: AsyncSession, username: str) -> Agent | None:
    return await session.scalar(select(Agent).where(Agent.username == username))


async def all_agents(session: AsyncSession) -> list[Agent]:
    return list(await session.scalars(select(Agent).order_by(Agent.username)))


async def online(session: AsyncSession, lock: bool = False) -> list[Agent]:
    statement = select(Agent).where(Agent.presence == "online").order_by(Agent.id)
    if lock:
        statement = statement.with_for_update()
    return list(await session.scalars(statement))


async def lock(session: AsyncSession, agent_id: int) -> Agent | None:
    """PostgreSQL: serialise assignments to one agent (capacity check); no-op on SQLite."""
    return await session.scalar(select(Agent).where(Agent.id == agent_id).with_for_update())


async def set_presence(session: AsyncSession, agent_id: int, presence: str) -> None:
    now = utcnow()
    values: dict[str, Any] = {"presence": presence}
    if presence == "offline":
        values["offline_since"] = now
    else:
        values.update(offline_since=None, last_heartbeat=now)
    await session.execute(update(Agent).where(Agent.id == agent_id).values(**values))


async def heartbeat(session: AsyncSession, agent_id: int) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(last_heartbeat=utcnow()))


async def set_password(session: AsyncSession, agent_id: int, password_hash: str) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(password_hash=password_hash))


async def set_roles(session: AsyncSession, agent_id: int, roles: list[str]) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(roles=roles))


async def mark_assigned(session: AsyncSession, agent_id: int) -> None:
    await session.execute(update(Agent).where(Agent.id == agent_id).values(last_assigned_at=utcnow()))


async def expire_silent(session: AsyncSession, cutoff: datetime) -> list[int]:
    """Agents marked online/away whose last heartbeat is older than `cutoff` go offline."""
    result = await session.execute(
        update(Agent)
        .where(Agent.presence != "offline", Agent.last_heartbeat < cutoff)
        .values(presence="offline", offline_since=Agent.last_heartbeat)
        .returning(Agent.id)
    )
    return [row[0] for row in result.all()]


async def sweep_needed(session: AsyncSession, silent_cutoff: datetime, grace_cutoff: datetime) -> bool:
    """Whether an online/away agent has gone silent, or an agent offline past the grace period
    still holds a chat: one cheap read, so that an idle sweep never takes the write lock."""
    silent = select(Agent.id).where(Agent.presence != "offline", Agent.last_heartbeat < silent_cutoff).limit(1)
    if await session.scalar(silent) is not None:
        return True
    stranded = (
        select(Conversation.id)
        .join(Agent, Agent.id == Conversation.agent_id)
        .where(
            Conversation.state == State.ASSIGNED.value, Agent.presence == "offline", Agent.offline_since < grace_cutoff
        )
        .limit(1)
    )
    return await session.scalar(stranded) is not None


async def offline_before(session: AsyncSession, cutoff: datetime) -> list[int]:
    result = await session.scalars(select(Agent.id).where(Agent.presence == "offline", Agent.offline_since < cutoff))
    return list(result)


async def create_session(session: AsyncSession, agent_id: int, token_hash: str, expires_at: datetime) -> None:
    session.add(AgentSession(agent_id=agent_id, token_hash=token_hash, expires_at=expires_at, created_at=utcnow()))
    await session.flush()


async def by_session(session: AsyncSession, token_hash: str) -> Agent | None:
    return await session.scalar(
        select(Agent)
        .join(AgentSession, AgentSession.agent_id == Agent.id)
        .where(AgentSession.token_hash == token_hash, AgentSession.expires_at > utcnow())
    )


async def delete_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.token_hash == token_hash))


async def purge_sessions(session: AsyncSession) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.expires_at <= utcnow()))
