"""Channels: where the customer is (web widget, 企业微信 微信客服, rasa-webchat). See base.py and
docs/channels.md."""
