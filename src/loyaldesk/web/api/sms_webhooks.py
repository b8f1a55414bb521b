"""The SMS provider's webhooks (Twilio-compatible): ``POST /webhooks/sms/{store}/status`` (delivery
receipts) and ``POST /webhooks/sms/{store}/inbound`` (SMS customers send to the store's number: STOP and
START change their SMS consent).

Anyone may call them; only a request signed with the store's auth token is read
(``X-Twilio-Signature`` over the public URL, ``settings.public_base_url`` + the path, and the sorted
form parameters: ``channels.sms.signature``); anything else is refused with 403 before it is applied.
They count against the anonymous requests per address like every route a stranger can reach
(``web/api_rate_limit.py``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from loyaldesk.channels.sms.config import SmsConfig, sms_config
from loyaldesk.channels.sms.inbound import record_inbound, record_status
from loyaldesk.channels.sms.signature import SIGNATURE_HEADER, signature_matches
from loyaldesk.kernel.errors import Invalid, PermissionDenied
from loyaldesk.stores import store_by_slug
from loyaldesk.web.deps import RuntimeDep

router = APIRouter(prefix="/webhooks/sms", tags=["webhooks"])

MAX_BODY_BYTES = 64_000
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

StoreSlug = Annotated[str, Path(min_length=1, max_length=64)]


def _form_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "properties": properties, "required": required}
                }
            },
        }
    }


async def _signed_form(request: Request, runtime: Any, store_slug: str) -> tuple[SmsConfig, dict[str, str]]:
    """The form the provider posted, once its signature is checked with the store's auth token."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Invalid.field("body", f"is larger than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise Invalid.field("body", f"is larger than {MAX_BODY_BYTES} bytes")

    def find() -> SmsConfig | None:
        with runtime.database.read() as session:
            store = store_by_slug(session, store_slug)
            return sms_config(session, store.id)

    config = await anyio.to_thread.run_sync(find)
    if config is None or not config.auth_token:
        raise PermissionDenied("this store has no SMS account set up")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise PermissionDenied("the request is not a form the provider signed") from None
    url = runtime.settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not signature_matches(config.auth_token, url, pairs, request.headers.get(SIGNATURE_HEADER)):
        raise PermissionDenied(f"the {SIGNATURE_HEADER} signature does not match this request")
    return config, dict(pairs)


@router.post(
    "/{store_slug}/status",
    status_code=204,
    summary="Receive an SMS delivery receipt (a Twilio-compatible status callback)",
    description="Form fields MessageSid, MessageStatus (delivered, undelivered, failed, sent...), "
    "ErrorCode, ErrorMessage; signed with X-Twilio-Signature by the store's auth token. A receipt for a "
    "message this store did not send is ignored.",
    response_class=Response,
    responses={204: {"description": "Applied (or nothing to apply)."}},
    openapi_extra=_form_body(
        {
            "MessageSid": {"type": "string"},
            "MessageStatus": {"type": "string"},
            "ErrorCode": {"type": "string"},
            "ErrorMessage": {"type": "string"},
        },
        ["MessageSid", "MessageStatus"],
    ),
)
async def sms_status(request: Request, runtime: RuntimeDep, store_slug: StoreSlug) -> Response:
    config, form = await _signed_form(request, runtime, store_slug)
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if sid and status:
        await runtime.database.write_async(
            record_status,
            config.store_id,
            sid[:200],
            status[:32],
            error_code=(form.get("ErrorCode") or None),
            error_message=(form.get("ErrorMessage") or None),
        )
    return Response(status_code=204)


@router.post(
    "/{store_slug}/inbound",
    summary="Receive an SMS a customer sent to the store's number (STOP, START)",
    description="Form fields From and Body; signed with X-Twilio-Signature by the store's auth token. "
    "STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT withdraws SMS marketing consent of the store's "
    "customers with that number; START or UNSTOP gives it back. Answered with empty TwiML.",
    response_class=Response,
    responses={200: {"description": "Empty TwiML.", "content": {"text/xml": {"schema": {"type": "string"}}}}},
    openapi_extra=_form_body({"From": {"type": "string"}, "Body": {"type": "string"}}, ["From"]),
)
async def sms_inbound(request: Request, runtime: RuntimeDep, store_slug: StoreSlug) -> Response:
    config, form = await _signed_form(request, runtime, store_slug)
    sender, text = form.get("From", ""), form.get("Body", "")
    if sender:
        await runtime.database.write_async(
            record_inbound, config.store_id, sender[:64], text[:2000], default_region=config.default_region
        )
    return Response(EMPTY_TWIML, media_type="text/xml")
