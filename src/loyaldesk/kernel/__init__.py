"""Domain-free building blocks: database, events, broker, clock, errors. Imports no domain."""
