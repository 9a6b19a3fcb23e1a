"""The worker's own metrics over HTTP (WORKER_METRICS_PORT), for a Prometheus that scrapes each host: the web's
/metrics shows a worker's counts only through a PROMETHEUS_MULTIPROC_DIR on the same host."""
import hmac
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, make_wsgi_app

from challenges.errors import PROBLEM_TYPE

STOP_SECONDS = 5  # how long the worker waits, as it stops, for a scrape being answered
REFUSAL = json.dumps({
    "type": f"{PROBLEM_TYPE}unauthorized", "title": "Unauthorized", "status": 401,
    "detail": "Reading the metrics needs 'Authorization: Bearer <METRICS_TOKEN>'."}).encode()
log = logging.getLogger(__name__)


class Unservable(RuntimeError):
    """The metrics cannot be served at the address and port given; the message is one line."""


class _Server(ThreadingMixIn, WSGIServer):
    """Answers each scrape in a thread of its own, none of which keeps the worker from stopping."""

    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # a line per scrape would bury the worker's own
        pass


def _guarded(app: Callable, token: str) -> Callable:
    """`app` behind `Authorization: Bearer <token>`, as /metrics is; open when the token is empty."""
    if not token:
        return app

    def guarded(environ, start_response):
        scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return app(environ, start_response)
        start_response("401 Unauthorized", [("Content-Type", "application/problem+json"),
                                            ("WWW-Authenticate", 'Bearer realm="challenges"')])
        return [REFUSAL]

    return guarded


def _bound(address: str, port: int, app: Callable) -> WSGIServer:
    """A server listening on address:port (IPv4 or IPv6, as the address says); Unservable when it cannot."""
    try:
        family = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        return make_server(address, port, app, type("Server", (_Server,), {"address_family": family}),
                           handler_class=_Quiet)
    except OSError as error:
        raise Unservable(f"WORKER_METRICS_PORT: the worker's metrics cannot be served at {address}:{port} "
                         f"({error.strerror or error})") from None


@contextmanager
def serving(port: int | None, address: str, token: str) -> Iterator[tuple[str, int] | None]:
    """Serve this process's metrics at address:port until the block ends; its address, or None without a port."""
    if port is None:
        yield None
        return
    # This process's counts only: with a PROMETHEUS_MULTIPROC_DIR shared with gunicorn, the web's /metrics has
    # them already, and adding the web's here would count them twice.
    server = _bound(address, port, _guarded(make_wsgi_app(REGISTRY), token))
    thread = threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True)
    thread.start()
    where = server.server_address[:2]
    log.info("worker metrics at http://%s:%d/metrics", *where)
    try:
        yield where
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=STOP_SECONDS)
