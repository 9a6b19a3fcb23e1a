"""Fixtures: one app and schema per run, an empty database and the real clock for every test."""
import os
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import WSGIRequestHandler, make_server

from challenges import clock, create_app, read_cache
from challenges.extensions import db
from config import TestConfig, database_url
from tests import factories

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (PostgreSQL skipped)'}"


def _reset_schema() -> None:
    """Start from an empty database, then build the schema with the migrations."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, on PostgreSQL when TEST_DATABASE_URL is set, else on a SQLite file."""
    sqlite_path = tmp_path_factory.mktemp("db") / "test.db"
    files = tmp_path_factory.mktemp("files")

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url(POSTGRES_URL) if POSTGRES_URL else f"sqlite:///{sqlite_path}"
        STORAGE_URL = f"file://{files}"
        # With Redis, every test's anonymous reads go through the read cache: a change it misses fails them.
        READ_CACHE_URL = REDIS_URL
        READ_CACHE_PREFIX = f"test-read-cache:{uuid.uuid4().hex}"

    app = create_app(Settings)
    with app.app_context():
        _reset_schema()
    factories.bind(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(app):
    """Every test starts with empty tables and the system clock."""
    yield
    clock.set_source(None)
    with app.app_context():
        read_cache.drop_all()  # the tables are emptied below, behind the session's back
        tables = [f'"{table.name}"' for table in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:  # DELETE beats TRUNCATE on tables this small
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app):
    """A test client; requests are made outside any app context."""
    return app.test_client()


@pytest.fixture
def postgres(app):
    """Skip unless the suite runs on PostgreSQL."""
    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    return app


class TimeMachine:
    """Moves challenges.clock: tests travel in time instead of sleeping."""

    def __init__(self, start):
        self.now = start
        clock.set_source(lambda: self.now)

    def travel(self, **delta) -> None:
        """Move the clock forward (or back, with negative values)."""
        self.now += timedelta(**delta)


@pytest.fixture
def time_machine():
    """A clock frozen at a fixed moment, moved by the test."""
    return TimeMachine(datetime(2030, 1, 1, 12, 0, tzinfo=UTC))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args):  # thousands of access-log lines would bury a failure's report
        pass


@pytest.fixture
def origin(app):
    """The app served over real HTTP by a threaded werkzeug server on 127.0.0.1 for one test; its origin."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def api(postgres, origin):
    """The app on PostgreSQL, served over real HTTP for one test; its API base URL."""
    return f"{origin}/api/v1"


@pytest.fixture
def s3(app, monkeypatch):
    """A real S3-compatible HTTP server (moto), a bucket on it, and the app storing files there."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)  # moto keeps objects across servers in one process
    bucket = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket.create_bucket(Bucket="files")
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://files/uploads?endpoint={endpoint}&region=us-east-1")
    monkeypatch.setitem(app.extensions, "challenges.storage", None)  # rebuilt from STORAGE_URL, restored after
    yield bucket
    monkeypatch.setitem(app.extensions, "challenges.storage", None)
    bucket.close()
    server.stop()
