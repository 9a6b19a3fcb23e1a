"""Command-line tasks: create-admin and seed-demo."""
from challenges.models import AuditEntry, Challenge, Organisation, Submission, User
from tests.factories import count


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
