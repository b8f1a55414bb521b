"""Every state change of expert sessions, one module per verb."""
