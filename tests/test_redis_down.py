"""Redis away: every call answers as it would without Redis, the work still happens, and a warning and a count say so.

Redis is really unreachable here: a port nobody listens on, or one that accepts connections and never answers.
"""
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import redis
from prometheus_client import REGISTRY
from rq import Queue
from sqlalchemy import func, select

from challenges import create_app, jobs
from challenges.extensions import db, limiter
from challenges.models import Challenge, Delivery, EvaluationStatus, Submission
from challenges.models.accounts import SignInCounter
from challenges.services import events
from config import TestConfig
from tests.factories import auth_headers, make_challenge, make_organisation, make_user, statements_sent
from tests.test_scoring_background import FORM, PREDICTIONS, expected_scores, scored_challenge, stored, upload
from tests.test_webhooks import Receiver

API = "/api/v1"
REDIS_URL = os.environ.get("TEST_REDIS_URL")
REDIS_DOWN = "Not reachable: rate limits count in each process, sign-in attempts in the database, jobs run in the " \
             "web process (or wait in the outbox for the next relay), reads come from the database."


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fallbacks(component: str) -> float:
    """The fallbacks counted so far for a component, in this process."""
    return REGISTRY.get_sample_value("challenges_redis_fallbacks_total", {"component": component}) or 0


def warnings_of(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "challenges.redis_circuit" and r.levelno == logging.WARNING and text in r.getMessage()]


@pytest.fixture
def build(app):
    """Builds apps of their own on the test database, with rate limits on; cleans up after them."""
    made = []

    def build(**settings):
        class Settings(TestConfig):
            SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
            STORAGE_URL = app.config["STORAGE_URL"]
            RATELIMIT_ENABLED = True
            RATELIMIT_KEY_PREFIX = f"test-{uuid.uuid4().hex}"
            READ_CACHE_PREFIX = f"test-read-cache:{uuid.uuid4().hex}"
            WEBHOOKS_ALLOW_PRIVATE = True
            WEBHOOK_RETRY_BASE_SECONDS = 3600  # a failed delivery's retry timer must never fire during the suite
            REDIS_URL = READ_CACHE_URL = None

        for name, value in settings.items():
            setattr(Settings, name, value)
        made.append(create_app(Settings))
        return made[-1]

    yield build
    limiter.enabled = app.config["RATELIMIT_ENABLED"]  # one limiter per process: leave it as the suite had it
    for other in made:
        with other.app_context():
            db.engine.dispose()


def on_redis(build, url: str, **settings):
    """An app whose every use of Redis (jobs, rate limits, sign-in counts, read cache) goes to `url`."""
    return build(REDIS_URL=url, RATELIMIT_STORAGE_URI=url, READ_CACHE_URL=url, **settings)


@pytest.fixture
def down(build):
    """An app whose Redis is a closed port; its test client."""
    other = on_redis(build, f"redis://127.0.0.1:{closed_port()}/5")
    return SimpleNamespace(app=other, client=other.test_client())


@contextmanager
def mute_redis():
    """A port that accepts connections and never answers, as a Redis that hangs; the connections it took."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                pass

    def taken() -> int:
        time.sleep(0.1)  # a connection is made before it is accepted: give the accepting thread its turn
        return len(held)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"redis://127.0.0.1:{listener.getsockname()[1]}/5", held=held, taken=taken)
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in [*held, listener]:
            connection.close()


@contextmanager
def redis_server(port: int):
    """A real Redis of our own on 127.0.0.1:port, from now until the block ends; a client of its database 5."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port, db=5, socket_timeout=1, socket_connect_timeout=1)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield SimpleNamespace(client=client, process=server)
    finally:
        client.close()
        server.send_signal(signal.SIGCONT)  # a server a test stopped must still hear that it should end
        server.terminate()
        server.wait(timeout=10)


def sign_up_and_in(client, email: str) -> dict:
    """Register through the API and sign in; the bearer header."""
    created = client.post(f"{API}/users", json={"email": email, "password": "a long password", "display_name": "N"})
    assert created.status_code == 201, created.json
    assert created.json["email"] == email
    signed_in = client.post(f"{API}/tokens", json={"email": email, "password": "a long password"})
    assert signed_in.status_code == 201, signed_in.json
    return {"Authorization": f"Bearer {signed_in.json['token']}"}


def register_webhook(client, owner, challenge, url: str, event: str) -> None:
    """The owner registers a webhook for one event of the challenge's organisation, through the API."""
    hook = client.post(f"{API}/organisations/{challenge.organisation_id}/webhooks", headers=auth_headers(owner),
                       json={"url": url, "events": [event]})
    assert hook.status_code == 201, hook.json
    assert hook.json["events"] == [event]


def post_and_run_jobs(client, url: str, **kwargs):
    """A POST whose after-response jobs (the in-process path) have run when it returns."""
    with client.post(url, **kwargs) as response:
        response.get_data()
    return response


# Probes


def test_operator_probes_health_while_redis_is_down_gets_200_and_readiness_degraded(down):
    alive = down.client.get("/healthz")
    assert (alive.status_code, alive.json) == (200, {"status": "ok"})
    ready = down.client.get("/readyz")
    assert ready.status_code == 200 and ready.mimetype == "application/json"
    assert ready.json == {"status": "degraded", "checks": {
        "database": {"status": "ok"}, "redis": {"status": "down", "detail": REDIS_DOWN}, "storage": {"status": "ok"}}}


def test_operator_probes_readiness_with_every_dependency_up_gets_ok(build):
    if not REDIS_URL:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    ready = on_redis(build, REDIS_URL).test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "checks": {
        "database": {"status": "ok"}, "redis": {"status": "ok"}, "storage": {"status": "ok"}}}


def test_operator_probes_readiness_without_database_gets_503_unavailable_and_liveness_200(build):
    client = build(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/none",
                   RATELIMIT_ENABLED=False).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.mimetype == "application/json"
    assert ready.json == {"status": "unavailable", "checks": {
        "database": {"status": "down", "detail": "Not reachable: calls that read or write data fail."},
        "redis": {"status": "not configured"}, "storage": {"status": "ok"}}}


def test_operator_probes_readiness_with_object_store_down_gets_200_degraded(build, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():  # no credential lookup leaves the machine
        monkeypatch.setenv(name, value)
    client = build(STORAGE_URL=f"s3://files?endpoint=http://127.0.0.1:{closed_port()}&region=us-east-1",
                   RATELIMIT_ENABLED=False).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "degraded", "checks": {
        "database": {"status": "ok"}, "redis": {"status": "not configured"},
        "storage": {"status": "down",
                    "detail": "Not reachable: file uploads and downloads fail; everything else works."}}}


def test_integrator_reads_the_readiness_report_in_the_spec(client):
    get = client.get("/openapi.json").json["paths"]["/readyz"]["get"]
    for status in ("200", "503"):
        assert get["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Readiness"}
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    assert schemas["Readiness"]["properties"]["status"]["enum"] == ["ok", "degraded", "unavailable"]
    assert schemas["DependencyCheck"]["properties"]["status"]["enum"] == ["ok", "down", "not configured"]


# Accounts and rate limits


def test_anonymous_signs_up_and_in_while_redis_is_down_and_attempts_count_in_the_database(app, down, caplog):
    before = fallbacks("sign_in_throttle")
    sign_up_and_in(down.client, "ada@example.com")
    wrong = down.client.post(f"{API}/tokens", json={"email": "ada@example.com", "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInCounter)) == 2  # this address, the account
    assert fallbacks("sign_in_throttle") - before == 5  # each attempt counts twice; the success clears one count
    assert len(warnings_of(caplog, "sign-in attempts count in the database")) == 1


def test_anonymous_signing_in_too_often_while_redis_is_down_still_gets_429(build, caplog):
    client = on_redis(build, f"redis://127.0.0.1:{closed_port()}/5", RATELIMIT_SIGN_IN="3/minute").test_client()
    before = fallbacks("rate_limits")
    guesses = [client.post(f"{API}/tokens", json={"email": "x@example.com", "password": "guess"}) for _ in range(4)]
    assert [guess.status_code for guess in guesses] == [401, 401, 401, 429]  # counted in this process meanwhile
    assert guesses[-1].mimetype == "application/problem+json" and int(guesses[-1].headers["Retry-After"]) > 0
    assert fallbacks("rate_limits") - before == 4
    assert warnings_of(caplog, "rate limits count in this process")


# Reads


def test_anonymous_and_member_list_challenges_while_redis_is_down_from_the_database(down, caplog):
    owner = make_user()
    challenge = make_challenge(make_organisation(owner))
    before = fallbacks("read_cache")
    for headers in ({}, auth_headers(owner), {}):
        listed = down.client.get(f"{API}/challenges", headers=headers)
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json["items"]] == [challenge.id]
    amended = down.client.patch(f"{API}/challenges/{challenge.id}", json={"title": "Amended"},
                                headers=auth_headers(owner))
    assert amended.status_code == 200 and amended.json["title"] == "Amended"
    assert down.client.get(f"{API}/challenges/{challenge.id}").json["title"] == "Amended"
    assert fallbacks("read_cache") - before == 4  # two anonymous lists, the change's announcement, the detail
    assert len(warnings_of(caplog, "reads are answered from the database")) == 1  # not one per request


# Writes and the jobs they cause


def test_owner_creates_and_publishes_challenge_while_redis_is_down(down):
    headers = sign_up_and_in(down.client, "olivia@example.com")
    organisation = down.client.post(f"{API}/organisations", json={"name": "Open Water Lab"}, headers=headers)
    assert organisation.status_code == 201, organisation.json
    created = down.client.post(f"{API}/challenges", headers=headers, json={
        "organisation_id": organisation.json["id"], "title": "Predict floods", "summary": "48 hours ahead",
        "closes_at": "2099-01-01T00:00:00Z",
        "prizes": [{"title": "First", "reward": {"amount": 100, "currency": "EUR"}}]})
    assert created.status_code == 201 and created.json["status"] == "draft", created.json
    published = down.client.post(f"{API}/challenges/{created.json['id']}/publish", headers=headers)
    assert published.status_code == 200
    assert (published.json["status"], published.json["phase"]) == ("published", "open")


def test_participant_submits_while_redis_is_down_and_webhook_is_delivered_in_process(app, down, caplog):
    receiver = Receiver()
    try:
        owner, participant = make_user(), make_user()
        challenge = make_challenge(make_organisation(owner))
        register_webhook(down.client, owner, challenge, receiver.url, "submission.received")
        before = fallbacks("jobs")
        submitted = post_and_run_jobs(down.client, f"{API}/challenges/{challenge.id}/submissions",
                                      headers=auth_headers(participant),
                                      json={"title": "Sand filter", "accept_terms": True})
        assert submitted.status_code == 201 and submitted.json["title"] == "Sand filter"
        with app.app_context():
            assert db.session.get(Submission, submitted.json["id"]).title == "Sand filter"
            assert db.session.scalars(select(Delivery.status)).all() == ["delivered"]
        assert receiver.types() == ["submission.received"]
        assert fallbacks("jobs") - before == 1
        assert warnings_of(caplog, "jobs run in this process after the response")
    finally:
        receiver.close()


def test_command_line_event_while_redis_is_down_waits_in_the_outbox_for_relay(app, down):
    receiver = Receiver()
    try:
        owner = make_user()
        challenge = make_challenge(make_organisation(owner))
        register_webhook(down.client, owner, challenge, receiver.url, "challenge.deadline_changed")
        with down.app.app_context():  # a command line's commit: no request, so no response to run the relay after
            events.emit("challenge.deadline_changed", db.session.get(Challenge, challenge.id))
            db.session.commit()
            assert db.session.scalars(select(Delivery.status)).all() == ["pending"]
        assert receiver.requests == []
        relayed = down.app.test_cli_runner().invoke(args=["relay"])
        assert relayed.exit_code == 0 and "Relayed what was due." in relayed.output
        assert receiver.types() == ["challenge.deadline_changed"]
        with app.app_context():
            assert db.session.scalars(select(Delivery.status)).all() == ["delivered"]
    finally:
        receiver.close()


def test_participant_uploads_predictions_while_redis_is_down_and_they_are_scored_in_process(app, down):
    participant = make_user()
    challenge = scored_challenge(down.client, make_user())
    submitted = post_and_run_jobs(down.client, challenge.submissions_url, headers=auth_headers(participant),
                                  **upload(PREDICTIONS, **FORM))
    assert submitted.status_code == 201 and submitted.json["evaluation"]["status"] == "pending", submitted.json
    evaluation = stored(app, submitted.json["id"])
    assert evaluation.status is EvaluationStatus.SCORED
    assert (evaluation.public, evaluation.private) == pytest.approx(expected_scores())


# Timeouts and the circuit


def test_anyone_calling_while_redis_hangs_waits_once_not_on_every_call(build, time_machine):
    with mute_redis() as mute:
        other = on_redis(build, mute.url, REDIS_TIMEOUT_SECONDS=0.2, REDIS_RETRY_SECONDS=5)
        client = other.test_client()
        started = time.monotonic()
        headers = sign_up_and_in(client, "grace@example.com")
        assert time.monotonic() - started < 5  # the first call waited for Redis, briefly
        tried = mute.taken()
        assert tried >= 1
        for _ in range(3):
            assert client.get(f"{API}/challenges").status_code == 200
            assert client.get(f"{API}/me", headers=headers).status_code == 200
        assert client.post(f"{API}/tokens", json={"email": "grace@example.com", "password": "nope"}).status_code == 401
        assert mute.taken() == tried  # after that first wait nothing asked Redis: no call waited for it
        time_machine.travel(seconds=6)  # the circuit lets one call try again
        assert client.get(f"{API}/challenges").status_code == 200
        assert client.get(f"{API}/challenges").status_code == 200
        assert mute.taken() == tried + 1


def test_operator_starting_redis_again_gets_it_used_again(app, build, time_machine, caplog):
    port = closed_port()
    other = on_redis(build, f"redis://127.0.0.1:{port}/5", REDIS_RETRY_SECONDS=5)
    client = other.test_client()
    owner, participant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner))
    register_webhook(client, owner, challenge, f"http://127.0.0.1:{closed_port()}/hook", "submission.received")
    wrong = {"email": participant.email, "password": "wrong password"}
    assert client.post(f"{API}/tokens", json=wrong).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInCounter)) == 2
    with redis_server(port) as started:
        time_machine.travel(seconds=6)
        caplog.clear()
        assert client.post(f"{API}/tokens", json={"email": owner.email, "password": "wrong"}).status_code == 401
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(SignInCounter)) == 2  # the new ones: in Redis
        assert len(list(started.client.scan_iter(f"*{other.config['RATELIMIT_KEY_PREFIX']}/sign-in/*"))) == 2
        assert any("answers again" in r.getMessage() for r in caplog.records if r.name == "challenges.redis_circuit")
        url = f"{API}/challenges/{challenge.id}"
        first = client.get(url)
        with statements_sent(app) as sent:
            again = client.get(url)
        assert again.status_code == 200 and again.json == first.json and sent == []  # from the read cache
        submitted = post_and_run_jobs(client, f"{url}/submissions", headers=auth_headers(participant),
                                      json={"title": "Queued", "accept_terms": True})
        assert submitted.status_code == 201
        assert Queue(jobs.QUEUE, connection=started.client).count == 1  # the relay waits there for a worker
        with app.app_context():
            assert db.session.scalars(select(Delivery.status)).all() == ["pending"]


def test_anonymous_reading_after_redis_hung_sees_the_change_made_meanwhile(build, time_machine):
    port = closed_port()
    with redis_server(port) as server:
        other = on_redis(build, f"redis://127.0.0.1:{port}/5", REDIS_TIMEOUT_SECONDS=0.2, REDIS_RETRY_SECONDS=5)
        client = other.test_client()
        owner = make_user()
        url = f"{API}/challenges/{make_challenge(make_organisation(owner)).id}"
        assert client.get(url).status_code == 200
        assert client.get(url).json["title"] != "Amended"  # kept in the read cache, which Redis keeps
        server.process.send_signal(signal.SIGSTOP)  # Redis hangs: it takes connections and answers nothing
        try:
            assert client.get(url).status_code == 200  # waits once, then the circuit leaves Redis alone
            amended = client.patch(url, json={"title": "Amended"}, headers=auth_headers(owner))
            assert amended.status_code == 200 and amended.json["title"] == "Amended"
            assert client.get(url).json["title"] == "Amended"  # from the database
        finally:
            server.process.send_signal(signal.SIGCONT)
        time_machine.travel(seconds=6)
        assert client.get(url).json["title"] == "Amended"  # the answer kept before the change is not served
        assert client.get(url).json["title"] == "Amended"
