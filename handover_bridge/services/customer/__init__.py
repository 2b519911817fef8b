"""The customer's side: conversations and bot turns, the Rasa client, starting a handover."""
