"""Where webhooks may point: http(s) to public addresses only, unless the operator allows private ones."""
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from urllib3.util import parse_url

HOSTNAME = re.compile(r"^[A-Za-z0-9.-]+$")


@dataclass
class Target:
    """A checked endpoint: the address to connect to, and the name to present (Host, TLS)."""

    scheme: str
    hostname: str
    ip: str
    port: int


def refusal(url: str) -> str | None:
    """Why the URL may not receive webhooks, or None when it may."""
    target = resolve(url)
    return target if isinstance(target, str) else None


def resolve(url: str) -> Target | str:
    """The address a delivery to this URL connects to, or why it may not: checked once, then used as is,
    so that the name cannot resolve elsewhere between the check and the connection."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        same_host = host is not None and (parse_url(url).host or "").strip("[]").lower() == host
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        return "The URL must be http(s) with a plain host name or address."
    if parts.scheme not in ("http", "https") or not same_host or not (HOSTNAME.match(host) or _ip(host)):
        return "The URL must be http(s) with a plain host name or address."
    if parts.username or parts.password:
        return "The URL must not carry credentials."
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, socket.gaierror):
        return "The URL's host does not resolve."
    addresses = [info[4][0] for info in infos]
    if not current_app.config["WEBHOOKS_ALLOW_PRIVATE"] and any(_private(address) for address in addresses):
        return "The URL resolves to a loopback, private or link-local address."
    ipv4 = [address for address in addresses if ":" not in address]  # reachable from more networks than IPv6
    return Target(parts.scheme, host, (ipv4 or addresses)[0], port)


def _ip(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast
