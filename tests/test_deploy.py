"""The deployment files, checked as far as they can be without a container runtime: they parse, run the commands
the Makefile runs, and name only settings the code reads."""
import re
import shlex
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from config import ROOT

APP_SERVICES = ("migrate", "web", "worker")


def _make_command(target: str, program: str) -> list[str]:
    """The command `make TARGET` would run for `program`, without its .venv/bin/ prefix."""
    plan = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = [line for line in plan.splitlines() if re.search(rf"^(\S*/)?{program} ", line)][-1]  # after the migrate
    words = shlex.split(line)
    return [words[0].rpartition("/")[2], *words[1:]]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def environment() -> dict:
    lines = (ROOT / "deploy" / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def _settings_read() -> set[str]:
    """Every environment variable the settings declare."""
    from config.settings import SETTINGS

    return {setting.name for setting in SETTINGS}


def test_operator_compose_file_parses_with_the_production_services(compose):
    assert set(compose["services"]) == {"migrate", "web", "worker", "proxy", "postgres", "redis", "minio", "bucket"}
    assert compose["services"]["web"]["deploy"]["replicas"] == 2
    assert compose["services"]["postgres"]["image"] == "postgres:15"
    assert compose["services"]["redis"]["image"] == "redis:7"
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert (service["build"], service["env_file"]) == (".", ".env")
    for name in ("web", "worker"):  # migrations run once, before either starts
        assert compose["services"][name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_operator_compose_services_run_the_makefile_commands(compose):
    services = compose["services"]
    assert services["web"]["command"] == _make_command("run", "gunicorn")
    assert services["worker"]["command"] == _make_command("worker", "flask")
    assert services["migrate"]["command"] == _make_command("migrate", "flask")


def test_operator_image_serves_with_gunicorn_as_an_unprivileged_user_and_no_secret():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1)
    assert yaml.safe_load(cmd) == _make_command("run", "gunicorn")
    assert re.search(r"^USER challenges$", dockerfile, re.MULTILINE)
    assert "HOST=0.0.0.0" in dockerfile and "CHALLENGES_ENV=production" in dockerfile
    instructions = "\n".join(line for line in dockerfile.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"SECRET_KEY|PASSWORD|DATABASE_URL|AWS_", instructions)
    for needed in ("requirements.txt", "wsgi.py", "config/", "challenges/"):
        assert f"!{needed}" in (ROOT / ".dockerignore").read_text()
        assert needed in dockerfile


def test_operator_env_example_names_only_settings_the_code_reads(environment):
    read = _settings_read()
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "STORAGE_URL", "PROXY_COUNT", "WEB_CONCURRENCY"} <= read
    for name in environment:
        # The containers of PostgreSQL and MinIO read theirs; boto3 reads the AWS_* credentials.
        assert name in read or name.startswith(("POSTGRES_", "MINIO_", "AWS_")) or name == "CHALLENGES_ENV", name
    assert environment["CHALLENGES_ENV"] == "production"
    assert environment["SECRET_KEY"] == ""  # production refuses to start until one is set
    assert environment["PROXY_COUNT"] == "1"  # nginx, the one proxy of compose.yaml


def test_operator_env_example_points_at_the_compose_services(compose, environment):
    database = urlsplit(environment["DATABASE_URL"])
    assert (database.scheme, database.hostname, database.port) == ("postgresql", "postgres", 5432)
    assert (database.username, database.password, database.path) == (
        environment["POSTGRES_USER"], environment["POSTGRES_PASSWORD"], f"/{environment['POSTGRES_DB']}")
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"
    storage = urlsplit(environment["STORAGE_URL"])
    assert storage.scheme == "s3"
    assert parse_qs(storage.query)["endpoint"] == ["http://minio:9000"]
    assert f"store/{storage.netloc}" in " ".join(compose["services"]["bucket"]["command"])  # the bucket it creates
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000;" in nginx and "X-Forwarded-For" in nginx
    assert compose["services"]["proxy"]["volumes"] == ["./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro"]
