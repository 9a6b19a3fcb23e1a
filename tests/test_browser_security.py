"""What browsers rely on: HSTS on HTTPS answers only, and CORS for the configured origins only."""
import pytest

from challenges import create_app
from challenges.extensions import db
from config import TestConfig

ORIGIN = "https://app.example"


@pytest.fixture
def configured(app):
    """Builds another app on the same database with some settings changed."""
    made = []

    def build(**settings):
        made.append(create_app(type("Configured", (TestConfig,), {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **settings})))
        return made[-1].test_client()

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_https_answer_carries_hsts(client):
    response = client.get("/healthz", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_answer_carries_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_https_at_the_proxy_carries_hsts_when_the_proxy_is_trusted(configured):
    trusted, untrusted = configured(PROXY_COUNT=1), configured()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    assert "Strict-Transport-Security" in trusted.get("/healthz", headers=headers).headers
    assert "Strict-Transport-Security" not in untrusted.get("/healthz", headers=headers).headers


def test_operator_switches_hsts_off(configured):
    client = configured(HSTS_SECONDS=0)
    assert "Strict-Transport-Security" not in client.get("/healthz", base_url="https://localhost").headers


def test_configured_origin_gets_cors_headers_on_preflight_and_answer(configured):
    client = configured(CORS_ORIGINS=[ORIGIN])
    preflight = client.options("/api/v1/challenges", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key"})
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert {"authorization", "content-type", "idempotency-key"} <= {
        h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    answer = client.get("/api/v1/challenges", headers={"Origin": ORIGIN})
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in answer.headers["Access-Control-Expose-Headers"]


def test_other_origin_gets_no_cors_headers(configured):
    client = configured(CORS_ORIGINS=[ORIGIN])
    response = client.get("/api/v1/challenges", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_without_configured_origins_no_cors_headers_are_sent(client):
    response = client.get("/api/v1/challenges", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
