"""Where webhooks may point: http(s) to public addresses only, unless the operator allows private ones."""
import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app


def refusal(url: str) -> str | None:
    """Why the URL may not receive webhooks, or None when it may."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        return "The URL must be http(s) with a host."
    if parts.username or parts.password:
        return "The URL must not carry credentials."
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (ValueError, UnicodeError, socket.gaierror):
        return "The URL's host does not resolve."
    if current_app.config["WEBHOOKS_ALLOW_PRIVATE"]:
        return None
    if any(_private(info[4][0]) for info in infos):
        return "The URL resolves to a loopback, private or link-local address."
    return None


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast
