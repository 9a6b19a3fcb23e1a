"""Deadlines are judged by when a request arrived whole: not by when a busy server got round to it, and not by
when a slow body started."""
import http.client
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from challenges.arrival import RECEIVED_AT, whole_request_waiting
from challenges.models import Submission
from tests.factories import auth_headers, count, make_challenge, make_organisation, make_user

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRY = {"title": "Mine", "summary": "s", "body": "b", "accept_terms": True}


def _peek(raw: bytes) -> bool:
    """What whole_request_waiting says of a socket holding these bytes."""
    reader, writer = socket.socketpair()
    with reader, writer:
        writer.sendall(raw)
        return whole_request_waiting(reader)


@pytest.mark.parametrize("raw, whole", [
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", True),
    (b"POST /s HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", True),
    (b"POST /s HTTP/1.1\r\ncontent-length:  5 \r\n\r\nhel", False),
    (b"POST /s HTTP/1.1\r\nContent-Length: 5\r\nHost: x", False),
    (b"POST /s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", False),
    (b"POST /s HTTP/1.1\r\nContent-Length: -5\r\n\r\nhello", False),
    (b"", False),
], ids=["get", "whole-body", "half-body", "half-head", "chunked", "bad-length", "nothing"])
def test_server_peeks_whether_a_whole_request_is_waiting(raw, whole):
    assert _peek(raw) is whole


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


def _raw_submission(challenge, participant) -> tuple[bytes, bytes]:
    """The head and the body of a JSON submission, as sent on the wire."""
    body = json.dumps(ENTRY).encode()
    head = (f"POST /api/v1/challenges/{challenge.id}/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {participant.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head, body


def test_queued_request_sent_before_the_deadline_is_accepted_and_a_slow_body_finished_after_it_is_not(
        app, one_thread_server):
    prompt, slow = make_user(), make_user()
    _kept_alive(one_thread_server).close()  # the worker is up
    challenge = make_challenge(make_organisation(make_user()), closes_at=datetime.now(UTC) + timedelta(seconds=3))
    waiting = _kept_alive(one_thread_server)
    head, body = _raw_submission(challenge, slow)
    with socket.create_connection(("127.0.0.1", one_thread_server), timeout=30) as trickle:
        trickle.sendall(head + body[:5])  # the only thread now waits for the rest of this body
        time.sleep(0.3)
        sent = datetime.now(UTC)
        waiting.sock.sendall(b"".join(_raw_submission(challenge, prompt)))  # head and body in one write
        time.sleep(max((challenge.closes_at - datetime.now(UTC)).total_seconds(), 0) + 0.3)
        trickle.sendall(body[5:])  # the last byte comes after the deadline
        refused = http.client.HTTPResponse(trickle)
        refused.begin()
        problem = json.loads(refused.read())
    accepted = http.client.HTTPResponse(waiting.sock)
    accepted.begin()
    receipt = json.loads(accepted.read())
    waiting.close()
    assert refused.status == 409 and "this request arrived at" in problem["detail"]
    assert accepted.status == 201, receipt
    assert sent <= datetime.fromisoformat(receipt["submitted_at"]) < challenge.closes_at
    assert count(Submission) == 1
