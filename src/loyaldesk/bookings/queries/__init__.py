"""Reads of expert sessions (read session, store-scoped; a customer sees only their own)."""
