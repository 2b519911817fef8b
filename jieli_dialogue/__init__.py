"""Jieli's dialogue-level escalation logic.

* `jieli_dialogue.signals` — pure functions over the tracker's event dicts (as rasa_sdk gives them
  in `tracker.events`, and as `event.as_dict()` gives them inside Rasa): the escalation signals,
  the frustration level and the handover decision. It never imports Rasa, so the action server
  uses exactly the same code to explain a handover to the agent.
* `jieli_dialogue.escalation_policy` — `EscalationPolicy`, the Rasa policy that asks
  `signals.decide` every turn (this module imports Rasa; import it only inside Rasa).

Importing the package has no side effects.
"""
