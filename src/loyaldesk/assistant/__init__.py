"""Assistant: the knowledge base, intents, retrieval, self-service answers from real data ("where is my
order", "why are my points pending", "what can I redeem") and the hand-off to an agent. Empty until its
issue fills it."""

__all__: list[str] = []
