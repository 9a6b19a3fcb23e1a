"""Health, the spec, and headers every response carries."""
import os

import pytest


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/api/v1/challenges", "/nope"])
def test_anonymous_gets_any_path_with_security_headers(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Server" not in response.headers or "/" not in response.headers["Server"]


def test_anonymous_reads_health_probes(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    redis = "ok" if os.environ.get("TEST_REDIS_URL") else "not configured"  # the suite's read cache, when given
    assert ready.status_code == 200
    assert ready.json == {"status": "ok", "checks": {
        "database": {"status": "ok"}, "redis": {"status": redis}, "storage": {"status": "ok"}}}


def test_anonymous_reads_openapi_spec_with_every_core_path(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/users", "/api/v1/tokens", "/api/v1/me", "/api/v1/organisations/{organisation_id}/audit",
                 "/api/v1/challenges/{challenge_id}/publish", "/api/v1/submissions/{submission_id}/withdraw",
                 "/api/v1/challenges/{challenge_id}/awards", "/api/v1/awards/{award_id}/payout"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]


def test_anonymous_wrong_method_gets_405_with_allow(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_anonymous_unknown_path_gets_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["status"] == 404 and response.json["title"]


def test_anonymous_posts_wrong_media_type_gets_401_first(client):
    response = client.post("/api/v1/challenges", data="title=x", content_type="text/plain")
    assert response.status_code == 401


def test_anonymous_queries_with_nul_character_gets_422(client):
    response = client.get("/api/v1/challenges?q=a%00b")
    assert response.status_code == 422 and "q" in response.json["errors"]
