"""Where loyaldesk may connect on a store's behalf (API channel callbacks, IMAP mailboxes): public
addresses only, unless the install allows private networks; and to the very address that was checked.

A store admin types a host name; loyaldesk then connects from inside the install's network. Without a
policy that host could be the cloud's metadata service, a database on the same network or the install
itself. So before connecting:

* the name is resolved once (``OutboundPolicy.resolver``, injectable for tests) and **every** address it
  resolves to must be public: not private, loopback, link-local, shared (CGNAT), reserved, multicast or
  unspecified; nor NAT64 (``64:ff9b::/96``, ``64:ff9b:1::/48``, which reach IPv4 through a translator);
  nor an IPv4-compatible IPv6 address (``::a.b.c.d``, deprecated); nor an IPv4-mapped (``::ffff:a.b.c.d``)
  or 6to4 (``2002::/16``) address whose embedded IPv4 address is not public;
* the connection then goes to the first checked address (``Destination.address``), never to a second
  resolution of the name, which a hostile DNS server could answer differently ("DNS rebinding"). HTTPS
  and IMAPS still verify the certificate for the name (SNI and the Host header carry it).

``allow_private_network`` is the install's setting (``LOYALDESK_ALLOW_PRIVATE_NETWORK``), never a store's:
only whoever runs the install knows what sits on its network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the name resolves to, in the order to try them
Resolver = Callable[[str, int], list[str]]

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class OutboundRefused(Exception):
    """loyaldesk will not connect there; ``str()`` says why in words an admin can act on."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the operating system's resolver, without repeats."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def why_not_public(address: IPAddress) -> str | None:
    """Why ``address`` is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        inner = why_not_public(address.ipv4_mapped)
        return f"an IPv4-mapped form of {inner}" if inner else None
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in _NAT64):
            return "a NAT64 address (it reaches IPv4 addresses through a translator)"
        if address in _IPV4_COMPATIBLE:
            return "an IPv4-compatible IPv6 address"
        if address.sixtofour is not None:
            inner = why_not_public(address.sixtofour)
            if inner:
                return f"a 6to4 form of {inner}"
    if not address.is_global:
        return "a private or reserved address"
    return None


def parse_address(host: str) -> IPAddress | None:
    """``host`` as an IP address literal (``[::1]`` brackets allowed), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Destination:
    """Where to connect: ``host`` as the user gave it (for TLS and the Host header) and the checked
    ``address`` to open the socket to."""

    host: str
    address: str
    port: int

    @property
    def address_for_url(self) -> str:
        return f"[{self.address}]" if ":" in self.address else self.address


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private_network: bool = False
    resolver: Resolver = field(default=system_resolver)

    def refusal_of_literal(self, host: str) -> str | None:
        """Why ``host``, if it is an address literal or a name of this machine, may not be used; for a
        form to say at once (names are checked when connecting, against what they resolve to then)."""
        if self.allow_private_network:
            return None
        name = host.strip().rstrip(".").lower()
        if name == "localhost" or name.endswith(".localhost"):
            return f"{host} is this machine; only public addresses may be used"
        address = parse_address(name)
        reason = why_not_public(address) if address is not None else None
        return f"{host} is {reason}; only public addresses may be used" if reason else None

    def destination(self, host: str, port: int) -> Destination:
        """The checked address to connect to for ``host``; ``OutboundRefused`` saying why not."""
        literal = parse_address(host)
        addresses = [str(literal)] if literal is not None else self.resolver(host, port)
        if not addresses:
            raise OutboundRefused(f"{host} could not be found (no address)")
        checked: list[IPAddress] = []
        for text in addresses:
            address = parse_address(text)
            if address is None:
                raise OutboundRefused(f"{host} resolved to something that is not an address")
            checked.append(address)
        if not self.allow_private_network:
            for address in checked:
                reason = why_not_public(address)
                if reason:
                    # Every address, not just the first: a name with one public and one private address
                    # is refused, whatever order the resolver gives them in.
                    raise OutboundRefused(
                        f"{host} resolves to {reason}; only public addresses may be reached "
                        "(the install may allow private networks: LOYALDESK_ALLOW_PRIVATE_NETWORK)"
                    )
        return Destination(host=host.strip("[]"), address=str(checked[0]), port=port)


def check_service_url(value: str, policy: OutboundPolicy, example: str) -> tuple[str, str | None]:
    """A service's base address as a store typed it (an SMS provider's API, an LLM endpoint): returns the
    address without its trailing slash and, when it is refused, why (to show beside the field; ``example``
    is an address that would be accepted). Accepted: http(s), a host, no query, fragment or user info, at
    most 500 characters, and a host the policy allows as a literal."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or len(url) > 500
        or not port_ok
    ):
        return url, f"an http(s) address without a query, like {example}"
    return url, policy.refusal_of_literal(parts.hostname)
