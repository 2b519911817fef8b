"""The handover context, in pieces: `actions.handover_context.build_handover` puts them together.

* `transcript` — every customer and bot message with its time, and the bot's answers;
* `problem` — what the customer wants: their most informative messages, order numbers, category;
* `customer` — who the customer is (verified or claimed) and the order as the shop knows it;
* `priority` — the reasons and the priority (the rule itself is jieli_contract's);
* `summary` — the five fields an agent reads in five seconds.
"""
