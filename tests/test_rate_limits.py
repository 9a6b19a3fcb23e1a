"""Rate limits: 429 problem+json with Retry-After, shared by every worker (through Redis, or the database)."""
import os
import pathlib
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
import redis
import requests
from sqlalchemy import func, select

from challenges import create_app
from challenges.extensions import db, limiter
from challenges.models.accounts import SignInCounter
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
    with _two_workers(app, REDIS_URL=REDIS_URL, RATELIMIT_SIGN_IN="4/minute") as base:
        assert _guess_eight_times(base) == [401] * 4 + [429] * 4


def test_two_gunicorn_workers_without_redis_share_sign_in_counts_through_the_database(app):
    with _two_workers(app, RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="4/15 minutes") as base:
        assert _guess_eight_times(base) == [401] * 4 + [429] * 4  # not four per worker


@contextmanager
def _two_workers(app, **settings):
    """Two gunicorn workers on the test database (and nothing else shared unless REDIS_URL is given); their URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"} | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "WEB_CONCURRENCY": "2", "PORT": str(port)} | settings
    root = pathlib.Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "wsgi:app"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base)
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _guess_eight_times(base: str) -> list[int]:
    guess = {"email": "a@example.com", "password": "wrong password"}
    return [requests.post(f"{base}/api/v1/tokens", json=guess, headers={"Connection": "close"},
                          timeout=10).status_code for _ in range(8)]  # a new connection each: any worker takes it


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


def test_owner_mistyping_where_they_signed_in_before_is_not_shut_out(limited):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="3/15 minutes",
                     SIGN_IN_ATTEMPTS_PER_ACCOUNT="8/hour", PROXY_COUNT=1)
    owner, home = make_user(), "198.51.100.9"
    assert _try(client, owner.email, owner.password, home).status_code == 201
    assert [_try(client, owner.email, "typo", home).status_code for _ in range(5)] == [401] * 5  # past 3: still heard
    guesses = [_try(client, owner.email, "guess", f"203.0.113.{n}").status_code for n in range(4)]
    assert guesses == [401] * 2 + [429] * 2  # the account's 8 an hour are spent: every try at home counted too
    assert _try(client, owner.email, owner.password, home).status_code == 201


def test_guesses_from_the_owners_own_address_stay_bounded(limited, time_machine):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="3/15 minutes",
                     SIGN_IN_ATTEMPTS_PER_ACCOUNT="6/hour", PROXY_COUNT=1)
    owner, home = make_user(), "198.51.100.9"
    assert _try(client, owner.email, owner.password, home).status_code == 201
    assert [_try(client, owner.email, "guess", home).status_code for _ in range(6)] == [401] * 6
    refused = _try(client, owner.email, owner.password, home)  # someone sharing the owner's address guessed on
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.json["detail"] == "Too many failed sign-ins for this account from here; wait and try again."
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    time_machine.travel(hours=1)
    assert _try(client, owner.email, owner.password, home).status_code == 201


def test_a_worker_that_never_saw_earlier_guesses_still_counts_them(limited):
    settings = {"RATELIMIT_SIGN_IN": "100/minute", "SIGN_IN_ATTEMPTS_PER_ADDRESS": "3/15 minutes", "PROXY_COUNT": 1}
    first, second = limited(**settings), limited(**settings)
    owner = make_user()
    assert [_try(first, owner.email, "guess", "203.0.113.7").status_code for _ in range(2)] == [401] * 2
    limiter.storage.reset()  # what another process's memory holds: nothing of the first worker's guesses
    assert [_try(second, owner.email, "guess", "203.0.113.7").status_code for _ in range(2)] == [401, 429]


def test_expired_sign_in_counters_are_swept_and_hold_no_email_or_address(app, limited, time_machine):
    client = limited(RATELIMIT_SIGN_IN="100/minute", SIGN_IN_ATTEMPTS_PER_ADDRESS="2/15 minutes",
                     SIGN_IN_ATTEMPTS_PER_ACCOUNT="20/hour", PROXY_COUNT=1)
    for n in range(5):
        assert _try(client, f"someone{n}@example.com", "guess", f"203.0.113.{n}").status_code == 401
    with app.app_context():
        keys = db.session.scalars(select(SignInCounter.key)).all()
    assert len(keys) == 10 and not [key for key in keys if "@" in key or "203.0.113" in key]
    time_machine.travel(hours=1)
    assert _try(client, "late@example.com", "guess", "198.51.100.1").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInCounter)) == 2  # the late one's two


def test_with_redis_sign_in_counts_live_in_redis_and_a_success_clears_them(app, limited):
    if not REDIS_URL:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
                "RATELIMIT_SIGN_IN": "100/minute", "SIGN_IN_ATTEMPTS_PER_ADDRESS": "2/15 minutes",
                "SIGN_IN_ATTEMPTS_PER_ACCOUNT": "3/hour", "PROXY_COUNT": 1}
    first, second = limited(**settings), limited(**settings)
    owner = make_user()
    assert _try(first, owner.email, "guess", "203.0.113.7").status_code == 401
    assert _try(second, owner.email, owner.password, "203.0.113.7").status_code == 201  # clears the two
    statuses = [_try(worker, owner.email, "guess", "203.0.113.7").status_code for worker in (first, second) * 2]
    assert statuses == [401, 401, 401, 429]  # a place the owner used: the account's 3 an hour, counted afresh
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInCounter)) == 0
