"""Command-line tasks: create-admin and seed-demo, and demo data kept out of production."""
import subprocess

import pytest

from challenges import create_app
from challenges.extensions import db, limiter
from challenges.models import AuditEntry, Challenge, Organisation, Submission, User
from config import ROOT, ProductionConfig
from tests.factories import count, make_user


def test_operator_creates_admin_from_stdin_and_admin_signs_in(app, client):
    result = app.test_cli_runner().invoke(args=["create-admin", "Root@Example.com", "--password-stdin"],
                                          input="a very long password\n")
    assert result.exit_code == 0, result.output
    token = client.post("/api/v1/tokens", json={"email": "root@example.com", "password": "a very long password"})
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json['token']}"}).json
    assert me["is_admin"] is True
    assert count(AuditEntry) == 1


def test_operator_creates_admin_at_prompt(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "root@example.com"],
                                          input="a very long password\na very long password\n")
    assert result.exit_code == 0, result.output
    assert count(User) == 1


def test_operator_creates_admin_with_short_password_fails(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "root@example.com", "--password-stdin"],
                                          input="short\n")
    assert result.exit_code != 0
    assert count(User) == 0


def test_operator_seeds_demo_twice_and_gets_one_set(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "owner@demo.example" in first.output
    counts = [count(model) for model in (User, Organisation, Challenge, Submission)]
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert [count(model) for model in (User, Organisation, Challenge, Submission)] == counts
    phases = {c["phase"] for c in client.get("/api/v1/challenges?limit=100").json["items"]}
    assert phases == {"upcoming", "open", "closed", "finalised"}


@pytest.fixture
def production(app):
    """An app with the production settings on the suite's database."""

    class Production(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SECRET_KEY = "a production secret key of at least 32 characters"
        RATELIMIT_ENABLED = False

    made = create_app(Production)
    yield made
    limiter.enabled = app.config["RATELIMIT_ENABLED"]  # one limiter per process: leave it as the suite had it
    with made.app_context():
        db.engine.dispose()


def test_operator_seeds_demo_in_production_is_refused_and_creates_nothing(production):
    result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "development only" in result.output
    assert count(User) == 0


def test_demo_admin_cannot_sign_in_or_use_a_token_in_production(app, production):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0  # seeded before going live
    demo_admin = {"email": "admin@demo.example", "password": "demo-password"}
    token = app.test_client().post("/api/v1/tokens", json=demo_admin).json["token"]
    live = production.test_client()
    refused = live.post("/api/v1/tokens", json=demo_admin)
    assert refused.status_code == 401
    assert refused.json["detail"] == "The email or the password is wrong."
    assert live.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert live.get("/api/v1/admin/moderation", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_real_account_signs_in_in_production(production):
    user = make_user()
    answer = production.test_client().post("/api/v1/tokens", json={"email": user.email, "password": user.password})
    assert answer.status_code == 201
    me = production.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['token']}"})
    assert me.status_code == 200 and me.json["id"] == user.id


@pytest.mark.parametrize(("environment", "seeds"), [("development", True), ("production", False)])
def test_make_run_seeds_demo_data_in_development_only(environment, seeds):
    plan = subprocess.run(["make", "-n", "run", f"CHALLENGES_ENV={environment}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    assert ("seed-demo" in plan) is seeds
    assert "gunicorn" in plan
