"""The Shopify-format webhook endpoint: verify, de-duplicate, apply.

Anyone may call it; only a body signed with the store's Shopify secret is read. A body over
``MAX_BODY_BYTES`` is refused with 413 before anything else. NUL characters are let through to here
(``request_guard`` exempts this path): the signature is over the raw body, and a NUL in a field loyaldesk
does not use must not reject the whole order; the mapping removes them from the text it keeps.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from loyaldesk.commerce import shopify
from loyaldesk.commerce.webhooks import receive_shopify_webhook
from loyaldesk.kernel.errors import Invalid, NotAuthenticated
from loyaldesk.stores import store_by_slug
from loyaldesk.web.deps import DatabaseDep
from loyaldesk.web.errors import json_error

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BODY_BYTES = 5_000_000


class WebhookResult(BaseModel):
    outcome: str
    detail: str
    notes: list[str]


@router.post(
    "/shopify/{store_slug}",
    response_model=WebhookResult,
    summary="Receive a Shopify-format webhook (orders, refunds, customers, products, inventory levels)",
    description="Signed with X-Shopify-Hmac-Sha256 over the raw body using the store's Shopify webhook "
    "secret; re-deliveries with the same X-Shopify-Webhook-Id are recognised and not applied twice. "
    f"Bodies over {MAX_BODY_BYTES} bytes are refused with 413 (too_large).",
    responses={413: {"description": "The body is larger than the limit (code too_large)."}},
)
async def shopify_webhook(
    request: Request,
    database: DatabaseDep,
    store_slug: Annotated[str, Path(min_length=1, max_length=64)],
    x_shopify_topic: Annotated[str, Header(min_length=1, max_length=64)],
    x_shopify_webhook_id: Annotated[str, Header(min_length=1, max_length=255)],
    x_shopify_hmac_sha256: Annotated[str | None, Header(max_length=200)] = None,
    x_shopify_shop_domain: Annotated[str | None, Header(max_length=255)] = None,
) -> WebhookResult | JSONResponse:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return json_error(413, "too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return json_error(413, "too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")

    def find_secret() -> tuple[int, str | None]:
        with database.read() as session:
            store = store_by_slug(session, store_slug)
            return store.id, store.shopify_webhook_secret

    store_id, secret = await anyio.to_thread.run_sync(find_secret)
    if not secret:
        raise NotAuthenticated("this store has no Shopify webhook secret configured")
    if not shopify.verify_signature(secret, body, x_shopify_hmac_sha256):
        raise NotAuthenticated("the X-Shopify-Hmac-Sha256 signature does not match the body")
    try:
        payload: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Invalid.field("body", f"is not valid JSON ({error})") from None
    outcome = await anyio.to_thread.run_sync(
        lambda: database.write(
            receive_shopify_webhook,
            store_id,
            topic=x_shopify_topic,
            webhook_id=x_shopify_webhook_id,
            payload=payload,
            shop_domain=x_shopify_shop_domain,
        )
    )
    return WebhookResult(outcome=outcome.outcome, detail=outcome.detail, notes=outcome.notes)
