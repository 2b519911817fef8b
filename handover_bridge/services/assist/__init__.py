"""Suggested replies for agents (knowledge from the shop's files and past handovers, retrieval over
the customer's words, usage records) and the one-click wrap-up of a chat. No Sanic here."""
