"""Who a shopper is, proven by their store: the identity verification of the member page and API (and of
the chat widget). The store's server signs the shopper's customer id with the store's identity secret
(``stores.credentials.shopper_signature``) and hands the signature to the shopper's browser; loyaldesk
checks it here. Nothing else identifies a shopper: no password, no cookie."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from loyaldesk.customers import Customer
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import DomainError, NotAuthenticated
from loyaldesk.stores import Store, shopper_signature_matches, store_by_slug
from loyaldesk.web.deps import RuntimeDep, client_ip

MAX_EXTERNAL_ID = 255


@dataclass(frozen=True)
class Shopper:
    """A verified shopper of ``store``. ``customer`` is None while the store has not told loyaldesk about
    them yet (they are still who they say they are)."""

    store: Store
    external_id: str
    signature: str
    expires: int | None
    customer: Customer | None
    ip: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(
            kind="customer",
            id=self.customer.id if self.customer else None,
            store_id=self.store.id,
            label=f"shopper {self.external_id}",
            ip=self.ip,
        )


def _verify(
    store: Store, external_id: str | None, signature: str | None, expires: int | None, now: datetime
) -> str:
    """``external_id`` if ``store`` signed it (and the signature has not expired), else
    ``NotAuthenticated`` saying what is wrong."""
    if not external_id or not signature:
        raise NotAuthenticated("this page needs the shopper's customer id and signature from the store")
    if len(external_id) > MAX_EXTERNAL_ID or len(signature) > 128:
        raise NotAuthenticated("the customer id or signature is too long")
    if not shopper_signature_matches(store.identity_secret, external_id, signature, expires):
        raise NotAuthenticated(
            "the signature does not match this customer id; ask the store for a fresh link"
        )
    if expires is not None and expires < now.timestamp():
        raise NotAuthenticated("this link has expired; open it again from the store")
    return external_id


def identify_shopper(
    session: Session,
    store_slug: str,
    external_id: str | None,
    signature: str | None,
    expires: int | None,
    now: datetime,
) -> Shopper:
    """The shopper whose store signed ``external_id``, or ``NotAuthenticated`` saying what is wrong
    (``NotFound`` for an unknown store)."""
    [shopper] = identify_shoppers(
        session, store_slug, [ShopperHeaders(store_slug, external_id, signature, expires, None)], now
    )
    if isinstance(shopper, DomainError):
        raise shopper
    return shopper


def identify_shoppers(
    session: Session, store_slug: str, claims: list[ShopperHeaders], now: datetime
) -> list[Shopper | DomainError]:
    """``identify_shopper`` for several shoppers of one store in two statements: per claim, its verified
    shopper or the error that refuses it. ``NotFound`` (raised) when there is no such store."""
    store = store_by_slug(session, store_slug)
    outcomes: list[Shopper | DomainError] = []
    verified: list[str] = []
    for claim in claims:
        try:
            verified.append(_verify(store, claim.external_id, claim.signature, claim.expires, now))
        except NotAuthenticated as error:
            outcomes.append(error)
            continue
        outcomes.append(Shopper(store, verified[-1], claim.signature or "", claim.expires, None, claim.ip))
    if verified:
        customers = {
            customer.external_id: customer
            for customer in session.scalars(
                select(Customer).where(Customer.store_id == store.id, Customer.external_id.in_(verified))
            )
        }
        outcomes = [
            replace(outcome, customer=customers.get(outcome.external_id))
            if isinstance(outcome, Shopper)
            else outcome
            for outcome in outcomes
        ]
    return outcomes


@dataclass(frozen=True)
class ShopperHeaders:
    """What a member API request says about its shopper, not yet checked."""

    store_slug: str
    external_id: str | None
    signature: str | None
    expires: int | None
    ip: str | None

    def identify(self, session: Session, now: datetime) -> Shopper:
        """The verified shopper (see ``identify_shopper``), inside the caller's read transaction."""
        [shopper] = identify_shoppers(session, self.store_slug, [self], now)
        if isinstance(shopper, DomainError):
            raise shopper
        return shopper


async def shopper_headers(
    request: Request,
    store_slug: Annotated[str, Path(min_length=1, max_length=64)],
    x_customer_id: Annotated[
        str | None, Header(max_length=MAX_EXTERNAL_ID, description="The store's customer id.")
    ] = None,
    x_customer_signature: Annotated[
        str | None,
        Header(max_length=128, description="Hex HMAC-SHA256 of the customer id (see the API guide)."),
    ] = None,
    x_signature_expires: Annotated[
        int | None, Header(ge=0, le=2**40, description="Unix seconds, when the signature covers an expiry.")
    ] = None,
) -> ShopperHeaders:
    """The ``X-Customer-Id`` / ``X-Customer-Signature`` headers of a member API request (no I/O: runs on
    the event loop)."""
    return ShopperHeaders(
        store_slug, x_customer_id, x_customer_signature, x_signature_expires, client_ip(request)
    )


ShopperHeadersDep = Annotated[ShopperHeaders, Depends(shopper_headers)]


def shopper_from_headers(headers: ShopperHeadersDep, runtime: RuntimeDep) -> Shopper:
    """The member API's caller, verified from its headers in one read transaction."""
    with runtime.database.read() as session:
        return headers.identify(session, runtime.clock.now())


ShopperDep = Annotated[Shopper, Depends(shopper_from_headers)]
