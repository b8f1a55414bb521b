"""Feedback's writers, one module per change."""
