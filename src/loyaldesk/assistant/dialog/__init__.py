"""The assistant in the conversation: the dialogue, slot reading, the hand-off, the agent's suggestions, the
optional LLM and the outcome rows the support report counts (decision 0032)."""
