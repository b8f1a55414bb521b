"""Reads of call sessions (see the package's ``__init__``)."""
