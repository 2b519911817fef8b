"""HTTP and WebSocket endpoints: parse, call a service, serialise."""
