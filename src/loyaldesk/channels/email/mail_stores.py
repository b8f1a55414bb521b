"""Which store an inbound message is for: its support address (``support_email``) or the default
``<slug>@<mail domain>``, plus-parts ignored, with what threading needs of the store (the address its
replies come from, the secret its conversation tokens are made with).

The SMTP receiver asks at every RCPT and again for every message, so found stores are cached per
database for ``MAIL_STORE_SECONDS``; a change of any store's desk settings or store row made in this
process empties the cache at once (at its flush and again at its commit, so that a read between the two
cannot keep the old answer), and one made by another process (the web server, for a mail receiver of its
own) is seen within ``MAIL_STORE_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from loyaldesk.kernel.keys import REPLY_ADDRESS, purpose_key
from loyaldesk.kernel.row_cache import RowCache
from loyaldesk.stores import Store
from loyaldesk.support import SupportSettings


def _without_plus(address: str) -> str:
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


@dataclass(frozen=True)
class MailStore:
    """The store a message is for, with what threading needs of it: the address its replies come from
    and the secret its conversation tokens are made with."""

    store_id: int
    our_address: str
    reply_secret: bytes


# Hot-path statements, built once (SQLAlchemy then reuses their cache keys and compiled forms).
_BY_SUPPORT_EMAIL = (
    select(SupportSettings.store_id, SupportSettings.support_email, Store.slug, Store.identity_secret)
    .join(Store, Store.id == SupportSettings.store_id)
    .where(func.lower(SupportSettings.support_email).in_(bindparam("bases", expanding=True)))
    .order_by(SupportSettings.store_id)
    .limit(1)
)
_BY_SLUG = (
    select(Store.id, SupportSettings.support_email, Store.slug, Store.identity_secret)
    .outerjoin(SupportSettings, SupportSettings.store_id == Store.id)
    .where(Store.slug.in_(bindparam("slugs", expanding=True)))
    .order_by(Store.id)
    .limit(1)
)


def _load_mail_store(session: Session, bases: Sequence[str], mail_domain: str) -> MailStore | None:
    connection = session.connection()
    row = connection.execute(_BY_SUPPORT_EMAIL, {"bases": list(bases)}).first()
    if row is None:
        domain = mail_domain.strip().lower()
        slugs = [local for local, _, host in (base.rpartition("@") for base in bases) if host == domain]
        if not slugs:
            return None
        row = connection.execute(_BY_SLUG, {"slugs": slugs}).first()
        if row is None:
            return None
    store_id, support_email, slug, identity_secret = row
    our_address = support_email or f"{slug}@{mail_domain}"
    return MailStore(int(store_id), our_address, purpose_key(identity_secret, REPLY_ADDRESS))


# Only found stores are kept (see the module's docstring and kernel.row_cache).
MAIL_STORE_SECONDS = 5.0
_cached: RowCache[MailStore] = RowCache("mail_stores", [Store, SupportSettings], seconds=MAIL_STORE_SECONDS)


def forget_mail_stores() -> None:
    """Empty the cache of stores by address (after a change of a store's address or secret)."""
    _cached.forget()


def _bases(addresses: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted({_without_plus(address) for address in addresses if "@" in address}))


def cached_mail_store(engine: object, addresses: Sequence[str], mail_domain: str) -> MailStore | None:
    """The store for ``addresses`` if the cache of ``engine``'s database holds it (no I/O: for the event
    loop); None means "not known without asking the database"."""
    return _cached.get_for_engine(engine, (mail_domain, _bases(addresses)))


def mail_store_for(session: Session, addresses: Sequence[str], mail_domain: str) -> MailStore | None:
    """The store for ``addresses`` (from the cache when it holds it), or None when no store has one."""
    bases = _bases(addresses)
    if not bases:
        return None
    cached = _cached.get(session, (mail_domain, bases))
    if cached is not None:
        return cached
    found = _load_mail_store(session, bases, mail_domain)
    if found is not None:
        _cached.put(session, (mail_domain, bases), found)
    return found


def store_for_addresses(session: Session, addresses: Sequence[str], mail_domain: str) -> int | None:
    """The store whose support address is one of ``addresses`` (plus-parts ignored): a configured
    ``support_email``, or the default ``<slug>@<mail domain>``."""
    found = mail_store_for(session, addresses, mail_domain)
    return found.store_id if found is not None else None
