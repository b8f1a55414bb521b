"""API routes of the customers domain: thin, they parse, check the scope and call actions or queries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from loyaldesk.customers import actions, queries
from loyaldesk.customers.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerProfile,
    CustomerWriteResult,
    TimelineItemOut,
)
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from loyaldesk.web.deps import DatabaseDep, PageDep, scope

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

Reader = Annotated[Actor, Depends(scope("customers:read"))]
Writer = Annotated[Actor, Depends(scope("customers:write"))]
CustomerId = Annotated[int, Path(ge=1, le=2**62)]
ExternalId = Annotated[str, Path(min_length=1, max_length=255)]


@router.get("", response_model=Page[CustomerOut], summary="Search and list customers, newest first")
def list_customers(
    actor: Reader,
    database: DatabaseDep,
    page: PageDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Words matched against name, email, phone and ids.")
    ] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[CustomerOut]:
    assert actor.store_id is not None
    with database.read() as session:
        rows, cursor = queries.search_customers(
            session, actor.store_id, query=q, tag=tag, before_id=page.before_id, limit=page.limit
        )
        return Page(data=[CustomerOut.of(row) for row in rows], next_cursor=cursor)


@router.post("", status_code=201, response_model=CustomerOut, summary="Create a customer")
def create_customer(body: CustomerCreate, actor: Writer, database: DatabaseDep) -> CustomerOut:
    assert actor.store_id is not None
    customer = database.write(actions.create_customer, actor, actor.store_id, body)
    return CustomerOut.of(customer)


@router.get(
    "/by-external-id/{external_id}", response_model=CustomerOut, summary="A customer by the store's own id"
)
def get_by_external_id(external_id: ExternalId, actor: Reader, database: DatabaseDep) -> CustomerOut:
    assert actor.store_id is not None
    with database.read() as session:
        return CustomerOut.of(queries.get_customer_by_external_id(session, actor.store_id, external_id))


@router.put(
    "/by-external-id/{external_id}",
    response_model=CustomerWriteResult,
    summary="Create or update a customer by the store's own id",
    responses={201: {"model": CustomerWriteResult, "description": "Created"}},
)
def upsert_customer(
    external_id: ExternalId, body: CustomerProfile, actor: Writer, database: DatabaseDep, response: Response
) -> CustomerWriteResult:
    assert actor.store_id is not None
    result = database.write(actions.upsert_customer, actor, actor.store_id, external_id, body)
    response.status_code = 201 if result.created else 200
    return CustomerWriteResult(created=result.created, customer=CustomerOut.of(result.customer))


@router.get("/{customer_id}", response_model=CustomerOut, summary="One customer")
def get_customer(customer_id: CustomerId, actor: Reader, database: DatabaseDep) -> CustomerOut:
    assert actor.store_id is not None
    with database.read() as session:
        return CustomerOut.of(queries.get_customer(session, actor.store_id, customer_id))


@router.patch("/{customer_id}", response_model=CustomerOut, summary="Change some fields of a customer")
def update_customer(
    customer_id: CustomerId, body: CustomerProfile, actor: Writer, database: DatabaseDep
) -> CustomerOut:
    assert actor.store_id is not None
    return CustomerOut.of(database.write(actions.update_customer, actor, actor.store_id, customer_id, body))


@router.get(
    "/{customer_id}/timeline",
    response_model=Page[TimelineItemOut],
    summary="What happened with a customer, newest first",
)
def customer_timeline(
    customer_id: CustomerId,
    actor: Reader,
    database: DatabaseDep,
    cursor: Annotated[str | None, Query(max_length=300, description="From the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[TimelineItemOut]:
    assert actor.store_id is not None
    with database.read() as session:
        items, cursor = queries.timeline(session, actor.store_id, customer_id, cursor=cursor, limit=limit)
    return Page(data=items, next_cursor=cursor)


@router.get(
    "/{customer_id}/export",
    summary="Everything held about a customer (GDPR access request)",
    response_model=dict[str, Any],
)
def export_customer(
    customer_id: CustomerId,
    actor: Annotated[Actor, Depends(scope("customers:export"))],
    database: DatabaseDep,
) -> dict[str, Any]:
    assert actor.store_id is not None
    database.write(actions.record_export, actor, actor.store_id, customer_id)
    with database.read() as session:
        return queries.export_customer(session, actor.store_id, customer_id)


@router.post(
    "/{customer_id}/erase",
    response_model=CustomerOut,
    summary="Erase a customer's personal data (GDPR erasure request)",
)
def erase_customer(
    customer_id: CustomerId, actor: Annotated[Actor, Depends(scope("customers:erase"))], database: DatabaseDep
) -> CustomerOut:
    assert actor.store_id is not None
    return CustomerOut.of(database.write(actions.erase_customer, actor, actor.store_id, customer_id))
