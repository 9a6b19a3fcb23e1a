"""Where webhooks may point: http(s) to public addresses only, unless the operator allows private ones."""
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from flask_babel import gettext as _
from urllib3.util import parse_url

HOSTNAME = re.compile(r"^[A-Za-z0-9.-]+$")
# IPv6 forms that carry an IPv4 address in their last 32 bits: IPv4-compatible (deprecated), IPv4-translated
# (SIIT) and the well-known NAT64 prefix. Each is judged by the IPv4 address it leads to, as are the
# IPv4-mapped, 6to4 and Teredo forms, which the ipaddress module reads.
LAST_32_BITS = tuple(map(ipaddress.IPv6Network, ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")))
# Local-use NAT64 places the IPv4 address where its operator chose, so it cannot be read: refused.
UNREADABLE = (ipaddress.IPv6Network("64:ff9b:1::/48"),)


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


def canonical(url: str) -> str:
    """The URL as a delivery sees it, for telling duplicates apart: scheme and host in lower case, no default
    port, an empty path as "/", no fragment (it is never sent). Only for URLs that `resolve` accepts."""
    parts = urlsplit(url)
    host = parts.hostname
    if ":" in host:
        host = f"[{ipaddress.ip_address(host).compressed}]"
    default = 443 if parts.scheme == "https" else 80
    port = f":{parts.port}" if parts.port not in (None, default) else ""
    return urlunsplit((parts.scheme, host + port, parts.path or "/", parts.query, ""))


def resolve(url: str) -> Target | str:
    """The address a delivery to this URL connects to, or why it may not: checked once, then used as is,
    so that the name cannot resolve elsewhere between the check and the connection."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        same_host = host is not None and (parse_url(url).host or "").strip("[]").lower() == host
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        return _("The URL must be http(s) with a plain host name or address.")
    if parts.scheme not in ("http", "https") or not same_host or not (HOSTNAME.match(host) or _ip(host)):
        return _("The URL must be http(s) with a plain host name or address.")
    if parts.username or parts.password:
        return _("The URL must not carry credentials.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, socket.gaierror):
        return _("The URL's host does not resolve.")
    addresses = [info[4][0] for info in infos]
    if not current_app.config["WEBHOOKS_ALLOW_PRIVATE"] and any(_private(address) for address in addresses):
        return _("The URL resolves to a loopback, private or link-local address.")
    ipv4 = [address for address in addresses if ":" not in address]  # reachable from more networks than IPv6
    return Target(parts.scheme, host, (ipv4 or addresses)[0], port)


def _ip(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _private(address: str) -> bool:
    """Whether the address, or an IPv4 address it carries, is not a public unicast one."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and any(ip in network for network in UNREADABLE):
        return True
    return any(not each.is_global or each.is_multicast for each in (ip, *_carried(ip)))


def _carried(ip) -> list:
    """The IPv4 addresses that an IPv6 transition address leads to (none for a plain one)."""
    if ip.version == 4:
        return []
    carried = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if any(ip in network for network in LAST_32_BITS):
        carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [each for each in carried if each is not None]
