"""Who is acting: a staff member, a store backend's API key, a verified shopper, or the system itself.

Actions take an ``Actor`` so that they can check tenancy and write the audit row with a name in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ActorKind = Literal["staff", "api_key", "customer", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None
    store_id: int | None
    label: str
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    ip: str | None = None

    @property
    def is_person(self) -> bool:
        """Staff act as people; their privileged actions are audited."""
        return self.kind == "staff"


SYSTEM = Actor(kind="system", id=None, store_id=None, label="loyaldesk")


def system_for(store_id: int, label: str = "loyaldesk") -> Actor:
    """The system acting on behalf of one store (imports, the demo seeder, scheduled jobs)."""
    return Actor(kind="system", id=None, store_id=store_id, label=label)
