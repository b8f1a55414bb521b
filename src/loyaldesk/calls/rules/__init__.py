"""Pure rules of calls (no I/O)."""
