"""When a request arrived: deadlines are judged by it, not by when a busy server got round to the request."""
import contextlib
import errno
import selectors
import socket
import threading
import time
from collections import deque
from datetime import datetime
from functools import partial

from flask import request
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, TConn, ThreadWorker

from challenges import clock

RECEIVED_AT = "challenges.received_at"
PEEK_BYTES = 256 * 1024  # a JSON submission fits many times over; a larger request is stamped once it is read
# A request waits for its last byte in the worker's poller, holding no thread, as long as gunicorn lets a new
# connection hold a thread while waiting for data, and is looked at this many times at most (each look copies what
# is in); past either it queues for a thread and is stamped once read.
ARRIVAL_WAIT_SECONDS = DEFAULT_WORKER_DATA_TIMEOUT
MAX_LOOKS = 32
_noted = threading.local()  # the stamp of the request this thread is about to serve


def received_at() -> datetime:
    """When the whole request had arrived: as the server noted it, or else now. Views call it once the body is
    read, so a body still trickling in at the deadline is judged by its last byte."""
    return request.environ.get(RECEIVED_AT) or clock.now()


def peek(sock: socket.socket) -> bytes:
    """What the socket's buffer holds, up to PEEK_BYTES, left there for the request's reader; b"" if nothing."""
    try:
        return sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return b""


def request_size(data: bytes) -> int | None:
    """How many bytes the request at the start of `data` takes, head and body: exactly once its head is in, else at
    least one more than `data` holds. None when only reading it can tell: a chunked body, a repeated or unreadable
    length, HTTP/2, or an Expect header (its client may hold the body back until told to go on)."""
    if data.startswith(b"PRI * HTTP/2.0"):
        return None  # HTTP/2's preface, and the requests that follow it are read in a thread
    head, blank_line, _ = data.partition(b"\r\n\r\n")
    if not blank_line:
        return len(data) + 1
    lengths = []
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name in (b"transfer-encoding", b"expect"):
            return None
        if name == b"content-length":
            lengths.append(value.strip())
    if len(lengths) > 1 or not all(length.isdigit() for length in lengths):
        return None
    return len(head) + len(blank_line) + int(lengths[0] if lengths else 0)


class ArrivalWorker(ThreadWorker):
    """gunicorn's threaded worker, noting the moment a connection's request has arrived whole, before it queues
    for a thread. Until then the request waits in the poller, holding no thread, and the kernel wakes it once the
    bytes it lacks are in (SO_RCVLOWAT): it is stamped by its last byte, as the deadline rule wants, never by its
    first. TLS connections and HTTP/2 ones are stamped once a thread has read the request."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.arriving = deque()  # connections waiting for the rest of their request, oldest first

    def accept(self, listener):
        """Take a new connection: its request waits in the poller like a kept-alive connection's, unless a thread
        must first go through a TLS handshake or look for HTTP/2's preface."""
        try:
            sock, client = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, sock, client, listener.getsockname())
        if self.cfg.is_ssl or negotiation.prior_knowledge_allowed(self.cfg, client):
            self.enqueue_req(conn)
        else:
            self.poller.register(sock, selectors.EVENT_READ, partial(self.on_arriving_socket_readable, conn))
            self.watch(conn)

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection has data: its request queues for a thread once it is whole."""
        self.keepalived_conns.remove(conn)
        self.take_in(conn)

    def on_pending_socket_readable(self, conn, client):
        """A connection that waited long for data has some: its request queues for a thread once it is whole."""
        self.pending_conns.remove(conn)
        self.take_in(conn)

    def on_arriving_socket_readable(self, conn, client):
        """The bytes a request lacked are in, or its client has stopped sending."""
        self.take_in(conn)

    def take_in(self, conn):
        """Queue the connection, stamped now if its whole request is in; else let it wait for the rest, within
        bounds, and queue it unstamped past them."""
        data = b"" if self.cfg.is_ssl else peek(conn.sock)  # encrypted bytes say nothing of the request
        size = request_size(data) if data else None
        if size is not None and size <= len(data):
            self.hand_over(conn, clock.now())
        elif size is None or size > PEEK_BYTES or not self.wait_for_rest(conn, len(data), size):
            self.hand_over(conn, None)

    def watch(self, conn):
        """Start the connection's wait for its request, ARRIVAL_WAIT_SECONDS at most."""
        conn.rest_due, conn.looks, conn.seen = time.monotonic() + ARRIVAL_WAIT_SECONDS, 0, 0
        self.arriving.append(conn)

    def unwatch(self, conn):
        """End the connection's wait for its request, if it had one."""
        if hasattr(conn, "rest_due"):
            del conn.rest_due, conn.looks, conn.seen
            self.arriving.remove(conn)
            with contextlib.suppress(OSError):  # a dead socket fails its read, in the thread, as it would anyway
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)  # reads take what is there

    def wait_for_rest(self, conn, seen: int, size: int) -> bool:
        """Leave the connection in the poller until `size` bytes are in; False if it may wait no longer: past its
        bounds, nothing new since the last look (the client closed its side), or no way to have the kernel wait."""
        if not hasattr(conn, "rest_due"):
            self.poller.modify(conn.sock, selectors.EVENT_READ, partial(self.on_arriving_socket_readable, conn))
            self.watch(conn)
        conn.looks += 1
        if seen <= conn.seen or conn.looks > MAX_LOOKS or time.monotonic() >= conn.rest_due:
            return False
        conn.seen = seen
        try:
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, size)  # readable once `size` bytes are in
        except OSError:
            return False
        return True

    def hand_over(self, conn, arrived_at: datetime | None):
        """Queue the connection for a thread, its next request stamped `arrived_at` (None: once it is read)."""
        self.unwatch(conn)
        self.poller.unregister(conn.sock)
        conn.arrived_at, conn.data_ready = arrived_at, True  # data_ready: the thread does not wait for data again
        self.enqueue_req(conn)

    def defer(self, conn):
        """Leave a new connection that has sent nothing yet to gunicorn's pending ones, which wait out the
        keep-alive timeout, as it would after waiting in a thread."""
        self.unwatch(conn)
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.modify(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def murder_pending(self):
        """Besides gunicorn's expired pending connections: queue, unstamped, a request that waited for its rest as
        long as it may, and defer a new connection that sent nothing in that time."""
        super().murder_pending()
        now = time.monotonic()
        while self.arriving and self.arriving[0].rest_due <= now:
            conn = self.arriving[0]
            if conn.seen:
                self.hand_over(conn, None)
            else:
                self.defer(conn)

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
