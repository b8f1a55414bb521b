"""API routes of commerce: orders (single and batch), status changes, refunds, products."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime

from loyaldesk.commerce import actions, queries
from loyaldesk.commerce.rules import OrderStatus
from loyaldesk.commerce.schemas import (
    BatchItemError,
    BatchItemResult,
    OrderBatchIn,
    OrderBatchResult,
    OrderIn,
    OrderOut,
    OrderWriteResult,
    ProductBatchIn,
    ProductBatchResult,
    ProductIn,
    ProductOut,
    ProductPatchIn,
    RefundIn,
    RefundWriteResult,
    StatusChangeIn,
)
from loyaldesk.kernel.actors import Actor
from loyaldesk.kernel.errors import Invalid
from loyaldesk.kernel.pagination import Page
from loyaldesk.web.deps import DatabaseDep, PageDep, RuntimeDep, scope
from loyaldesk.web.errors import error_body

router = APIRouter(prefix="/api/v1", tags=["orders"])

# Orders of a batch written (with their points) per unit of work: ~0.1 s of the single writer each.
BATCH_CHUNK = 100
products_router = APIRouter(prefix="/api/v1/products", tags=["products"])

OrderReader = Annotated[Actor, Depends(scope("orders:read"))]
OrderWriter = Annotated[Actor, Depends(scope("orders:write"))]
ProductReader = Annotated[Actor, Depends(scope("products:read"))]
ProductWriter = Annotated[Actor, Depends(scope("products:write"))]
Id = Annotated[int, Path(ge=1, le=2**62)]


@router.get("/orders", response_model=Page[OrderOut], summary="List orders, newest first")
def list_orders(
    actor: OrderReader,
    database: DatabaseDep,
    page: PageDep,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    status: OrderStatus | None = None,
    placed_from: Annotated[AwareDatetime | None, Query(description="Inclusive, ISO 8601 with zone.")] = None,
    placed_to: Annotated[AwareDatetime | None, Query(description="Exclusive, ISO 8601 with zone.")] = None,
) -> Page[OrderOut]:
    assert actor.store_id is not None
    with database.read() as session:
        rows, cursor = queries.list_orders(
            session,
            actor.store_id,
            customer_id=customer_id,
            status=status.value if status else None,
            placed_from=placed_from,
            placed_to=placed_to,
            before_id=page.before_id,
            limit=page.limit,
        )
    return Page(data=rows, next_cursor=cursor)


@router.post(
    "/orders",
    response_model=OrderWriteResult,
    status_code=201,
    summary="Send an order (created, or moved forward if already known)",
    responses={200: {"model": OrderWriteResult, "description": "Known order, updated or unchanged"}},
)
async def ingest_order(
    body: OrderIn, actor: OrderWriter, database: DatabaseDep, response: Response
) -> OrderWriteResult:
    assert actor.store_id is not None
    # Concurrent single-order requests of one API key are merged into one bulk ingestion (one set of
    # statements, one durable commit); each request still gets its own outcome. The orders' points are
    # reconciled in the same transaction (``ingest_orders_and_react``): one durable commit for orders and
    # points. Async, so that waiting for the durable commit holds no worker thread.
    outcome = await database.write_coalesced_async(
        ("ingest_orders", actor.id),
        actions.ingest_orders_and_react,
        replace(actor, ip=None),
        actor.store_id,
        item=body,
    )
    if outcome.error is not None:
        raise outcome.error
    response.status_code = 201 if outcome.outcome == "created" else 200
    created = outcome.created_order()
    if created is not None:
        return OrderWriteResult(outcome="created", order=created)
    assert outcome.order_id is not None
    store_id, order_id = actor.store_id, outcome.order_id

    def read() -> OrderOut:
        with database.read() as session:
            return queries.get_order(session, store_id, order_id)

    order = await anyio.to_thread.run_sync(read)
    return OrderWriteResult(outcome=outcome.outcome, order=order)  # type: ignore[arg-type]


@router.post(
    "/orders/batch",
    response_model=OrderBatchResult,
    summary="Send many orders at once; each gets its own outcome",
)
def ingest_batch(
    body: OrderBatchIn, actor: OrderWriter, database: DatabaseDep, runtime: RuntimeDep
) -> OrderBatchResult:
    assert actor.store_id is not None
    limit = runtime.settings.max_batch_orders
    if len(body.orders) > limit:
        raise Invalid.field("orders", f"send at most {limit} orders per batch")
    # In chunks, each one unit of work with its points (``ingest_orders_and_react``): a batch's orders
    # have their points when the answer comes, and a large batch never holds the single writer for long
    # (other requests' units are written between its chunks). Each order has its own outcome either way.
    outcomes: list[actions.IngestOutcome] = []
    for start in range(0, len(body.orders), BATCH_CHUNK):
        chunk = body.orders[start : start + BATCH_CHUNK]
        written = database.write(actions.ingest_orders_and_react, actor, actor.store_id, chunk)
        outcomes.extend(replace(outcome, index=outcome.index + start) for outcome in written)
    results = []
    for outcome in outcomes:
        error = None
        if outcome.error is not None:
            detail = error_body(outcome.error)["error"]
            error = BatchItemError(
                code=detail["code"], message=detail["message"], fields=detail.get("fields", [])
            )
        results.append(
            BatchItemResult(
                index=outcome.index,
                external_id=outcome.external_id,
                outcome=outcome.outcome,
                order_id=outcome.order_id,
                error=error,
            )
        )
    count = {name: sum(1 for r in results if r.outcome == name) for name in ("created", "updated", "error")}
    return OrderBatchResult(
        created=count["created"],
        updated=count["updated"],
        failed=count["error"],
        unchanged=len(results) - count["created"] - count["updated"] - count["error"],
        results=results,
    )


@router.get(
    "/orders/by-external-id/{external_id}", response_model=OrderOut, summary="An order by the store's id"
)
def get_order_by_external_id(
    external_id: Annotated[str, Path(min_length=1, max_length=255)], actor: OrderReader, database: DatabaseDep
) -> OrderOut:
    assert actor.store_id is not None
    with database.read() as session:
        return queries.get_order_by_external_id(session, actor.store_id, external_id)


@router.get("/orders/{order_id}", response_model=OrderOut, summary="One order with lines and refunds")
def get_order(order_id: Id, actor: OrderReader, database: DatabaseDep) -> OrderOut:
    assert actor.store_id is not None
    with database.read() as session:
        return queries.get_order(session, actor.store_id, order_id)


@router.post(
    "/orders/{order_id}/status",
    response_model=OrderOut,
    summary="Move an order forward (paid, fulfilled, delivered) or cancel it",
)
def change_status(order_id: Id, body: StatusChangeIn, actor: OrderWriter, database: DatabaseDep) -> OrderOut:
    assert actor.store_id is not None
    database.write(actions.change_order_status, actor, actor.store_id, order_id, body)
    with database.read() as session:
        return queries.get_order(session, actor.store_id, order_id)


@router.post(
    "/orders/{order_id}/refunds",
    response_model=RefundWriteResult,
    status_code=201,
    summary="Record a refund or a return (idempotent on its external_id)",
    responses={200: {"model": RefundWriteResult, "description": "Already recorded"}},
)
def record_refund(
    order_id: Id, body: RefundIn, actor: OrderWriter, database: DatabaseDep, response: Response
) -> RefundWriteResult:
    assert actor.store_id is not None
    outcome = database.write(actions.record_refund, actor, actor.store_id, order_id, body)
    response.status_code = 201 if outcome.created else 200
    with database.read() as session:
        return RefundWriteResult(
            created=outcome.created, order=queries.get_order(session, actor.store_id, order_id)
        )


@products_router.get("", response_model=Page[ProductOut], summary="List products, newest first")
def list_products(actor: ProductReader, database: DatabaseDep, page: PageDep) -> Page[ProductOut]:
    assert actor.store_id is not None
    with database.read() as session:
        rows, cursor = queries.list_products(
            session, actor.store_id, before_id=page.before_id, limit=page.limit
        )
    return Page(data=rows, next_cursor=cursor)


@products_router.post(
    "",
    response_model=ProductOut,
    summary="Create or update a product by its external_id",
    responses={201: {"model": ProductOut, "description": "Created"}},
)
def upsert_product(
    body: ProductIn, actor: ProductWriter, database: DatabaseDep, response: Response
) -> ProductOut:
    assert actor.store_id is not None
    result = database.write(actions.upsert_products, actor, actor.store_id, [body])
    response.status_code = 201 if result.created else 200
    return queries.product_out(result.products[0])


@products_router.post("/batch", response_model=ProductBatchResult, summary="Create or update many products")
def upsert_products(body: ProductBatchIn, actor: ProductWriter, database: DatabaseDep) -> ProductBatchResult:
    assert actor.store_id is not None
    result = database.write(actions.upsert_products, actor, actor.store_id, body.products)
    return ProductBatchResult(
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        products=[queries.product_out(product) for product in result.products],
    )


@products_router.patch(
    "/by-external-id/{external_id}",
    response_model=ProductOut,
    summary="Change some fields of a known product (stock, price, ...) by the store's id",
    description='Only the fields sent change: `{"inventory_quantity": 0}` is a whole stock update '
    "(`in_stock` follows the quantity unless sent). A product not sent yet is 404: create it with "
    "`POST /api/v1/products` first.",
)
def patch_product(
    external_id: Annotated[str, Path(min_length=1, max_length=255)],
    body: ProductPatchIn,
    actor: ProductWriter,
    database: DatabaseDep,
) -> ProductOut:
    assert actor.store_id is not None
    product = database.write(actions.update_product, actor, actor.store_id, external_id, body)
    return queries.product_out(product)


@products_router.get("/{product_id}", response_model=ProductOut, summary="One product")
def get_product(product_id: Id, actor: ProductReader, database: DatabaseDep) -> ProductOut:
    assert actor.store_id is not None
    with database.read() as session:
        return queries.get_product(session, actor.store_id, product_id)
