"""Where a webhook may be delivered: https only, and never to this machine or its private networks.

A webhook URL is chosen by a tenant, and the worker that delivers it sits inside the operator's
network: without a guard, a tenant could make it POST to loopback services, the private network or
the cloud's metadata endpoint (169.254.169.254), i.e. server-side request forgery. So the URL's
host is resolved at every attempt and every address it resolves to must be a public one; the
connection then goes to the address that was checked (`pinned`), so a name that resolves
differently a moment later (DNS rebinding) cannot slip another address in. Operators on a trusted
network, and the tests' loopback receiver, turn the address check off with
SIMULACRA_WEBHOOK_ALLOW_PRIVATE (and allow plain http with SIMULACRA_WEBHOOK_ALLOW_HTTP).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048
# The shape of a webhook URL: a host name or IPv4 address, a port from 1 to 65535, printable ASCII after it
# (no space, quote or #fragment), no credentials (no @ before the path). Published in OpenAPI; the server also
# takes a bracketed IPv6 literal as host, which the published shape leaves out (a fuzzer would mostly make
# invalid ones, and a public receiver has a name).
_PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_NAME = r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?"
_REST = rf"(:{_PORT})?([/?][!$-~]*)?$"
PUBLISHED_URL_SHAPE = rf"^https?://{_NAME}{_REST}"
_URL_SHAPE = re.compile(rf"^https?://({_NAME}|\[[0-9A-Fa-f:.]+\]){_REST}")
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookUrlRefused(Exception):
    """The URL may not receive webhooks; `code` is the simio_* code, the message says why in the client's terms."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Policy:
    allow_http: bool = False
    allow_private: bool = False


def check_url(url: str, policy: Policy) -> SplitResult:
    """The URL's shape: absolute, https (or http where allowed), a host, no credentials or fragment."""
    if len(url) > MAX_URL_LENGTH or not url.isascii() or any(ch.isspace() for ch in url):
        raise WebhookUrlRefused(
            "simio_webhook_url_invalid", f"The URL must be ASCII, without spaces, at most {MAX_URL_LENGTH} characters."
        )
    try:
        parts = urlsplit(url)
        port = parts.port  # refuses a port that is not a number in range
    except ValueError:
        raise WebhookUrlRefused("simio_webhook_url_invalid", "The URL could not be parsed.") from None
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in ("https", "http"):
        raise WebhookUrlRefused("simio_webhook_url_invalid", "The URL must start with https://.")
    if parts.scheme not in allowed:
        raise WebhookUrlRefused("simio_webhook_url_insecure", "Webhooks are delivered over https only.")
    if not parts.hostname or port == 0:
        raise WebhookUrlRefused("simio_webhook_url_invalid", "The URL must name a host (and a port from 1 to 65535).")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise WebhookUrlRefused(
            "simio_webhook_url_invalid", "The URL may not carry credentials (user:password@) or a #fragment."
        )
    if not _URL_SHAPE.match(url):
        raise WebhookUrlRefused(
            "simio_webhook_url_invalid",
            "The URL must look like https://host[:port][/path][?query]: a host name or IP address, printable "
            "ASCII without spaces or quotes.",
        )
    literal = _literal_address(parts.hostname)
    if literal is not None and not policy.allow_private:
        refuse_if_private([literal])
    elif not policy.allow_private and _is_local_name(parts.hostname):
        raise WebhookUrlRefused("simio_webhook_url_not_allowed", "The URL names this machine (localhost).")
    return parts


def refuse_if_private(addresses: list[IpAddress]) -> None:
    """Every address must be public: one private address among several is refused too (it may be the one used)."""
    for address in addresses:
        if not is_public(address):
            raise WebhookUrlRefused(
                "simio_webhook_url_not_allowed",
                f"The URL's host is (or resolves to) {address}, a loopback, private, link-local or otherwise "
                "non-public address.",
            )


def is_public(address: IpAddress) -> bool:
    """Globally routable unicast. `is_global` is False for loopback, RFC 1918, CGNAT (100.64/10, where some
    clouds keep metadata), link-local (169.254/16: the metadata endpoint), fc00::/7, ::1 and the rest."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address the host resolves to (an IP literal resolves to itself); OSError when it does not resolve."""
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[IpAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class Pinned:
    """The URL to connect to (the checked address in place of the name), and what to send as Host and SNI."""

    url: str
    host_header: str
    server_name: str


def pin(parts: SplitResult, policy: Policy) -> Pinned:
    """Resolve the URL's host now, check every address, and aim the connection at the first one."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise OSError(f"{host} has no address")
    if not policy.allow_private:
        refuse_if_private(addresses)
    address = addresses[0]
    netloc = f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"
    default_port = parts.port is None
    host_header = _bracketed(host) if default_port else f"{_bracketed(host)}:{port}"
    return Pinned(parts._replace(netloc=netloc).geturl(), host_header, host)


def _literal_address(host: str) -> IpAddress | None:
    """The address a host written as a number stands for, as the resolver reads it: `127.1` and
    `2130706433` are 127.0.0.1 too. None for a name (no lookup is made here)."""
    try:
        found = socket.getaddrinfo(host.strip("[]"), None, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(str(found[0][4][0]).split("%")[0])


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")
