"""Where an alert channel may post: never into the server's own network unless allowed.

A Slack or webhook URL is a tenant's input, and forcebridge posts to it from inside the
operator's network: a URL naming a loopback, private, link-local or other non-public address
(this machine, a cloud metadata endpoint, an internal service) would let a tenant reach what
only the server should. Such a host is refused when the channel is saved (an address, or
`localhost`) and again before each post (where the name resolves then), unless the operator
lists it in `FORCEBRIDGE_ALERT_ALLOWED_HOSTS` (`*`: every host).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

import anyio

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allowed(host: str, allowed: Sequence[str]) -> bool:
    wanted = {a.strip().lower().strip("[]") for a in allowed}
    return "*" in wanted or host in wanted


def _kind(ip: IpAddress) -> str | None:
    """What makes `ip` off limits (None: a public address)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("unspecified", ip.is_unspecified), ("private", ip.is_private),
                       ("multicast", ip.is_multicast), ("reserved", ip.is_reserved)):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def refusal(url: str, allowed: Sequence[str]) -> str | None:
    """Why `url` may not be posted to, judged from the URL alone (None: it may, so far)."""
    host = _host(url)
    if not host or _allowed(host, allowed):
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is this server (loopback); allow it with FORCEBRIDGE_ALERT_ALLOWED_HOSTS"
    try:
        kind = _kind(ipaddress.ip_address(host))
    except ValueError:
        return None  # a name: judged where it resolves, before each post
    if kind is None:
        return None
    return f"{host} is a {kind} address; allow it with FORCEBRIDGE_ALERT_ALLOWED_HOSTS"


async def resolved_refusal(url: str, allowed: Sequence[str]) -> str | None:
    """`refusal`, and where the host's name resolves now: every address must be public."""
    found = refusal(url, allowed)
    host = _host(url)
    if found is not None or not host or _allowed(host, allowed):
        return found
    try:
        ipaddress.ip_address(host)
        return None  # an address, judged above
    except ValueError:
        pass
    try:
        infos = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return None  # unresolvable: the post fails on its own, saying so
    return addresses_refusal(host, [str(info[4][0]) for info in infos])


def addresses_refusal(host: str, addresses: Sequence[str]) -> str | None:
    """Why `host` may not be posted to when it resolves to `addresses` (all must be public)."""
    for address in addresses:
        kind = _kind(ipaddress.ip_address(address.split("%")[0]))
        if kind is not None:
            return (f"{host} resolves to {address}, a {kind} address; allow it with "
                    "FORCEBRIDGE_ALERT_ALLOWED_HOSTS")
    return None
