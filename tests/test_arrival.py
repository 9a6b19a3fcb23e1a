"""Deadlines are judged by when a request arrived whole: not by when a busy server got round to it, and not by
when a slow body started."""
import contextlib
import http.client
import json
import os
import pathlib
import re
import selectors
import socket
import subprocess
import sys
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from functools import partial
from types import SimpleNamespace

import pytest

from challenges import arrival
from challenges.arrival import MAX_LOOKS, RECEIVED_AT, ArrivalWorker, peek, request_size
from challenges.models import Submission
from tests.factories import auth_headers, count, make_challenge, make_organisation, make_user

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRY = {"title": "Mine", "summary": "s", "body": "b", "accept_terms": True}
HEAD = b"POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"


@pytest.mark.parametrize("raw, size", [
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 34),
    (HEAD + b"hello", len(HEAD) + 5),
    (HEAD + b"hel", len(HEAD) + 5),
    (HEAD, len(HEAD) + 5),
    (b"POST /s HTTP/1.1\r\ncontent-length:  5 \r\n\r\nhel", 46),
    (HEAD + b"hello" + b"GET / HTTP/1.1\r\n", len(HEAD) + 5),
    (b"POST /s HTTP/1.1\r\nContent-Length: 5\r\nHost: x", 45),
    (b"POST /s HTTP/1.1\r\nContent-Length: 5\n\nhello", 43),
    (b"POST /s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", None),
    (b"POST /s HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", None),
    (b"POST /s HTTP/1.1\r\nContent-Length: -5\r\n\r\nhello", None),
    (b"POST /s HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 0\r\n\r\nhello", None),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", None),
], ids=["get", "whole-body", "half-body", "head-only", "loose-length", "pipelined", "half-head", "bare-newlines",
        "chunked", "expect", "bad-length", "two-lengths", "http2"])
def test_server_reads_how_long_a_request_is_from_its_first_bytes(raw, size):
    assert request_size(raw) == size


def test_server_peeks_at_a_request_without_taking_it():
    reader, writer = socket.socketpair()
    with reader, writer:
        assert peek(reader) == b""
        writer.sendall(HEAD)
        assert peek(reader) == HEAD
        assert reader.recv(1024) == HEAD


@pytest.fixture
def worker():
    """An ArrivalWorker's poller without gunicorn's process around it; the connections it queued in .queued."""
    worker = ArrivalWorker.__new__(ArrivalWorker)  # gunicorn's constructor wants an arbiter
    worker.cfg = SimpleNamespace(is_ssl=False, keepalive=2, http2_cleartext="off")
    worker.poller, worker.arriving, worker.nr_conns = selectors.DefaultSelector(), deque(), 0
    worker.keepalived_conns, worker.pending_conns, worker.queued = deque(), deque(), []
    worker.enqueue_req = worker.queued.append
    yield worker
    for conn in {*worker.arriving, *worker.pending_conns, *worker.keepalived_conns, *worker.queued}:
        conn.sock.close()
    worker.poller.close()


@pytest.fixture
def connect(worker):
    """Connect a client to the worker, which accepts it; the client's socket (TCP_NODELAY: each write a segment)."""
    with socket.create_server(("127.0.0.1", 0)) as listener, contextlib.ExitStack() as clients:
        def connect() -> socket.socket:
            client = clients.enter_context(socket.create_connection(listener.getsockname()))
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            worker.accept(listener)
            return client
        yield connect


@pytest.fixture
def kept_alive_client(worker, connect):
    """A client whose connection has served a request and waits in the worker's poller; its socket and the
    worker's connection."""
    client = connect()
    [conn] = worker.arriving
    worker.unwatch(conn)
    worker.keepalived_conns.append(conn)
    worker.poller.modify(conn.sock, selectors.EVENT_READ, partial(worker.on_client_socket_readable, conn))
    return client, conn


def test_server_holds_a_partly_arrived_request_from_the_threads_until_its_last_byte(worker, kept_alive_client):
    client, conn = kept_alive_client
    client.sendall(HEAD)
    worker.wait_for_and_dispatch_events(timeout=5)
    assert worker.queued == [] and list(worker.arriving) == [conn]
    worker.wait_for_and_dispatch_events(timeout=0.3)  # the kernel does not wake the worker for part of the rest
    assert worker.queued == [] and conn.looks == 1
    body_sent = datetime.now(UTC)
    client.sendall(b"hello")
    worker.wait_for_and_dispatch_events(timeout=5)
    assert worker.queued == [conn] and not worker.arriving and conn.sock not in worker.poller.get_map()
    assert body_sent <= conn.arrived_at <= datetime.now(UTC)
    assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT) == 1  # the thread's reads take what is there
    assert peek(conn.sock) == HEAD + b"hello"


def test_server_stamps_a_new_connections_request_when_it_has_arrived_whole(worker, connect):
    client = connect()
    [conn] = worker.arriving
    worker.wait_for_and_dispatch_events(timeout=0.3)
    assert worker.queued == [] and worker.nr_conns == 1  # no thread waits for a request not yet sent
    sent = datetime.now(UTC)
    client.sendall(HEAD + b"hello")
    worker.wait_for_and_dispatch_events(timeout=5)
    assert worker.queued == [conn] and sent <= conn.arrived_at <= datetime.now(UTC) and conn.data_ready


def test_server_leaves_a_new_connection_that_sends_nothing_to_the_keep_alive_timeout(worker, connect, monkeypatch):
    monkeypatch.setattr(arrival, "ARRIVAL_WAIT_SECONDS", 0.2)
    client = connect()
    [conn] = worker.arriving
    time.sleep(0.3)
    worker.murder_pending()
    assert worker.queued == [] and list(worker.pending_conns) == [conn] and not worker.arriving
    client.sendall(HEAD + b"hello")
    worker.wait_for_and_dispatch_events(timeout=5)
    assert worker.queued == [conn] and conn.arrived_at is not None and not worker.pending_conns


def test_server_queues_unstamped_a_request_whose_client_stopped_sending(worker, kept_alive_client):
    client, conn = kept_alive_client
    client.sendall(HEAD + b"he")
    worker.wait_for_and_dispatch_events(timeout=5)
    client.shutdown(socket.SHUT_WR)
    worker.wait_for_and_dispatch_events(timeout=5)
    assert worker.queued == [conn] and conn.arrived_at is None and not worker.arriving


def test_server_queues_unstamped_a_request_dripping_in_past_its_looks(worker, kept_alive_client):
    client, conn = kept_alive_client
    for byte in HEAD[:MAX_LOOKS + 1]:
        assert worker.queued == []
        client.sendall(bytes([byte]))
        worker.wait_for_and_dispatch_events(timeout=5)
    assert worker.queued == [conn] and conn.arrived_at is None and not worker.arriving


def test_server_queues_unstamped_a_request_whose_rest_is_overdue(worker, kept_alive_client, monkeypatch):
    monkeypatch.setattr(arrival, "ARRIVAL_WAIT_SECONDS", 0.2)
    client, conn = kept_alive_client
    client.sendall(HEAD)
    worker.wait_for_and_dispatch_events(timeout=5)
    worker.murder_pending()
    assert worker.queued == []
    time.sleep(0.3)
    worker.murder_pending()
    assert worker.queued == [conn] and conn.arrived_at is None and not worker.arriving
    assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT) == 1


def test_participant_whose_request_arrived_before_the_deadline_is_accepted_after_it(client, time_machine):
    participant = make_user()
    challenge = make_challenge(make_organisation(make_user()))
    arrival = challenge.closes_at - timedelta(milliseconds=1)
    time_machine.now = challenge.closes_at + timedelta(seconds=2)  # a busy server took it up after the deadline
    response = client.post(f"/api/v1/challenges/{challenge.id}/submissions", json=ENTRY,
                           headers=auth_headers(participant), environ_overrides={RECEIVED_AT: arrival})
    assert response.status_code == 201
    assert datetime.fromisoformat(response.json["submitted_at"]) == arrival
    assert count(Submission) == 1


@pytest.fixture
def one_thread_server(app):
    """gunicorn as configured, with one worker of one thread, on the suite's database; its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "WEB_CONCURRENCY": "1",
                        "GUNICORN_THREADS": "1", "PORT": str(port), "RATELIMIT_ENABLED": "0",
                        "GUNICORN_CMD_ARGS": "--keep-alive 60"}  # a loaded machine must not close the waiting one
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _kept_alive(port: int) -> http.client.HTTPConnection:
    """A connection that has served a request and waits, kept alive, for the next."""
    deadline = time.monotonic() + 60  # the worker loads the whole app, scikit-learn included, when it boots
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return connection
        except OSError:
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _raw_submission(challenge, participant, chunked: bool = False) -> tuple[bytes, bytes]:
    """The head and the body of a JSON submission, as sent on the wire (the body in one chunk if `chunked`)."""
    body = json.dumps(ENTRY).encode()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (f"POST /api/v1/challenges/{challenge.id}/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {participant.token}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n")
    return head.encode(), b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if chunked else body


def _response(sock: socket.socket) -> tuple[int, dict]:
    """The status and the JSON body of the response coming on a socket."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, json.loads(response.read())


def _arrival(problem: dict) -> datetime:
    """When a 409 for a closed challenge says the request arrived."""
    return datetime.fromisoformat(re.search(r"this request arrived at (\S+)\.$", problem["detail"]).group(1))


def _stamp(answer: tuple[int, dict]) -> datetime:
    """When the submission of a 201 was stamped."""
    assert answer[0] == 201, answer
    return datetime.fromisoformat(answer[1]["submitted_at"])


def test_participants_queued_behind_a_busy_thread_are_judged_by_when_their_last_byte_arrived(
        app, one_thread_server):
    port = one_thread_server
    slow, prompt, fresh, split, late = (make_user() for _ in range(5))
    _kept_alive(port).close()  # the worker is up
    challenge = make_challenge(make_organisation(make_user()), closes_at=datetime.now(UTC) + timedelta(seconds=4))
    whole, in_two = _kept_alive(port), _kept_alive(port)
    (slow_head, slow_body), (split_head, split_body), (late_head, late_body) = (
        _raw_submission(challenge, slow, chunked=True), _raw_submission(challenge, split),
        _raw_submission(challenge, late))
    with (socket.create_connection(("127.0.0.1", port), timeout=30) as busy,
          socket.create_connection(("127.0.0.1", port), timeout=30) as new,
          socket.create_connection(("127.0.0.1", port), timeout=30) as body_late):
        busy.sendall(slow_head + slow_body[:10])  # a chunked body is read by a thread: the only one, until it ends
        time.sleep(0.3)
        sent = datetime.now(UTC)
        whole.sock.sendall(b"".join(_raw_submission(challenge, prompt)))  # head and body in one write
        new.sendall(b"".join(_raw_submission(challenge, fresh)))  # the first request of a new connection
        in_two.sock.sendall(split_head)  # head and body in two writes
        time.sleep(0.3)
        split_sent = datetime.now(UTC)
        in_two.sock.sendall(split_body)
        body_late.sendall(late_head)
        time.sleep(max((challenge.closes_at - datetime.now(UTC)).total_seconds(), 0) + 0.3)
        late_sent = datetime.now(UTC)
        body_late.sendall(late_body)  # the head came before the deadline, the last byte after it
        busy.sendall(slow_body[10:])  # and so did this one's; the thread then serves the others
        answers = [_response(sock) for sock in (busy, whole.sock, new, in_two.sock, body_late)]
    whole.close()
    in_two.close()
    (busy_status, busy_problem), accepted_whole, accepted_new, accepted_split, (late_status, late_problem) = answers
    assert busy_status == 409 and _arrival(busy_problem) >= late_sent
    assert sent <= _stamp(accepted_whole) < challenge.closes_at
    assert sent <= _stamp(accepted_new) < challenge.closes_at
    assert split_sent <= _stamp(accepted_split) < challenge.closes_at  # by its body, not when the thread got to it
    assert late_status == 409 and _arrival(late_problem) >= late_sent
    assert count(Submission) == 3
