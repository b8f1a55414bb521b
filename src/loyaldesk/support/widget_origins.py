"""Which web pages may use a store's chat widget: its WebSocket and its HTTP API (offline form, files).
Decided from the ``Origin`` header a browser puts on every WebSocket and on every ``fetch`` that is not a
plain GET. Pure: no I/O.

* A store that lists origins (desk settings, ``widget_allowed_origins``) gets its chat on exactly those
  pages (``https://*.shop.example`` stands for every subdomain of shop.example), and on loyaldesk's own
  pages (the demo shop page), whose origin is the host the request was sent to.
* A store that lists none gets its chat on any HTTPS page, and on plain-HTTP pages of the machine itself
  (localhost, 127.0.0.1, [::1]) for development. Not on other plain-HTTP pages, where the shopper's
  signature and visitor token would cross the network in clear and anyone on the way could rewrite the
  page, and not on pages without an origin of their own (``null``: a file opened from disk, a sandboxed
  frame).

The check keeps other sites' pages from using a store's chat in their visitors' browsers. It is not what
protects a shopper's conversations (their signature, visitor token and widget ticket do), since a program
that is not a browser can send any ``Origin`` it likes.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from loyaldesk.kernel.errors import FieldProblem

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
WHERE_TO_ALLOW = "an admin of the store can allow it under Inbox → Desk settings"


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port, or None when ``value`` is not an
    http(s) origin (a path, a query, credentials or no host make it something else). A leading ``*.``
    in the host is kept: it is a pattern for the allowed list."""
    text = value.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origin_problems(values: Collection[str]) -> list[FieldProblem]:
    """What is wrong with a store's list of allowed origins (each ``https://host[:port]``, optionally
    ``https://*.host``), to be shown next to the field."""
    problems: list[FieldProblem] = []
    for value in values:
        normal = normalise_origin(value)
        if normal is None:
            problems.append(
                FieldProblem(
                    "widget_allowed_origins",
                    f"{value!r} is not an origin: write the scheme and host only, such as "
                    "https://shop.example.com (no path)",
                )
            )
        elif "*" in normal.split("://", 1)[1].removeprefix("*."):
            problems.append(
                FieldProblem(
                    "widget_allowed_origins",
                    f"{value!r}: a * may only stand first, as in https://*.shop.example",
                )
            )
    return problems


def _host_of(origin: str) -> str:
    return origin.split("://", 1)[1]


def _matches(origin: str, pattern: str) -> bool:
    if "://*." not in pattern:
        return origin == pattern
    scheme, rest = pattern.split("://*.", 1)
    suffix = "." + rest
    return origin.startswith(scheme + "://") and _host_of(origin).endswith(suffix)


def _hostname(host_and_port: str) -> str:
    if host_and_port.startswith("["):
        return host_and_port.split("]", 1)[0] + "]"
    return host_and_port.rsplit(":", 1)[0] if ":" in host_and_port else host_and_port


def origin_refusal(origin: str | None, allowed: Collection[str], own_host: str | None) -> str | None:
    """None when a page of ``origin`` may use the store's chat, else why not, in words for the page's
    developer. ``allowed`` is the store's list (empty: the default above); ``own_host`` the ``Host`` the
    request was sent to (loyaldesk's own pages are always allowed); a missing ``origin`` (a program that
    is not a browser) is allowed only while the store lists no origins."""
    patterns = [normal for item in allowed if (normal := normalise_origin(item)) is not None]
    if origin is None:
        if patterns:
            return f"this store's chat only opens on its own pages; send their Origin ({WHERE_TO_ALLOW})"
        return None
    normal = normalise_origin(origin)
    if normal is None:
        return (
            f"the chat cannot open on a page without a web origin of its own (Origin: {origin[:100]}); "
            "serve the page over https"
        )
    if own_host and _host_of(normal) == own_host.strip().lower():
        return None
    if patterns:
        if any(_matches(normal, pattern) for pattern in patterns):
            return None
        return f"this page's origin ({normal}) may not open this store's chat; {WHERE_TO_ALLOW}"
    if normal.startswith("https://") or _hostname(_host_of(normal)) in LOOPBACK_HOSTS:
        return None
    return (
        f"the chat only opens on https pages (this one is {normal}) until the store lists the pages "
        f"allowed to show it; {WHERE_TO_ALLOW}"
    )
