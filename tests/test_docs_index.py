"""The front door: `/` answers a JSON index, and `/docs` is served whole from this server, in production too."""
import re

import pytest

from challenges import create_app
from challenges.extensions import db
from config import ProductionConfig

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def test_anonymous_gets_index_with_links_to_docs_and_spec(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == {"name": "challenges", "version": "v1", "docs": "/docs", "openapi": "/openapi.json"}
    assert response.headers["X-Frame-Options"] == "DENY"


def test_anonymous_follows_index_links(client):
    index = client.get("/").json
    docs, spec = client.get(index["docs"]), client.get(index["openapi"])
    assert docs.status_code == 200 and docs.mimetype == "text/html"
    assert spec.status_code == 200 and spec.json["openapi"].startswith("3.")


def test_anonymous_posts_to_index_gets_405_with_allow(client):
    response = client.post("/", json={})
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert response.json["status"] == 405 and "GET" in response.headers["Allow"]


def test_anonymous_reads_index_in_spec(client):
    spec = client.get("/openapi.json").json
    operation = spec["paths"]["/"]["get"]
    assert operation["summary"].startswith("The service's name and API version")
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IndexOut"}
    assert set(spec["components"]["schemas"]["IndexOut"]["properties"]) == {"name", "version", "docs", "openapi"}
    assert not any(path.startswith("/docs") for path in spec["paths"])  # the page is for browsers, not an operation


def test_anonymous_gets_docs_page_naming_only_this_server(client):
    response = client.get("/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>challenges API</title>" in page
    assert "//" not in page  # no http://, https:// nor protocol-relative address: every file comes from here
    assert "<script>" not in page  # no inline script: the policy below allows none
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"


def test_anonymous_gets_every_asset_the_docs_page_names(client):
    assets = ASSET.findall(client.get("/docs").get_data(as_text=True))
    assert len(assets) == 5 and all(asset.startswith("/") for asset in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["X-Content-Type-Options"] == "nosniff", asset
        assert response.mimetype in ("text/css", "text/javascript", "image/png"), asset
        response.close()


def test_anonymous_reads_swagger_ui_licence(client):
    response = client.get("/docs/swagger-ui/LICENSE")
    assert response.status_code == 200 and b"Apache License, Version 2.0" in response.data
    response.close()


@pytest.mark.parametrize("path", ["/docs/swagger-ui/nothing.js", "/docs/swagger-ui/../../config/__init__.py",
                                  "/docs/swagger-ui/%2e%2e/flask_swagger_ui.py", "/static/../wsgi.py", "/docs/"])
def test_anonymous_asks_for_missing_docs_asset_gets_404_problem(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_production_serves_index_and_docs(app):
    settings = type("Production", (ProductionConfig,), {
        "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": False})  # the first app with limits on fixes the process's limiter: not this one
    production = create_app(settings)
    try:
        client = production.test_client()
        assert client.get("/").json["docs"] == "/docs"
        docs = client.get("/docs")
        assert docs.status_code == 200 and "Content-Security-Policy" in docs.headers
        bundle = client.get("/docs/swagger-ui/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and bundle.mimetype == "text/javascript"
        bundle.close()
    finally:
        with production.app_context():
            db.engine.dispose()
