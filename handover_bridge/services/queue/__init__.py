"""Queue and routing: queue order, ETA and assignment, agents and presence, the agent's chats, tickets, the background sweeper."""
