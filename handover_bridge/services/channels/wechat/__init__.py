"""企业微信 微信客服: crypto (callbacks), client (the API), messages (shapes), service (callback, sync,
outbox, session states). docs/channels.md."""
