"""Infrastructure: fan-out between bridges and to sockets (hub, fanout, frames), rate limits, metrics, health, tokens and passwords (security)."""
