"""Business logic. Nothing here imports Sanic: services take plain values and return plain
values (or raise domain.errors.ServiceError), so the API layer only parses and serialises.

By role:
    wiring/    the container that builds and starts everything; the shared Context
    customer/  conversations and bot turns, the Rasa client, starting a handover
    queue/     queue order, ETA and assignment; agents; the agent's chats; tickets; the sweeper
    channels/  where the customer is: the router that wakes an outside channel's delivery; wechat/
               (企业微信 微信客服: callback crypto, the API client, sync, outbox; docs/channels.md)
    learning/  review queue, training-data export, analytics
    demo/      the demo week
    infra/     fan-out (hub, fanout, frames), rate limits, metrics, health, security
    abuse.py   the profanity check of customer messages
The rules they apply (states, priority, business hours, identity, the handover-claims check,
errors, texts) are in handover_bridge/domain/, which has no I/O.
"""
