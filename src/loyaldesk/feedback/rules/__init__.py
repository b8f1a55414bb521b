"""Feedback's pure rules: questions and answers (``questions``), scores and buckets (``scoring``)."""
