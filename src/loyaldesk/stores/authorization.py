"""One check used by every domain's actions: may this actor do this in this store?"""

from __future__ import annotations

from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import PermissionDenied
from loyaldesk.stores.rules import Permission, has_permission


def authorize(actor: Actor, store_id: int, *, scope: str, permission: Permission | None) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` acts for ``store_id`` and holds the right.

    An API key needs ``scope``; a staff member's role needs ``permission`` (None: no staff may do it);
    the system may do anything for a store (it acts for every store when its ``store_id`` is None);
    customers never pass: what they may do is checked by the member-facing capabilities themselves.
    """
    if actor.kind == "system":
        if actor.store_id not in (None, store_id):
            raise PermissionDenied("not your store")
        return
    if actor.store_id != store_id:
        raise PermissionDenied("not your store")
    if actor.kind == "api_key":
        if scope not in actor.scopes:
            raise PermissionDenied(f"the API key lacks the {scope} scope")
        return
    if actor.kind == "staff":
        if permission is None or not has_permission(actor.role or "", permission):
            what = permission.label if permission else "do this"
            raise PermissionDenied(f"your role ({actor.role}) may not {what}")
        return
    raise PermissionDenied("customers cannot do this")
