"""Every write of recommendations, one module per change."""
