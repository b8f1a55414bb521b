"""Every state change of call sessions (see the package's ``__init__``)."""
