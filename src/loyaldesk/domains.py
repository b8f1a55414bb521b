"""The capabilities that make up loyaldesk, loaded in one place.

Importing a domain package registers its tables (for migrations), its event handlers, its periodic jobs,
and its plug-ins into the customer record. Everything that needs "all of loyaldesk" calls ``load_all``.
"""

from __future__ import annotations

import importlib

DOMAINS = ("stores", "customers", "commerce", "loyalty", "support", "analytics")


def load_all_models() -> None:
    """Import every domain's tables so that ``Base.metadata`` is complete."""
    import loyaldesk.kernel.events
    import loyaldesk.kernel.idempotency  # noqa: F401

    for name in DOMAINS:
        importlib.import_module(f"loyaldesk.{name}.models")


def load_all() -> None:
    """Import every domain package (models, handlers, jobs, plug-ins)."""
    load_all_models()
    for name in DOMAINS:
        importlib.import_module(f"loyaldesk.{name}")
        for optional in ("handlers", "jobs"):
            try:
                importlib.import_module(f"loyaldesk.{name}.{optional}")
            except ModuleNotFoundError as error:
                if error.name != f"loyaldesk.{name}.{optional}":
                    raise
