"""When a request arrived: deadlines are judged by it, not by when a busy server got round to the request."""
import socket
import threading
from datetime import datetime

from flask import request
from gunicorn.workers.gthread import ThreadWorker

from challenges import clock

RECEIVED_AT = "challenges.received_at"
PEEK_BYTES = 256 * 1024  # a JSON submission fits many times over; a larger body is stamped once it is read
_noted = threading.local()  # the stamp of the request this thread is about to serve


def received_at() -> datetime:
    """When the whole request had arrived: as the server noted it, or else now. Views call it once the body is
    read, so a body still trickling in at the deadline is judged by its last byte."""
    return request.environ.get(RECEIVED_AT) or clock.now()


def whole_request_waiting(sock: socket.socket) -> bool:
    """Whether the socket's buffer already holds a whole request, body included (peeked at, not read)."""
    try:
        data = sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return False
    head, blank_line, body = data.partition(b"\r\n\r\n")
    if not blank_line:
        return False
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"transfer-encoding":
            return False  # chunked: its end is known only once read
        if name == b"content-length":
            if not value.strip().isdigit():
                return False
            length = int(value)
    return len(body) >= length


class ArrivalWorker(ThreadWorker):
    """gunicorn's threaded worker, noting the moment a waiting connection holds a whole request, before the
    request queues for a thread. A new connection's first request is stamped when a thread reads it."""

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection has data: note the time if the whole request is in."""
        conn.arrived_at = clock.now() if whole_request_waiting(conn.sock) else None
        super().on_client_socket_readable(conn, client)

    def on_pending_socket_readable(self, conn, client):
        """A new connection that waited for data has some: note the time if the whole request is in."""
        conn.arrived_at = clock.now() if whole_request_waiting(conn.sock) else None
        super().on_pending_socket_readable(conn, client)

    def handle(self, conn):
        """Serve the connection's next request with its stamp, which serves no later one."""
        _noted.at, conn.arrived_at = getattr(conn, "arrived_at", None), None
        return super().handle(conn)


class ArrivalStamp:
    """WSGI middleware: hands the server's stamp, when there is one, to the request's environ."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        at, _noted.at = getattr(_noted, "at", None), None
        if at is not None:
            environ.setdefault(RECEIVED_AT, at)
        return self.wsgi_app(environ, start_response)
