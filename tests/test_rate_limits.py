"""Rate limits: 429 problem+json with Retry-After, shared through Redis by every worker."""
import os
import pathlib
import socket
import subprocess
import sys
import time
import uuid

import pytest
import redis
import requests

from challenges import create_app
from challenges.extensions import db, limiter
from config import TestConfig
from tests.factories import auth_headers, make_challenge, make_organisation, make_user
from tests.threads import race

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def limited(app):
    """Builds other apps on the same database with rate limits on; cleans up after them."""
    made = []

    def build(**settings):
        class Limited(TestConfig):
            SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
            RATELIMIT_ENABLED = True
            RATELIMIT_KEY_PREFIX = f"test-{uuid.uuid4().hex}"

        for name, value in settings.items():
            setattr(Limited, name, value)
        made.append(create_app(Limited))
        return made[-1].test_client()

    yield build
    limiter.enabled = app.config["RATELIMIT_ENABLED"]  # one limiter per process: leave it as the suite had it
    for other in made:
        with other.app_context():
            db.engine.dispose()


def _sign_in(client):
    return client.post("/api/v1/tokens", json={"email": "nobody@example.com", "password": "wrong password"})


def test_anonymous_signs_in_too_often_gets_429_with_retry_after(limited):
    client = limited(RATELIMIT_SIGN_IN="3/minute")
    assert [_sign_in(client).status_code for _ in range(3)] == [401] * 3
    refused = _sign_in(client)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json" and refused.json["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_participant_submits_too_often_gets_429_per_user(limited):
    client = limited(RATELIMIT_SUBMIT="2/minute")
    challenge = make_challenge(make_organisation(make_user()), max_submissions_per_participant=None)
    body = {"title": "t", "accept_terms": True}
    url = f"/api/v1/challenges/{challenge.id}/submissions"
    first, second = make_user(), make_user()
    statuses = [client.post(url, json=body, headers=auth_headers(first)).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert client.post(url, json=body, headers=auth_headers(second)).status_code == 201


def test_operator_switches_limits_off(limited):
    client = limited(RATELIMIT_ENABLED=False, RATELIMIT_SIGN_IN="1/minute")
    assert {_sign_in(client).status_code for _ in range(3)} == {401}


def test_two_workers_share_limits_through_redis(limited):
    if not REDIS_URL:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_SIGN_IN": "4/minute",
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    workers = [limited(**settings) for _ in range(2)]
    statuses = [_sign_in(workers[i % 2]).status_code for i in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]


def test_behind_one_proxy_each_client_address_is_limited_apart(limited):
    client = limited(RATELIMIT_SIGN_IN="2/minute", PROXY_COUNT=1)
    first, second = ({"X-Forwarded-For": address} for address in ("203.0.113.7", "198.51.100.9"))
    assert [client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "wrong password"},
                        headers=first).status_code for _ in range(3)] == [401, 401, 429]
    assert client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "wrong password"},
                       headers=second).status_code == 401


def test_without_trusted_proxies_forwarded_addresses_are_ignored(limited):
    client = limited(RATELIMIT_SIGN_IN="2/minute")
    statuses = [client.post("/api/v1/tokens", json={"email": "a@example.com", "password": "wrong password"},
                            headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert statuses == [401, 401, 429]  # a client cannot dodge the limit by making up addresses


def _try(client, email, password, address):
    return client.post("/api/v1/tokens", json={"email": email, "password": password},
                       headers={"X-Forwarded-For": address})


def test_attacker_guessing_from_one_address_is_slowed_and_owner_elsewhere_signs_in(limited):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="3/15 minutes", PROXY_COUNT=1)
    owner = make_user()
    assert [_try(client, owner.email, "guess", "203.0.113.7").status_code for _ in range(3)] == [401] * 3
    refused = _try(client, owner.email, owner.password, "203.0.113.7")  # even the right password waits now
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert _try(client, owner.email, owner.password, "198.51.100.9").status_code == 201


def test_attack_from_many_addresses_spares_addresses_the_owner_used_before(limited):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="100/hour",
                     SIGN_IN_ATTEMPTS_PER_ACCOUNT="5/hour", PROXY_COUNT=1)
    owner = make_user()
    assert _try(client, owner.email, owner.password, "198.51.100.9").status_code == 201  # the owner's usual place
    assert [_try(client, owner.email, "guess", f"203.0.113.{n}").status_code for n in range(4)] == [401] * 4
    assert _try(client, owner.email, owner.password, "203.0.113.99").status_code == 429  # a new place waits
    assert _try(client, owner.email, owner.password, "198.51.100.9").status_code == 201  # the owner does not


def test_unknown_email_is_slowed_like_a_real_account(limited):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="2/15 minutes", PROXY_COUNT=1)
    statuses = [_try(client, "Nobody@Example.com", "guess", "203.0.113.7").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]  # the same answers as for an account: no way to tell them apart


def test_two_gunicorn_workers_share_sign_in_limits_through_redis(app):
    if not REDIS_URL:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    redis.Redis.from_url(REDIS_URL).flushdb()  # counters of an earlier run must not count here
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
                        "RATELIMIT_SIGN_IN": "4/minute", "WEB_CONCURRENCY": "2", "PORT": str(port)}
    root = pathlib.Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "wsgi:app"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base)
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
        guess = {"email": "a@example.com", "password": "wrong password"}
        statuses = [requests.post(f"{base}/api/v1/tokens", json=guess, headers={"Connection": "close"},
                                  timeout=10).status_code for _ in range(8)]
        assert statuses == [401] * 4 + [429] * 4
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60  # workers load the whole app, scikit-learn included, when they boot
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def test_parallel_guesses_from_one_address_cannot_slip_under_the_limit(limited):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="3/15 minutes", PROXY_COUNT=1)
    owner = make_user()
    statuses = race(*[lambda: _try(client, owner.email, "guess", "203.0.113.7").status_code] * 12)
    assert sorted(statuses) == [401] * 3 + [429] * 9


def test_owner_signing_in_often_from_one_place_is_never_slowed(limited):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="3/15 minutes", PROXY_COUNT=1)
    owner = make_user()
    assert {_try(client, owner.email, owner.password, "198.51.100.9").status_code for _ in range(6)} == {201}
