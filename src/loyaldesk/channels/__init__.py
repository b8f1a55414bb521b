"""Channels: adapters that translate between the outside world (email, webchat, APIs) and ``support``."""
