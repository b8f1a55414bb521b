"""Reads of the knowledge base: the console's lists and report, the public help center's pages."""
