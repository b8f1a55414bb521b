"""One call to a Twilio-compatible Messages API: ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json``
with the form fields ``To``, ``From`` (or ``MessagingServiceSid``), ``Body`` and ``StatusCallback``,
HTTP basic auth ``sid:token`` and an ``Idempotency-Key`` header (providers that honour it deduplicate a
retried send; the others ignore it).

The connection goes where the install's outbound policy allows (``kernel.outbound``: public addresses
only unless the install allows private networks), to the very address that was checked. What the
provider answers becomes a ``DeliveryResult``; nothing here raises for a delivery failure:

* 200/201: ``SENT`` with the message's ``sid`` as ``provider_id``;
* 429, 5xx, a timeout or a network error: ``RETRY`` (a passing failure);
* any other 4xx (an invalid number, 21211; a refused sender; bad credentials): ``FAILED`` with the
  provider's code and message.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from loyaldesk.channels.sms.config import SmsConfig
from loyaldesk.journeys import DeliveryResult, DeliveryStatus
from loyaldesk.kernel.outbound import OutboundPolicy, OutboundRefused

log = logging.getLogger("loyaldesk.channels.sms")

TIMEOUT_SECONDS = 10.0
API_VERSION = "2010-04-01"


def messages_url(config: SmsConfig) -> str:
    account = quote(config.account_sid, safe="")
    return f"{config.base_url.rstrip('/')}/{API_VERSION}/Accounts/{account}/Messages.json"


def _problem(response: httpx.Response) -> str:
    """The provider's words for a refusal: ``21211: The 'To' number ... is not valid`` when it says."""
    try:
        answer: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        answer = None
    if isinstance(answer, dict) and (answer.get("message") or answer.get("code")):
        code = answer.get("code")
        message = str(answer.get("message") or "").strip()
        return f"{code}: {message}" if code else message
    return f"the provider answered HTTP {response.status_code}"


def post_message(
    client: httpx.Client,
    config: SmsConfig,
    *,
    to: str,
    body: str,
    idempotency_key: str,
    status_callback: str | None,
    policy: OutboundPolicy,
    timeout: float = TIMEOUT_SECONDS,
) -> DeliveryResult:
    """Hand one SMS to the provider; says what happened (never raises for a delivery failure)."""
    url = messages_url(config)
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return DeliveryResult(DeliveryStatus.FAILED, error=f"not a valid port in {config.base_url}")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return DeliveryResult(DeliveryStatus.FAILED, error=f"not an http(s) address: {config.base_url}")
    try:
        destination = policy.destination(parts.hostname, port)
    except OutboundRefused as refused:
        return DeliveryResult(DeliveryStatus.FAILED, error=f"refused: {refused}")
    pinned = urlunsplit((parts.scheme, f"{destination.address_for_url}:{port}", parts.path, parts.query, ""))
    form = {"To": to, config.sender_field: config.sender, "Body": body}
    if status_callback:
        form["StatusCallback"] = status_callback
    try:
        response = client.post(
            pinned,
            data=form,
            auth=(config.account_sid, config.auth_token),
            headers={"Host": parts.netloc, "Idempotency-Key": idempotency_key, "Accept": "application/json"},
            timeout=timeout,
            follow_redirects=False,
            extensions={"sni_hostname": destination.host} if parts.scheme == "https" else None,
        )
    except httpx.HTTPError as error:
        log.info("SMS for store %s not handed over: %s", config.store_id, error)
        return DeliveryResult(DeliveryStatus.RETRY, error=f"{type(error).__name__}: {error}"[:500])
    status = response.status_code
    if status in (200, 201):
        try:
            sid = response.json().get("sid")
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError, AttributeError):
            sid = None
        if not isinstance(sid, str) or not sid:
            # Accepted, but we cannot tell which message it is: receipts will not find it. It went.
            return DeliveryResult(DeliveryStatus.SENT, error="the provider gave no message sid")
        return DeliveryResult(DeliveryStatus.SENT, provider_id=sid[:200])
    if status == 429 or status >= 500:
        return DeliveryResult(DeliveryStatus.RETRY, error=_problem(response)[:500])
    return DeliveryResult(DeliveryStatus.FAILED, error=_problem(response)[:500])
