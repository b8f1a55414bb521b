"""Pure rules of recommendations (no I/O)."""
