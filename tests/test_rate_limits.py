"""Rate limits: 429 problem+json with Retry-After, shared through Redis by every worker."""
import os
import uuid

import pytest

from challenges import create_app
from challenges.extensions import limiter
from config import TestConfig
from tests.factories import auth_headers, make_challenge, make_organisation, make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def _limiter_back_to_the_suite(app):
    """The limiter is one object per process: leave it as the suite's app configured it (off)."""
    yield
    limiter.enabled = app.config["RATELIMIT_ENABLED"]


def _limited_app(app, **settings):
    """Another app on the same database, with rate limits switched on."""
    class Limited(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        RATELIMIT_ENABLED = True
        RATELIMIT_KEY_PREFIX = f"test-{uuid.uuid4().hex}"

    for name, value in settings.items():
        setattr(Limited, name, value)
    return create_app(Limited)


def _sign_in(client):
    return client.post("/api/v1/tokens", json={"email": "nobody@example.com", "password": "wrong password"})


def test_anonymous_signs_in_too_often_gets_429_with_retry_after(app):
    client = _limited_app(app, RATELIMIT_SIGN_IN="3/minute").test_client()
    assert [_sign_in(client).status_code for _ in range(3)] == [401] * 3
    refused = _sign_in(client)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json" and refused.json["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_participant_submits_too_often_gets_429_per_user(app):
    client = _limited_app(app, RATELIMIT_SUBMIT="2/minute").test_client()
    challenge = make_challenge(make_organisation(make_user()), max_submissions_per_participant=None)
    body = {"title": "t", "accept_terms": True}
    url = f"/api/v1/challenges/{challenge.id}/submissions"
    first, second = make_user(), make_user()
    statuses = [client.post(url, json=body, headers=auth_headers(first)).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert client.post(url, json=body, headers=auth_headers(second)).status_code == 201


def test_operator_switches_limits_off(app):
    client = _limited_app(app, RATELIMIT_ENABLED=False, RATELIMIT_SIGN_IN="1/minute").test_client()
    assert {_sign_in(client).status_code for _ in range(3)} == {401}


def test_two_workers_share_limits_through_redis(app):
    if not REDIS_URL:
        pytest.skip("needs Redis: set TEST_REDIS_URL")
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_SIGN_IN": "4/minute",
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    workers = [_limited_app(app, **settings).test_client() for _ in range(2)]
    statuses = [_sign_in(workers[i % 2]).status_code for i in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]
