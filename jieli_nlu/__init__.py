"""Chinese NLU helpers for Jieli: text normalisation and custom Rasa components.

Importing this package has no side effects; the Rasa components live in their own modules
(`jieli_nlu.components`) so that the action server can use `jieli_nlu.normalize` without
loading Rasa.
"""
