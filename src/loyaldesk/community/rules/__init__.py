"""Pure rules of the community (no I/O, no clock): banned words and display names, posting limits,
points caps and milestones, and the sanitised rendering of Markdown bodies."""
