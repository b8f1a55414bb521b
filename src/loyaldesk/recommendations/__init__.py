"""Recommendations: catalogue signals, the models trained on them and the next best offer for a
customer. Empty until its issue fills it."""

__all__: list[str] = []
