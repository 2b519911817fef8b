"""The bridge's rules, with no I/O: conversation states and their transitions, priority, business
hours, identity, the handover-claims check, the errors a rule can raise, the customer texts.
Every layer (models, repositories, services, api) may import from here; nothing here imports
them."""
