"""What the assistant can do for a shopper on the store's real data: one module per tool, each checking
that the asker may see what they ask. ``registry`` holds the contract every tool keeps."""
