"""Jieli's action server (`python -m actions.server`: rasa_sdk's app, answering only Rasa).

Importing the package only defines classes: policy files, database engines and HTTP sessions are
created on first use (house style). The modules imported here define the actions of domain.yml.
"""

from actions import (  # noqa: F401
    aftersales_actions,
    clarify_actions,
    confirm_actions,
    faq_actions,
    handover_actions,
    order_actions,
    problem_actions,
    product_actions,
    rating_actions,
)
