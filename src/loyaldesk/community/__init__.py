"""Community: questions and answers, discussions, events and their moderation. Empty until its issue
fills it."""

__all__: list[str] = []
