"""Feedback: surveys (NPS, CSAT, CES, custom), the themes found in the answers, closing the loop with the
customer, and staff recognition. Empty until its issue fills it."""

__all__: list[str] = []
