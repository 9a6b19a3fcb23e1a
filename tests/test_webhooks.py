"""Webhooks: registration, signed deliveries to a real receiver, retries, redelivery, events written with changes."""
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select, text

from challenges import clock, jobs
from challenges.errors import Conflict
from challenges.extensions import db
from challenges.models import EVENT_TYPES, Challenge, Delivery, Event, IdempotencyRecord, Submission, User, Webhook
from challenges.services import addresses, announcements, outbox, secrets, submissions, webhooks
from tests.workers import queued_app
from tests.factories import (
    add_member, auth_headers, count, make_award, make_challenge, make_organisation, make_submission, make_user,
)
from tests.threads import race

API = "/api/v1"
PUBLIC = "https://93.184.215.14/hooks"  # a public address: no DNS needed, and nothing is ever sent to it
BASE = 3600  # retry base: a failed attempt starts a real timer, which must never fire while the suite runs
DELIVERY_FIELDS = {"id", "event", "event_id", "status", "attempts", "last_status_code", "last_error",
                   "next_attempt_at", "delivered_at", "created_at"}


class Receiver:
    """A real HTTP endpoint on 127.0.0.1: records every POST and answers with planned status codes (then 200)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self.requests, self.answers, self.delay, self.meanwhile = [], [], 0.0, None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(SimpleNamespace(path=self.path, headers=self.headers, body=body))
                time.sleep(receiver.delay)
                if receiver.meanwhile:  # something that happens while the sender waits for the answer
                    receiver.meanwhile()
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://{host}:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def types(self) -> list[str]:
        return [r.headers["Challenges-Event"] for r in self.requests]


def free_port() -> int:
    """A port on 127.0.0.1 with nobody listening (a receiver that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def private_ok(app, monkeypatch):
    """Let webhooks point at 127.0.0.1, where the test receivers listen; retries wait BASE seconds."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", BASE)


@pytest.fixture
def receiver(private_ok):
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def org():
    """An organisation with an owner, a manager and a judge."""
    owner, manager, judge = make_user(), make_user(), make_user()
    organisation = make_organisation(owner)
    add_member(organisation, manager, "manager")
    add_member(organisation, judge, "judge")
    return SimpleNamespace(id=organisation.id, it=organisation, owner=owner, manager=manager, judge=judge)


def call(client, method: str, path: str, user=None, json_body=None):
    """A request whose after-response jobs (the in-process relay) have run when it returns."""
    headers = auth_headers(user) if user else {}
    with client.open(API + path, method=method, headers=headers, json=json_body) as response:
        response.get_data()
    return response


def register(client, user, organisation_id: int, url: str, events=("submission.received",), **extra):
    return client.post(f"{API}/organisations/{organisation_id}/webhooks", headers=auth_headers(user) if user else {},
                       json={"url": url, "events": list(events)} | extra)


def hooked(client, org, url: str, events=EVENT_TYPES) -> dict:
    """A webhook registered through the API by the owner; its body, with the secret."""
    response = register(client, org.owner, org.id, url, events)
    assert response.status_code == 201, response.json
    return response.json


def submit(client, participant, challenge):
    return call(client, "POST", f"/challenges/{challenge.id}/submissions", participant,
                {"title": "Clean water", "summary": "Filters", "body": "Sand and charcoal", "accept_terms": True})


def deliveries(client, user, hook_id: int):
    return client.get(f"{API}/webhooks/{hook_id}/deliveries", headers=auth_headers(user))


def only_delivery(client, org, hook_id: int) -> dict:
    response = deliveries(client, org.owner, hook_id)
    assert response.status_code == 200, response.json
    [delivery] = response.json["items"]
    return delivery


def relay(app) -> None:
    with app.app_context():
        outbox.relay()


def event_types(app) -> Counter:
    with app.app_context():
        return Counter(db.session.scalars(select(Event.type)))


def at(value: str | None) -> datetime | None:
    return value and datetime.fromisoformat(value)


def verify(request, secret: str) -> dict:
    """Check a received request's signature against the secret; its parsed body."""
    parts = dict(part.split("=", 1) for part in request.headers["Challenges-Signature"].split(","))
    assert set(parts) == {"t", "v1"}
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["id"] == int(request.headers["Challenges-Delivery"])
    assert body["type"] == request.headers["Challenges-Event"]
    return body | {"t": int(parts["t"])}


# Registration


@pytest.mark.parametrize("role", ["owner", "manager", "admin"])
def test_manager_registers_webhook_secret_shown_once_never_listed(app, client, org, role):
    user = make_user(is_admin=True) if role == "admin" else getattr(org, role)
    response = register(client, user, org.id, PUBLIC,
                        ["challenge.published", "submission.received", "challenge.published"])
    assert response.status_code == 201, response.json
    body = response.json
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert body | {"id": None, "created_at": None, "secret": None} == {
        "id": None, "organisation_id": org.id, "url": PUBLIC,
        "events": ["challenge.published", "submission.received"], "created_at": None, "secret": None}
    listed = client.get(f"{API}/organisations/{org.id}/webhooks", headers=auth_headers(org.owner))
    assert listed.status_code == 200
    assert listed.json == {"items": [{k: v for k, v in body.items() if k != "secret"}], "next_cursor": None}


@pytest.mark.parametrize("who, status", [("judge", 403), ("stranger", 403), ("anonymous", 401)])
def test_non_manager_registers_or_lists_webhook_refused(client, org, who, status):
    user = {"judge": org.judge, "stranger": make_user(), "anonymous": None}[who]
    assert register(client, user, org.id, PUBLIC).status_code == status
    assert register(client, user, org.id, "ftp://bad", ["nope"]).status_code == status  # before the body is read
    headers = auth_headers(user) if user else {}
    assert client.get(f"{API}/organisations/{org.id}/webhooks", headers=headers).status_code == status
    assert count(Webhook) == 0


def test_owner_registers_webhook_in_unknown_organisation_gets_404(client, org):
    response = register(client, org.owner, org.id + 1000, PUBLIC)
    assert response.status_code == 404 and response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("body, field", [
    ({"events": ["submission.received"]}, "url"),
    ({"url": "ftp://93.184.215.14/hooks", "events": ["submission.received"]}, "url"),
    ({"url": "https://user:pass@93.184.215.14/hooks", "events": ["submission.received"]}, "url"),
    ({"url": "https://93.184.215.14/" + "a" * 2000, "events": ["submission.received"]}, "url"),
    ({"url": "", "events": ["submission.received"]}, "url"),
    ({"url": PUBLIC, "events": ["submission.eaten"]}, "events"),
    ({"url": PUBLIC, "events": []}, "events"),
    ({"url": PUBLIC, "events": "submission.received"}, "events"),
    ({"url": PUBLIC}, "events"),
    ({"url": PUBLIC, "events": ["submission.received"], "secret": "mine"}, "secret"),
])
def test_owner_registers_webhook_with_bad_body_gets_422(client, org, body, field):
    response = client.post(f"{API}/organisations/{org.id}/webhooks", headers=auth_headers(org.owner), json=body)
    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert count(Webhook) == 0


@pytest.mark.parametrize("url", [
    "http://127.0.0.1\\x.attacker.test/", "http://169.254.169.254\\x.example.com/", "http://a b.example.com/",
    "http://exa_mple.com/",
])
def test_owner_registers_webhook_whose_host_parsers_could_read_apart_gets_422(app, client, org, url):
    response = register(client, org.owner, org.id, url)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {"url": ["The URL must be http(s) with a plain host name or address."]}


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/", "http://192.168.1.1/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://2130706433/",
])
def test_owner_registers_webhook_to_private_address_gets_422(app, client, org, url):
    assert app.config["WEBHOOKS_ALLOW_PRIVATE"] is False
    response = register(client, org.owner, org.id, url)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {"url": ["The URL resolves to a loopback, private or link-local address."]}
    assert count(Webhook) == 0


@pytest.mark.parametrize("url", ["http://[::1/", "http://a]b/"])
def test_owner_registers_webhook_with_malformed_host_gets_422(client, org, url):
    response = register(client, org.owner, org.id, url)
    assert response.status_code == 422 and "url" in response.json["errors"]


@pytest.mark.parametrize("url", [
    "http://[::127.0.0.1]/", "http://[::a9fe:a9fe]/", "http://[::ffff:0:a00:1]/", "http://[2002:7f00:1::1]/",
    "http://[2002:a9fe:a9fe::1]/", "http://[64:ff9b::7f00:1]/", "http://[64:ff9b::c0a8:101]/",
    "http://[64:ff9b:1::5db8:d70e]/", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
])
def test_owner_registers_webhook_to_ipv6_form_of_private_ipv4_address_gets_422(app, client, org, url):
    response = register(client, org.owner, org.id, url)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {"url": ["The URL resolves to a loopback, private or link-local address."]}
    assert count(Webhook) == 0


@pytest.mark.parametrize("url", ["http://[2002:5db8:d70e::1]/hooks", "http://[64:ff9b::5db8:d70e]/hooks"])
def test_owner_registers_webhook_to_ipv6_form_of_public_ipv4_address_created(client, org, url):
    response = register(client, org.owner, org.id, url)
    assert (response.status_code, response.json["url"]) == (201, url)


@pytest.mark.parametrize("again", [PUBLIC, "HTTPS://93.184.215.14:443/hooks", "https://93.184.215.14/hooks#top"])
def test_manager_registers_a_url_the_organisation_already_has_gets_409(client, org, again):
    first = hooked(client, org, PUBLIC)
    response = register(client, org.manager, org.id, again, ["challenge.published"])
    assert response.status_code == 409 and response.headers["Content-Type"] == "application/problem+json"
    assert response.json["detail"] == "The organisation already has a webhook for this URL."
    listed = client.get(f"{API}/organisations/{org.id}/webhooks", headers=auth_headers(org.owner)).json["items"]
    assert [hook["id"] for hook in listed] == [first["id"]]


def test_owner_registers_another_path_or_the_same_url_in_another_organisation_created(client, org):
    hooked(client, org, PUBLIC)
    assert register(client, org.owner, org.id, PUBLIC + "?v=2").status_code == 201
    assert register(client, org.owner, make_organisation(org.owner).id, PUBLIC).status_code == 201
    assert count(Webhook) == 3


def test_owner_registers_beyond_the_organisations_allowance_gets_409_until_one_is_deleted(app, client, org,
                                                                                           monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_PER_ORGANISATION", 2)
    first, _ = hooked(client, org, PUBLIC + "/1"), hooked(client, org, PUBLIC + "/2")
    response = register(client, org.owner, org.id, PUBLIC + "/3")
    assert response.status_code == 409 and response.headers["Content-Type"] == "application/problem+json"
    assert response.json["detail"] == "An organisation may have at most 2 webhooks; delete one first."
    assert register(client, org.owner, org.id, "ftp://93.184.215.14/").status_code == 422  # the body comes first
    assert count(Webhook) == 2
    assert register(client, org.owner, make_organisation(org.owner).id, PUBLIC + "/3").status_code == 201
    assert client.delete(f"{API}/organisations/{org.id}/webhooks/{first['id']}",
                         headers=auth_headers(org.owner)).status_code == 204
    assert register(client, org.owner, org.id, PUBLIC + "/3").status_code == 201


def test_owner_deletes_webhook_and_its_deliveries(app, client, org, receiver):
    hook = hooked(client, org, f"http://127.0.0.1:{free_port()}/down")  # down: the delivery stays pending
    submit(client, make_user(), make_challenge(org.it))
    assert count(Delivery) == 1
    path = f"{API}/organisations/{org.id}/webhooks/{hook['id']}"
    assert client.delete(path, headers=auth_headers(org.judge)).status_code == 403
    other = make_organisation(org.owner)
    assert client.delete(f"{API}/organisations/{other.id}/webhooks/{hook['id']}",
                         headers=auth_headers(org.owner)).status_code == 404
    response = client.delete(path, headers=auth_headers(org.manager))
    assert (response.status_code, response.data) == (204, b"")
    assert client.get(f"{API}/organisations/{org.id}/webhooks", headers=auth_headers(org.owner)).json["items"] == []
    assert count(Webhook) == count(Delivery) == 0
    assert client.delete(path, headers=auth_headers(org.manager)).status_code == 404


def test_secret_is_stored_encrypted(app, client, org):
    hook = hooked(client, org, PUBLIC)
    with app.app_context():
        [stored] = db.session.execute(text("SELECT secret_encrypted FROM webhook")).scalars().all()
        assert hook["secret"] not in stored and hook["secret"].removeprefix("whsec_") not in stored
        assert secrets.unseal(stored) == hook["secret"]


def test_secret_registered_with_idempotency_key_is_not_stored_in_plain_text(app, client, org):
    response = client.post(f"{API}/organisations/{org.id}/webhooks", json={
        "url": PUBLIC, "events": ["submission.received"]},
        headers=auth_headers(org.owner) | {"Idempotency-Key": "hook-1"})
    assert response.status_code == 201
    with app.app_context():
        bodies = db.session.scalars(select(IdempotencyRecord.response_body)).all()
    assert not [body for body in bodies if response.json["secret"] in (body or "")]


# Deliveries to a real receiver


def test_participant_submission_is_delivered_signed_to_subscribed_webhook(app, client, org, receiver, time_machine):
    hook = hooked(client, org, receiver.url, ["submission.received"])
    challenge, participant = make_challenge(org.it), make_user()
    response = submit(client, participant, challenge)
    assert response.status_code == 201, response.json
    [request] = receiver.requests
    body = verify(request, hook["secret"])
    assert request.path == "/hook" and request.headers["Challenges-Event"] == "submission.received"
    assert body["t"] == int(time_machine.now.timestamp())
    assert at(body["created_at"]) == time_machine.now
    assert body["data"]["challenge"] | {"closes_at": None} == {
        "id": challenge.id, "organisation_id": org.id, "title": body["data"]["challenge"]["title"],
        "status": "published", "closes_at": None}
    assert body["data"]["submission"] | {"submitted_at": None} == {
        "id": response.json["id"], "challenge_id": challenge.id, "participant_id": participant.id, "team_id": None,
        "title": "Clean water", "status": "submitted", "submitted_at": None,
        "content_sha256": response.json["content_sha256"], "revision": 1}
    delivery = only_delivery(client, org, hook["id"])
    assert set(delivery) == DELIVERY_FIELDS
    assert delivery | {"event_id": None} == {
        "id": body["id"], "event": "submission.received", "event_id": None, "status": "delivered", "attempts": 1,
        "last_status_code": 200, "last_error": None, "next_attempt_at": None,
        "delivered_at": time_machine.now.isoformat(), "created_at": time_machine.now.isoformat()}


def test_webhook_gets_only_its_event_types_and_its_organisation(app, client, org, receiver):
    questions = hooked(client, org, receiver.url, ["question.asked"])
    other_org = make_organisation(make_user())
    participant = make_user()
    mine, theirs = make_challenge(org.it), make_challenge(other_org)
    assert submit(client, participant, mine).status_code == 201
    assert submit(client, participant, theirs).status_code == 201
    asked = call(client, "POST", f"/challenges/{theirs.id}/questions", participant, {"body": "Which water?"})
    assert asked.status_code == 201 and receiver.requests == []
    asked = call(client, "POST", f"/challenges/{mine.id}/questions", participant, {"body": "Which sand?"})
    assert asked.status_code == 201
    [request] = receiver.requests
    body = verify(request, questions["secret"])
    assert (body["type"], body["data"]["challenge"]["id"], body["data"]["question"]["id"]) == (
        "question.asked", mine.id, asked.json["id"])
    assert count(Delivery) == 1 and event_types(app)["submission.received"] == 2


def test_two_webhooks_each_get_the_event_signed_with_their_own_secret(client, org, receiver):
    first, second = hooked(client, org, receiver.url), hooked(client, org, receiver.url + "/two")
    assert call(client, "POST", f"/challenges/{make_challenge(org.it).id}/announcements", org.manager,
                {"title": "Hello", "body": "Welcome"}).status_code == 201
    by_path = {r.path: r for r in receiver.requests}
    assert set(by_path) == {"/hook", "/hook/two"}
    one, two = verify(by_path["/hook"], first["secret"]), verify(by_path["/hook/two"], second["secret"])
    assert one["id"] != two["id"] and one["data"] == two["data"]


# Retries


def test_delivery_answered_500_is_retried_after_backoff_with_same_id_and_body(app, client, org, receiver,
                                                                              time_machine):
    receiver.answers = [500]
    hook = hooked(client, org, receiver.url, ["submission.received"])
    assert submit(client, make_user(), make_challenge(org.it)).status_code == 201
    delivery = only_delivery(client, org, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"], delivery["last_error"]) == (
        "pending", 1, 500, "HTTP 500")
    assert at(delivery["next_attempt_at"]) == time_machine.now + timedelta(seconds=BASE)
    time_machine.travel(seconds=BASE - 1)
    relay(app)
    assert len(receiver.requests) == 1  # not due yet
    time_machine.travel(seconds=1)
    relay(app)
    first, second = receiver.requests
    assert first.headers["Challenges-Delivery"] == second.headers["Challenges-Delivery"] == str(delivery["id"])
    assert first.body == second.body
    assert verify(second, hook["secret"])["t"] == int(time_machine.now.timestamp())
    assert only_delivery(client, org, hook["id"]) | {"created_at": None} == delivery | {
        "status": "delivered", "attempts": 2, "last_status_code": 200, "last_error": None, "next_attempt_at": None,
        "delivered_at": time_machine.now.isoformat(), "created_at": None}
    relay(app)
    assert len(receiver.requests) == 2


def test_delivery_backoff_doubles_then_gives_up_after_max_attempts(app, client, org, receiver, time_machine,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 3)
    receiver.answers = [503, 503, 503, 503]
    hook = hooked(client, org, receiver.url, ["submission.received"])
    submit(client, make_user(), make_challenge(org.it))
    assert at(only_delivery(client, org, hook["id"])["next_attempt_at"]) == time_machine.now + timedelta(seconds=BASE)
    time_machine.travel(seconds=BASE)
    relay(app)
    delivery = only_delivery(client, org, hook["id"])
    assert (delivery["status"], delivery["attempts"]) == ("pending", 2)
    assert at(delivery["next_attempt_at"]) == time_machine.now + timedelta(seconds=2 * BASE)
    time_machine.travel(seconds=2 * BASE - 1)
    relay(app)
    assert len(receiver.requests) == 2
    time_machine.travel(seconds=1)
    relay(app)
    delivery = only_delivery(client, org, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"], delivery["next_attempt_at"]) == (
        "failed", 3, 503, None)
    time_machine.travel(days=30)
    relay(app)
    assert len(receiver.requests) == 3
    assert len({r.headers["Challenges-Delivery"] for r in receiver.requests}) == 1


@pytest.mark.parametrize("answer, allow, paths, code, error", [
    (302, True, ["/hook"], 302, "HTTP 302"),  # a redirect is not followed: /elsewhere is never asked
    (200, False, [], None, "The URL resolves to a loopback, private or link-local address."),  # checked again
])
def test_delivery_redirected_or_to_a_now_private_address_counts_as_failure(app, client, org, receiver, monkeypatch,
                                                                           answer, allow, paths, code, error):
    receiver.answers = [answer]
    hook = hooked(client, org, receiver.url, ["submission.received"])
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", allow)
    submit(client, make_user(), make_challenge(org.it))
    assert [r.path for r in receiver.requests] == paths
    delivery = only_delivery(client, org, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"], delivery["last_error"]) == (
        "pending", 1, code, error)


def test_delivery_whose_secret_cannot_be_unsealed_fails_alone(app, client, org, receiver, monkeypatch):
    old = hooked(client, org, receiver.url + "/old", ["announcement.posted"])
    monkeypatch.setitem(app.config, "SECRET_KEY", "rotated-secret-key")  # an operator rotates the key
    hooked(client, org, receiver.url + "/new", ["announcement.posted"])
    assert call(client, "POST", f"/challenges/{make_challenge(org.it).id}/announcements", org.owner,
                {"title": "Hello", "body": "Welcome"}).status_code == 201
    assert [r.path for r in receiver.requests] == ["/hook/new"]
    delivery = only_delivery(client, org, old["id"])
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1) and delivery["last_error"]


def test_events_while_receiver_is_down_are_all_delivered_once_when_it_is_back(app, client, org, private_ok,
                                                                              time_machine):
    port = free_port()
    hook = hooked(client, org, f"http://127.0.0.1:{port}/hook", ["submission.received"])
    challenge = make_challenge(org.it)
    ids = [submit(client, make_user(), challenge).json["id"] for _ in range(3)]
    log = deliveries(client, org.owner, hook["id"]).json["items"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("pending", 1, None)] * 3
    assert all(d["last_error"].startswith("ConnectionError") for d in log)
    server = Receiver(port)
    try:
        time_machine.travel(seconds=BASE)
        relay(app)
        relay(app)
    finally:
        server.close()
    bodies = [verify(r, hook["secret"]) for r in server.requests]
    assert sorted(b["data"]["submission"]["id"] for b in bodies) == ids
    assert sorted(b["id"] for b in bodies) == sorted(d["id"] for d in log)
    log = deliveries(client, org.owner, hook["id"]).json["items"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 2, 200)] * 3


@pytest.mark.parametrize("rebound", [
    "::ffff:10.0.0.1", "::10.0.0.1", "2002:a9fe:a9fe::1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::5db8:d70e",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
])
def test_delivery_to_a_name_now_resolving_to_an_ipv6_form_of_a_private_address_is_refused(app, client, org,
                                                                                         monkeypatch, rebound):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", BASE)
    resolves_to = ["93.184.215.14"]

    def getaddrinfo(host, port, **_):
        assert host == "hooks.example.test"
        family = socket.AF_INET6 if ":" in resolves_to[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (resolves_to[0], port))]

    monkeypatch.setattr(addresses, "socket", SimpleNamespace(
        getaddrinfo=getaddrinfo, SOCK_STREAM=socket.SOCK_STREAM, gaierror=socket.gaierror))
    hook = hooked(client, org, "https://hooks.example.test/in", ["submission.received"])
    resolves_to[0] = rebound  # the name's owner points it elsewhere after registration
    assert submit(client, make_user(), make_challenge(org.it)).status_code == 201
    delivery = only_delivery(client, org, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"], delivery["last_error"]) == (
        "pending", 1, None, "The URL resolves to a loopback, private or link-local address.")


def test_deliveries_beyond_a_destinations_share_wait_for_its_next_window_and_none_is_lost(app, client, org, receiver,
                                                                                         time_machine, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_DELIVERIES_PER_HOST", "2/hour")
    elsewhere = Receiver(host="127.0.0.2")  # another destination address has a share of its own
    try:
        hook = hooked(client, org, receiver.url, ["announcement.posted"])
        hooked(client, org, elsewhere.url, ["announcement.posted"])
        challenge = make_challenge(org.it)
        with app.app_context():  # outside a request nothing relays: the deliveries wait
            owner = db.session.get(User, org.owner.id)
            for n in range(5):
                announcements.post(owner, challenge.id, title=f"News {n}", body="More")
        relay(app)
        relay(app)
        assert (len(receiver.requests), len(elsewhere.requests)) == (2, 2)
        log = deliveries(client, org.owner, hook["id"]).json["items"]
        waiting = [(d["status"], d["attempts"], d["last_error"], at(d["next_attempt_at"])) for d in log[:3]]
        assert waiting == [("pending", 0, None, time_machine.now + timedelta(hours=1))] * 3
        time_machine.travel(hours=1)
        relay(app)
        assert (len(receiver.requests), len(elsewhere.requests)) == (4, 4)
        time_machine.travel(hours=1)
        relay(app)
    finally:
        elsewhere.close()
    for server in (receiver, elsewhere):
        ids = [r.headers["Challenges-Delivery"] for r in server.requests]
        assert len(ids) == len(set(ids)) == 5
    log = deliveries(client, org.owner, hook["id"]).json["items"]
    assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 1)] * 5


def test_webhook_deleted_while_its_delivery_is_under_way_is_skipped_quietly(app, client, org, receiver, caplog):
    hook = hooked(client, org, receiver.url, ["announcement.posted"])
    challenge = make_challenge(org.it)
    with app.app_context():
        announcements.post(db.session.get(User, org.owner.id), challenge.id, title="News", body="More")

    def delete_the_webhook():
        with app.app_context():
            webhooks.delete(db.session.get(User, org.owner.id), org.id, hook["id"])

    receiver.meanwhile = delete_the_webhook
    with caplog.at_level(logging.WARNING):
        relay(app)
        with app.app_context():  # a delivery picked by a relay, then deleted before its attempt
            assert webhooks.attempt(999_999) is None
    assert len(receiver.requests) == 1 and count(Webhook) == count(Delivery) == 0
    assert [record.getMessage() for record in caplog.records] == []


# The delivery log and redelivery


def test_manager_redelivers_a_delivery_and_receiver_gets_it_again(app, client, org, receiver):
    hook = hooked(client, org, receiver.url, ["submission.received"])
    submit(client, make_user(), make_challenge(org.it))
    delivery = only_delivery(client, org, hook["id"])
    response = call(client, "POST", f"/deliveries/{delivery['id']}/redeliver", org.manager)
    assert response.status_code == 202, response.json
    assert (response.json["id"], response.json["status"], response.json["attempts"]) == (delivery["id"], "pending", 0)
    first, second = receiver.requests
    assert first.body == second.body and second.headers["Challenges-Delivery"] == str(delivery["id"])
    verify(second, hook["secret"])
    again = only_delivery(client, org, hook["id"])
    assert (again["status"], again["attempts"], again["next_attempt_at"]) == ("delivered", 1, None)


def test_owner_redelivers_a_failed_delivery_with_a_fresh_round_of_attempts(app, client, org, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 1)
    receiver.answers = [500]
    hook = hooked(client, org, receiver.url, ["submission.received"])
    submit(client, make_user(), make_challenge(org.it))
    delivery = only_delivery(client, org, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["next_attempt_at"]) == ("failed", 1, None)
    assert call(client, "POST", f"/deliveries/{delivery['id']}/redeliver", org.owner).status_code == 202
    assert only_delivery(client, org, hook["id"])["status"] == "delivered" and len(receiver.requests) == 2


@pytest.mark.parametrize("who, status", [("judge", 403), ("other_manager", 404), ("stranger", 404),
                                         ("anonymous", 401)])
def test_non_manager_reads_log_or_redelivers_refused(app, client, org, receiver, who, status):
    hook = hooked(client, org, receiver.url, ["submission.received"])
    submit(client, make_user(), make_challenge(org.it))
    delivery = only_delivery(client, org, hook["id"])
    other_manager = make_user()
    make_organisation(other_manager)
    user = {"judge": org.judge, "other_manager": other_manager, "stranger": make_user(), "anonymous": None}[who]
    headers = auth_headers(user) if user else {}
    log = client.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=headers)
    assert log.status_code == status and "items" not in log.json
    redeliver = call(client, "POST", f"/deliveries/{delivery['id']}/redeliver", user)
    assert redeliver.status_code == status
    assert len(receiver.requests) == 1 and only_delivery(client, org, hook["id"]) == delivery


def test_manager_reads_log_or_redelivers_unknown_ids_gets_404(client, org):
    assert deliveries(client, org.manager, 999_999).status_code == 404
    assert call(client, "POST", "/deliveries/999999/redeliver", org.manager).status_code == 404


def test_manager_reads_delivery_log_newest_first_paginated(client, org, receiver):
    hook = hooked(client, org, receiver.url, ["announcement.posted"])
    challenge = make_challenge(org.it)
    for n in range(3):
        call(client, "POST", f"/challenges/{challenge.id}/announcements", org.owner, {"title": f"N{n}", "body": "."})
    first = client.get(f"{API}/webhooks/{hook['id']}/deliveries?limit=2", headers=auth_headers(org.manager))
    assert first.status_code == 200 and len(first.json["items"]) == 2 and first.json["next_cursor"]
    rest = client.get(f"{API}/webhooks/{hook['id']}/deliveries",
                      query_string={"limit": 2, "cursor": first.json["next_cursor"]}, headers=auth_headers(org.owner))
    ids = [d["id"] for d in first.json["items"] + rest.json["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3 and rest.json["next_cursor"] is None
    received = [json.loads(r.body) for r in receiver.requests]
    assert [b["data"]["announcement"]["title"] for b in received] == ["N0", "N1", "N2"]


# Events are written with their change, one per change


EXPECTED = {  # the API's event list: each change and the events it writes
    "publish": ["challenge.published"], "extend": ["challenge.deadline_changed", "announcement.posted"],
    "cancel": ["challenge.cancelled", "announcement.posted"], "finalise": ["challenge.finalised"],
    "submit": ["submission.received"], "withdraw": ["submission.withdrawn"],
    "disqualify": ["submission.disqualified"], "award": ["award.created"], "revoke": ["award.revoked"],
    "payout": ["award.paid"], "ask": ["question.asked"], "answer": ["question.answered"],
    "announce": ["announcement.posted"],
}


def arrange(change: str, org, client) -> tuple:
    """Set up one change of EXPECTED: (actor, method, path, body)."""
    phase = {"publish": "draft", "finalise": "closed", "award": "closed", "revoke": "closed",
             "payout": "finalised"}.get(change, "open")
    challenge, participant = make_challenge(org.it, phase), make_user()
    path = f"/challenges/{challenge.id}"
    if change in ("withdraw", "disqualify", "award", "revoke", "payout"):
        entry = make_submission(challenge, participant)
    if change in ("revoke", "payout"):
        award = make_award(challenge, challenge.prize_ids[0], entry, org.owner)
    match change:
        case "publish" | "finalise":
            return org.owner, "POST", f"{path}/{change}", None
        case "extend":
            return org.owner, "PATCH", path, {"closes_at": (challenge.closes_at + timedelta(days=3)).isoformat()}
        case "cancel":
            return org.manager, "POST", f"{path}/cancel", {"reason": "Funding fell through"}
        case "submit":
            return participant, "POST", f"{path}/submissions", {"title": "T", "summary": "S", "body": "B",
                                                                "accept_terms": True}
        case "withdraw":
            return participant, "POST", f"/submissions/{entry.id}/withdraw", None
        case "disqualify":
            return org.manager, "POST", f"/submissions/{entry.id}/disqualify", {"reason": "Spam"}
        case "award":
            return org.manager, "POST", f"{path}/awards", {"prize_id": challenge.prize_ids[0],
                                                           "submission_id": entry.id}
        case "revoke":
            return org.owner, "DELETE", f"{path}/awards/{award.id}", None
        case "payout":
            return org.owner, "POST", f"/awards/{award.id}/payout", {"reference": "PAY-1"}
        case "ask":
            return participant, "POST", f"{path}/questions", {"body": "Is rain water allowed?"}
        case "answer":
            asked = client.post(f"{API}{path}/questions", headers=auth_headers(participant), json={"body": "Solar?"})
            return org.manager, "POST", f"/questions/{asked.json['id']}/answer", {"body": "Yes", "official": True}
        case "announce":
            return org.owner, "POST", f"{path}/announcements", {"title": "Office hours", "body": "Friday"}


@pytest.mark.parametrize("change", list(EXPECTED))
def test_each_state_change_emits_exactly_its_events_and_delivers_them(app, client, org, receiver, change):
    expected = EXPECTED[change]
    actor, method, path, body = arrange(change, org, client)
    before = event_types(app)
    hook = hooked(client, org, receiver.url)  # every event type, registered after the arrangement
    response = call(client, method, path, actor, body)
    assert response.status_code < 300, response.json
    assert event_types(app) - before == Counter(expected)
    assert sorted(receiver.types()) == sorted(expected)
    for request in receiver.requests:
        assert verify(request, hook["secret"])["data"]["challenge"]["organisation_id"] == org.id
    assert count(Delivery) == len(expected)


def test_participant_submitting_to_closed_challenge_leaves_no_event(app, client, org, receiver):
    hooked(client, org, receiver.url)
    response = submit(client, make_user(), make_challenge(org.it, "closed"))
    assert response.status_code == 409, response.json
    assert count(Event) == count(Delivery) == count(Submission) == 0 and receiver.requests == []


def test_manager_awarding_a_taken_prize_leaves_one_award_event(app, client, org, receiver):
    challenge = make_challenge(org.it, "closed")
    entry = make_submission(challenge, make_user())
    hooked(client, org, receiver.url, ["award.created"])
    path = f"/challenges/{challenge.id}/awards"
    assert call(client, "POST", path, org.manager, {"prize_id": challenge.prize_ids[0],
                                                     "submission_id": entry.id}).status_code == 201
    other_entry = make_submission(challenge, make_user())
    assert call(client, "POST", path, org.manager, {"prize_id": challenge.prize_ids[0],
                                                     "submission_id": other_entry.id}).status_code == 409
    assert event_types(app) == Counter({"award.created": 1}) and receiver.types() == ["award.created"]


def test_change_that_rolls_back_after_its_event_leaves_no_event_and_no_delivery(app, client, org, receiver):
    hooked(client, org, receiver.url)
    challenge, participant = make_challenge(org.it), make_user()
    with app.app_context():
        actor, row = db.session.get(User, participant.id), db.session.get(Challenge, challenge.id)
        submissions.join_locked(actor, row)
        submissions.add(actor, row, clock.now(), title="Just in time")  # the event and its delivery, not committed
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1
        with pytest.raises(Conflict):  # the deadline passed meanwhile: what submit() meets in a race
            submissions.count(row, row.closes_at + timedelta(seconds=1), +1)
        db.session.rollback()
        assert outbox.RELAY_FLAG not in db.session.info
    assert count(Event) == count(Delivery) == count(Submission) == 0
    relay(app)
    assert receiver.requests == []


# Concurrency and the queue


@pytest.mark.postgres
def test_relays_running_at_once_deliver_each_delivery_exactly_once(app, postgres, client, org, receiver):
    hook = hooked(client, org, receiver.url, ["announcement.posted"])
    challenge = make_challenge(org.it)
    with app.app_context():  # outside a request nothing relays: the deliveries wait
        owner = db.session.get(User, org.owner.id)
        for n in range(8):
            announcements.post(owner, challenge.id, title=f"News {n}", body="More")
    assert count(Delivery) == 8 and receiver.requests == []
    receiver.delay = 0.05  # each POST takes a while, so the relays overlap

    def one_relay():
        with app.app_context():
            return webhooks.deliver_due()

    attempted = race(*[one_relay] * 4)
    assert sum(attempted) == 8
    ids = [r.headers["Challenges-Delivery"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 8
    log = deliveries(client, org.owner, hook["id"]).json["items"]
    assert {(d["status"], d["attempts"]) for d in log} == {("delivered", 1)}


@pytest.fixture
def queued(app, receiver):
    """An app of its own on the same database whose jobs go to RQ on TEST_REDIS_URL, flushed before and after."""
    with queued_app(app, WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOK_RETRY_BASE_SECONDS=BASE) as queued:
        yield queued


def test_with_redis_the_delivery_waits_for_an_rq_worker(queued, org, receiver):
    client = queued.app.test_client()
    hook = hooked(client, org, receiver.url, ["submission.received"])
    assert submit(client, make_user(), make_challenge(org.it)).status_code == 201
    assert receiver.requests == []  # closed, yet nothing sent from the web process
    [job] = queued.queue.get_jobs()
    assert (job.func_name, job.args) == ("challenges.jobs.run_queued", ("challenges.services.outbox.relay",))
    with queued.app.app_context():
        jobs.work(burst=True)
    [request] = receiver.requests
    assert verify(request, hook["secret"])["type"] == "submission.received"
    assert only_delivery(client, org, hook["id"])["status"] == "delivered"
    assert (queued.queue.count, queued.queue.failed_job_registry.count) == (0, 0)


def test_with_redis_commits_before_a_relay_starts_share_one_queued_relay(queued, org, receiver, monkeypatch):
    client = queued.app.test_client()
    hooked(client, org, receiver.url, ["submission.received"])
    challenge = make_challenge(org.it)
    assert [submit(client, make_user(), challenge).status_code for _ in range(3)] == [201] * 3
    assert queued.queue.count == 1
    monkeypatch.setattr(outbox, "BATCH", 2)  # so that the one relay needs a second turn
    with queued.app.app_context():
        jobs.work(burst=True)
    assert len(receiver.requests) == 3  # the one relay sent what all three commits wrote
    assert submit(client, make_user(), challenge).status_code == 201
    assert queued.queue.count == 1  # once a relay has started, the next commit queues another


@pytest.mark.postgres
def test_managers_registering_one_url_at_once_get_one_webhook(app, api, org):
    calls = [partial(requests.post, f"{api}/organisations/{org.id}/webhooks", timeout=30, headers=auth_headers(user),
                     json={"url": PUBLIC, "events": ["submission.received"]}) for user in (org.owner, org.manager) * 4]
    responses = race(*calls)
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    assert count(Webhook) == 1


@pytest.mark.postgres
def test_managers_registering_many_urls_at_once_stop_at_the_allowance(app, api, org, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_PER_ORGANISATION", 3)
    calls = [partial(requests.post, f"{api}/organisations/{org.id}/webhooks", headers=auth_headers(org.owner),
                     json={"url": f"{PUBLIC}/{n}", "events": ["submission.received"]}, timeout=30) for n in range(8)]
    responses = race(*calls)
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 5
    assert count(Webhook) == 3
