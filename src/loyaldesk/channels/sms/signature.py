"""Twilio's request signature (``X-Twilio-Signature``), as Twilio documents it ("Secure webhooks"):

1. take the full URL the provider called, as configured there (scheme, host, path and query string);
2. append every POST parameter, sorted by name, as name immediately followed by value (a name sent
   several times: each of its distinct values, sorted);
3. HMAC-SHA1 that string with the account's auth token as the key, and base64 the digest.

Twilio may sign the URL with or without the scheme's default port (``:443``), so both forms are
accepted. Pure: no I/O. Checked in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Twilio-Signature"
DEFAULT_PORTS = {"https": 443, "http": 80}


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature of a POST of ``params`` (name, value pairs) to ``url``."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    data = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _with_and_without_default_port(url: str) -> list[str]:
    parts = urlsplit(url)
    default = DEFAULT_PORTS.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return [url]
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = userinfo + "@" if userinfo else ""
    if port is None and default is not None:
        other = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}"))
    elif port is not None and port == default:
        other = urlunsplit(parts._replace(netloc=f"{prefix}{host}"))
    else:
        return [url]
    return [url, other]


def signature_matches(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None
) -> bool:
    """Whether ``given`` (the header's value) signs ``params`` posted to ``url`` with ``auth_token``."""
    if not auth_token or not given:
        return False
    pairs = list(params)
    return any(
        hmac.compare_digest(twilio_signature(auth_token, candidate, pairs).encode(), given.strip().encode())
        for candidate in _with_and_without_default_port(url)
    )
