"""The channel layer: where a customer talks to the shop, and how the bridge's messages get there.

A conversation has a channel (`conversations.channel`): "web" (the bridge's own widget and its
customer socket), "wechat" (企业微信 微信客服), and whatever plugs in next (docs/channels.md).
Every channel feeds the same bridge: a customer message goes through
`ConversationService.send` (stored with its seq and client message id, the bot turn, the
handover, the queue), so the store, the queue, the console and the escalation stay one.

Inbound, a channel calls the customer service like the widget's socket does. Outbound, the
bridge does not know channels: every stored message is published as an event (Context.publish),
and the `ChannelRouter` wakes the channel of each conversation that got a bot, agent or system
message. The web channel needs nothing (its sockets are subscribed to the conversation); an
outside channel (`OutboundChannel`) reads what is new from the store and sends it, so a message
is never lost when a process dies: the store is the outbox's source, and a sweep catches up.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from jieli_contract.channels import WEB

log = logging.getLogger("handover_bridge.channels")

Event = tuple[tuple[str, ...], dict[str, Any]]
CACHE = 20_000  # conversation → channel, per process (a conversation never changes channel)


class OutboundChannel(Protocol):
    """An outside channel: told which of its conversations have something new to deliver."""

    name: str

    def wake(self, conversation_ids: Iterable[str]) -> None:
        """Deliver what is new in these conversations (without waiting: schedule it)."""


class ChannelRouter:
    """Wakes the outside channel of every conversation that got a bridge message."""

    def __init__(self, lookup: Callable[[list[str]], Awaitable[dict[str, str]]]):
        self._lookup = lookup  # conversation ids → channel, from the store
        self._channels: dict[str, OutboundChannel] = {}
        self._known: OrderedDict[str, str] = OrderedDict()

    def register(self, channel: OutboundChannel) -> None:
        self._channels[channel.name] = channel

    @property
    def active(self) -> bool:
        return bool(self._channels)

    def remember(self, conversation_id: str, channel: str) -> None:
        self._known[conversation_id] = channel
        self._known.move_to_end(conversation_id)
        while len(self._known) > CACHE:
            self._known.popitem(last=False)

    async def observe(self, events: list[Event]) -> None:
        """After a publish: wake the channels whose conversations got a non-customer message."""
        if not self._channels:
            return
        wanted = []
        for _topics, frame in events:
            if frame.get("type") == "message" and frame.get("sender") != "customer":
                cid = frame.get("conversation_id")
                if isinstance(cid, str) and cid not in wanted:
                    wanted.append(cid)
        if not wanted:
            return
        unknown = [cid for cid in wanted if cid not in self._known]
        if unknown:
            try:
                found = await self._lookup(unknown)
            except Exception:  # noqa: BLE001 - the sweep delivers it later
                log.exception("channel lookup failed")
                return
            for cid in unknown:
                self.remember(cid, found.get(cid, WEB))
        by_channel: dict[str, list[str]] = {}
        for cid in wanted:
            by_channel.setdefault(self._known[cid], []).append(cid)
        for name, ids in by_channel.items():
            channel = self._channels.get(name)
            if channel is not None:
                channel.wake(ids)
