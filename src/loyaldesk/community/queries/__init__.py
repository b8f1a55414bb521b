"""Reads of the community (a read session; the web checks who may read what before calling)."""
