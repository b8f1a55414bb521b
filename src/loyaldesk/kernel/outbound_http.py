"""POSTing to an address a store gave (a rule's webhook step, a channel's callback) through the install's
``OutboundPolicy``: the name is resolved and checked once, and the request goes to the checked address
(the Host header and TLS server name still carry the name, so certificates are verified for it)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx

from loyaldesk.kernel.outbound import OutboundPolicy, OutboundRefused


def post_pinned(
    client: httpx.Client,
    policy: OutboundPolicy,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float = 10.0,
) -> tuple[int | None, str | None]:
    """(HTTP status, None) when the server answered; (None, why) when no answer came or the address is
    refused. Never raises for network trouble."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None, f"not a valid port in {url}"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None, f"not an http(s) URL: {url}"
    try:
        destination = policy.destination(parts.hostname, port)
    except OutboundRefused as refused:
        return None, f"refused: {refused}"
    userinfo = parts.netloc.rpartition("@")[0]
    pinned = urlunsplit(
        (
            parts.scheme,
            (userinfo + "@" if userinfo else "") + f"{destination.address_for_url}:{port}",
            parts.path or "/",
            parts.query,
            "",
        )
    )
    try:
        response = client.post(
            pinned,
            content=body,
            headers={"Host": parts.netloc.rpartition("@")[2], **headers},
            timeout=timeout,
            follow_redirects=False,
            extensions={"sni_hostname": destination.host} if parts.scheme == "https" else None,
        )
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"
    return response.status_code, None
