"""Understanding the shopper: sentence embeddings, the intent classifier with its out-of-scope threshold,
the default intents and their training data, and the store's own examples."""
