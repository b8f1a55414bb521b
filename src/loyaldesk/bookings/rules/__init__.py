"""Pure rules of expert sessions (no I/O, no clock): schedules and their local wall-clock time, the slots
offered for a session, and how a slot reads in the shopper's own time zone."""
