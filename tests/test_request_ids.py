"""Request ids: a sane X-Request-ID is kept, anything else replaced, and every answer carries one."""
import re

import pytest

from challenges import create_app
from challenges.extensions import db
from config import TestConfig
from tests.factories import auth_headers, make_user

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def own_app(app):
    """Builds another app on the same database with these settings (and a route that fails); cleans up after."""
    made = []

    def build(**settings):
        other = create_app(type("Own", (TestConfig,), {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]} | settings))
        other.add_url_rule("/fails", "fails", lambda: 1 / 0)
        made.append(other)
        return other.test_client()

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("given", ["abc", "0f8fad5b-d9cb-469f-a165-70867728950e", "edge.proxy_7-x", "a" * 128])
def test_caller_sends_sane_request_id_gets_it_back(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["X-Request-ID"] == given


def test_caller_sends_no_request_id_gets_a_new_one_each_time(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.status_code == second.status_code == 200
    assert MADE.fullmatch(first.headers["X-Request-ID"]) and MADE.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("given", ["", "a" * 129, "has space", "semi;colon", "quote\"d", "tab\there", "naïve",
                                   "<script>", "a,b"])
def test_caller_sends_unsafe_request_id_gets_a_new_one_instead(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert MADE.fullmatch(response.headers["X-Request-ID"])


@pytest.mark.parametrize("method, path, headers, status", [
    ("GET", "/api/v1/challenges/999999", {}, 404),
    ("GET", "/nowhere", {}, 404),
    ("DELETE", "/healthz", {}, 405),
    ("GET", "/api/v1/me", {"Authorization": "Bearer wrong"}, 401),
    ("POST", "/api/v1/organisations", {"Content-Type": "application/json"}, 401),
])
def test_caller_gets_request_id_on_error_answers(client, method, path, headers, status):
    response = client.open(path, method=method, headers=headers | {"X-Request-ID": "trace-1"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json" and response.json["status"] == status
    assert response.headers["X-Request-ID"] == "trace-1"


def test_caller_gets_request_id_on_unexpected_error(own_app):
    response = own_app().get("/fails", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.json["detail"] == "Something went wrong on our side."
    assert response.headers["X-Request-ID"] == "trace-500"


def test_signed_in_user_gets_request_id_on_success(client):
    user = make_user()
    response = client.get("/api/v1/me", headers=auth_headers(user) | {"X-Request-ID": "me-1"})
    assert response.status_code == 200 and response.json["id"] == user.id
    assert response.headers["X-Request-ID"] == "me-1"


def test_browser_may_send_and_read_request_id_across_origins(own_app):
    client = own_app(CORS_ORIGINS=["https://app.example"])
    origin = {"Origin": "https://app.example"}
    preflight = client.options("/api/v1/challenges", headers=origin | {
        "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Request-ID"})
    assert preflight.status_code == 200
    assert "x-request-id" in preflight.headers["Access-Control-Allow-Headers"].lower()
    response = client.get("/api/v1/challenges", headers=origin | {"X-Request-ID": "browser-1"})
    assert response.status_code == 200 and response.json["items"] == []
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
    assert response.headers["X-Request-ID"] == "browser-1"
