"""Reads of store teaching: the store's intents with their examples and accuracy, the model status, and
the store's model for reading intents."""
