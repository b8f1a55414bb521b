"""The ``loyaldesk`` command: serve, worker, migrate, demo, import, and store administration.

Commands parse their arguments and call actions; they never write tables themselves. One module per
command group; importing this package registers every command on :data:`app` (the entry point
``loyaldesk.cli:app``).
"""

from loyaldesk.cli.common import app

# isort: off
# Importing a module registers its commands; this order is the order of the commands in --help.
from loyaldesk.cli import server  # noqa: F401
from loyaldesk.cli import demo  # noqa: F401
from loyaldesk.cli import imports  # noqa: F401
from loyaldesk.cli import stores  # noqa: F401
from loyaldesk.cli import maintenance  # noqa: F401
from loyaldesk.cli import assistant  # noqa: F401
from loyaldesk.cli import feedback  # noqa: F401
from loyaldesk.cli import recommend  # noqa: F401
# isort: on

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover
    """Run the command line."""
    app()
