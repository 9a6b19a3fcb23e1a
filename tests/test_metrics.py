"""Prometheus metrics: /metrics in the text format, guarded by METRICS_TOKEN, counting what the product did."""
import io
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from prometheus_client import REGISTRY, CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from challenges import create_app, jobs
from challenges.extensions import db, limiter
from challenges.models import Evaluation
from challenges.telemetry.counters import count_on_commit
from config import TestConfig
from tests.factories import auth_headers, make_challenge, make_organisation, make_user
from tests.workers import queued_app

API = "/api/v1"
REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def value(name: str, **labels) -> float:
    """A sample of this process's metrics; 0 when the series does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client, headers=None) -> dict:
    """GET /metrics, parsed: {(sample name, frozenset of labels): value}."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.get_data(as_text=True))


def parse(text: str) -> dict:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def free_port() -> int:
    """A port on 127.0.0.1 with nobody listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fails() -> None:
    """A background job with a bug."""
    raise ZeroDivisionError("a bug")


@pytest.fixture
def own_app(app):
    """Builds another app on the same database with these settings; cleans up after it."""
    made = []

    def build(**settings):
        made.append(create_app(type("Own", (TestConfig,), {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]} | settings)))
        return made[-1].test_client()

    yield build
    limiter.enabled = app.config["RATELIMIT_ENABLED"]  # one limiter per process: leave it as the suite had it
    for other in made:
        with other.app_context():
            db.engine.dispose()


# The endpoint


def test_operator_scrapes_requests_counted_by_route_template_never_raw_path(client):
    assert client.get(f"{API}/challenges/424242").status_code == 404
    assert client.get(f"{API}/no/such/thing/777").status_code == 404
    assert client.open("/healthz", method="BREW").status_code == 405
    samples = scrape(client)
    route = "/api/v1/challenges/<id:challenge_id>"
    assert samples[("challenges_http_requests_total",
                    frozenset({"method": "GET", "route": route, "status": "404"}.items()))] >= 1
    assert samples[("challenges_http_requests_total",
                    frozenset({"method": "GET", "route": "unmatched", "status": "404"}.items()))] >= 1
    assert samples[("challenges_http_requests_total",
                    frozenset({"method": "other", "route": "unmatched", "status": "405"}.items()))] >= 1
    assert samples[("challenges_http_request_duration_seconds_count",
                    frozenset({"method": "GET", "route": route, "status": "404"}.items()))] >= 1
    assert not [labels for _, labels in samples if any("424242" in v or "777" in v or "BREW" in v
                                                       for _, v in labels)]


def test_operator_scrape_shows_database_pool_in_use(app):
    before = value("challenges_db_pool_checked_out")
    with app.app_context():
        assert value("challenges_db_pool_size") > 0
        db.session.execute(select(1))  # the session holds a connection until its transaction ends
        assert value("challenges_db_pool_checked_out") == before + 1
        db.session.commit()
        assert value("challenges_db_pool_checked_out") == before


def test_metrics_token_set_anonymous_or_wrong_token_gets_401(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "a-long-metrics-token")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic a-long-metrics-token"},
                    {"Authorization": "Bearer a-long-metrics-token-and-more"}, {"Authorization": "Bearer ünïcode"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json" and response.json["status"] == 401
        assert response.json["detail"] == "Reading the metrics needs 'Authorization: Bearer <METRICS_TOKEN>'."
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="challenges"'
    assert "challenges_http_requests_total" in str(scrape(client, {"Authorization": "Bearer a-long-metrics-token"}))


def test_metrics_token_unset_scrape_is_open(app, client):
    assert app.config["METRICS_TOKEN"] == ""
    assert ("challenges_db_pool_size", frozenset()) in scrape(client)


def test_scraper_asking_for_openmetrics_gets_it(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    assert response.content_type.startswith("application/openmetrics-text; version=1.0.0")
    assert response.get_data(as_text=True).endswith("# EOF\n")


def test_metrics_are_not_rate_limited_like_the_api(own_app):
    client = own_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2/minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    assert [client.get(f"{API}/challenges").status_code for _ in range(3)] == [200, 200, 429]
    assert {client.get("/metrics").status_code for _ in range(5)} == {200}


def test_metrics_post_not_allowed(client):
    response = client.post("/metrics")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


# What the product did


def test_participant_submits_counted_once_stored_and_refusal_not_counted(client):
    challenge, participant = make_challenge(make_organisation(make_user())), make_user()
    before = value("challenges_submissions_received_total", evaluation="judged")
    body = {"title": "Clean water", "body": "Sand and charcoal", "accept_terms": True}
    url = f"{API}/challenges/{challenge.id}/submissions"
    response = client.post(url, headers=auth_headers(participant), json=body)
    assert response.status_code == 201, response.json
    assert value("challenges_submissions_received_total", evaluation="judged") == before + 1
    closed = make_challenge(make_organisation(make_user()), "closed")
    refused = client.post(f"{API}/challenges/{closed.id}/submissions", headers=auth_headers(participant), json=body)
    assert refused.status_code == 409
    assert value("challenges_submissions_received_total", evaluation="judged") == before + 1


def test_newcomer_posts_spam_held_and_counted(client):
    challenge, newcomer = make_challenge(make_organisation(make_user())), make_user()
    before = value("challenges_content_held_total", object_type="submission")
    response = client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(newcomer), json={
        "title": "Proposal", "body": "Buy now! Click here for free money", "accept_terms": True})
    assert response.status_code == 201, response.json
    assert value("challenges_content_held_total", object_type="submission") == before + 1


def _csv(text: str) -> dict:
    return {"data": {"title": "Mine", "accept_terms": "true", "file": (io.BytesIO(text.encode()), "file.csv")},
            "content_type": "multipart/form-data"}


def test_participant_uploads_predictions_counted_and_its_evaluation_too(client):
    owner, participant = make_user(), make_user()
    challenge = make_challenge(make_organisation(owner), "draft", evaluation=Evaluation.SCORED, judging=None,
                               max_submissions_per_participant=None, scoring={
                                   "metric": "mae", "public_fraction": 0.5, "max_daily_submissions": 3,
                                   "final_selection_limit": 2})
    base = f"{API}/challenges/{challenge.id}"
    key = client.put(f"{base}/answer-key", headers=auth_headers(owner),
                     data={"file": (io.BytesIO(b"id,y\nr1,10\nr2,20\nr3,30\nr4,40\n"), "key.csv")},
                     content_type="multipart/form-data")
    assert key.status_code == 200, key.json
    assert client.post(f"{base}/publish", headers=auth_headers(owner)).status_code == 200
    received = value("challenges_submissions_received_total", evaluation="scored")
    scored = value("challenges_evaluations_total", status="scored")
    with client.post(f"{base}/submissions", headers=auth_headers(participant),
                     **_csv("id,y\nr1,11\nr2,22\nr3,34\nr4,48\n")) as response:
        assert response.status_code == 201, response.json
        assert response.json["evaluation"]["status"] == "pending"
    assert value("challenges_submissions_received_total", evaluation="scored") == received + 1
    assert value("challenges_evaluations_total", status="scored") == scored + 1  # scored once the answer closed


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers 204 to every POST."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def mail_server():
    """An SMTP server on 127.0.0.1 that accepts every message; its smtp:// URL."""
    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


def _submit_with_hook_and_email(app, client, monkeypatch, hook_url: str, smtp_url: str) -> None:
    """A participant submits to a challenge whose organisation has a webhook; the author is emailed a receipt."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", True)
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 3600)  # a retry's timer never fires in the test
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_url)
    owner, participant = make_user(), make_user()
    organisation = make_organisation(owner)
    hook = client.post(f"{API}/organisations/{organisation.id}/webhooks", headers=auth_headers(owner),
                       json={"url": hook_url, "events": ["submission.received"]})
    assert hook.status_code == 201, hook.json
    challenge = make_challenge(organisation)
    with client.post(f"{API}/challenges/{challenge.id}/submissions", headers=auth_headers(participant),
                     json={"title": "Clean water", "accept_terms": True}) as response:
        assert response.status_code == 201, response.json
    # the in-process relay (no Redis) has delivered the webhook and sent the email once the answer closed


def test_webhook_delivered_and_email_sent_are_counted(app, client, monkeypatch, receiver, mail_server):
    delivered, sent = value("challenges_webhook_deliveries_total", outcome="delivered"), \
        value("challenges_emails_total", outcome="sent")
    _submit_with_hook_and_email(app, client, monkeypatch, receiver.url, mail_server)
    assert value("challenges_webhook_deliveries_total", outcome="delivered") == delivered + 1
    assert value("challenges_emails_total", outcome="sent") == sent + 1


def test_webhook_and_email_failing_are_counted_as_pending_retries(app, client, monkeypatch):
    retried, waiting = value("challenges_webhook_deliveries_total", outcome="pending"), \
        value("challenges_emails_total", outcome="pending")
    nobody = free_port()
    _submit_with_hook_and_email(app, client, monkeypatch, f"http://127.0.0.1:{nobody}/hook",
                                f"smtp://127.0.0.1:{nobody}")
    assert value("challenges_webhook_deliveries_total", outcome="pending") == retried + 1
    assert value("challenges_emails_total", outcome="pending") == waiting + 1


def test_background_job_failure_is_counted(app):
    before = value("challenges_job_failures_total", job="tests.test_metrics.fails")
    with app.app_context(), pytest.raises(ZeroDivisionError):
        jobs.run("tests.test_metrics.fails")
    assert value("challenges_job_failures_total", job="tests.test_metrics.fails") == before + 1


def test_counts_wait_for_the_commit_and_vanish_with_a_rollback(app):
    counter = Counter("example", "An example.", registry=CollectorRegistry())
    with app.app_context():
        count_on_commit(counter)
        db.session.execute(select(1))
        db.session.rollback()
        assert counter._value.get() == 0
        count_on_commit(counter, 2)
        with db.session.begin_nested():  # a savepoint released is not yet a commit
            db.session.execute(select(1))
        assert counter._value.get() == 0
        db.session.commit()
        assert counter._value.get() == 2
        db.session.commit()  # a later commit does not count it again
        assert counter._value.get() == 2


# The job queue


def test_operator_scrape_shows_job_queue_depth_and_failures(app):
    with queued_app(app) as queued:
        client = queued.app.test_client()
        with queued.app.app_context():
            jobs.enqueue(fails)
            samples = scrape(client)
            assert samples[("challenges_job_queue_up", frozenset())] == 1
            assert samples[("challenges_job_queue_depth", frozenset())] == 1
            assert samples[("challenges_job_queue_failed", frozenset())] == 0
            before = value("challenges_job_failures_total", job="tests.test_metrics.fails")
            jobs.work(burst=True)
            samples = scrape(client)
        assert samples[("challenges_job_queue_depth", frozenset())] == 0
        assert samples[("challenges_job_queue_failed", frozenset())] == 1
        assert value("challenges_job_failures_total", job="tests.test_metrics.fails") == before + 1


def test_operator_scrape_with_redis_down_still_answers(own_app):
    client = own_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    samples = scrape(client)
    assert time.monotonic() - started < 5
    assert samples[("challenges_job_queue_up", frozenset())] == 0
    assert ("challenges_job_queue_depth", frozenset()) not in samples


def test_without_redis_no_queue_metrics(client):
    assert not [name for name, _ in scrape(client) if name.startswith("challenges_job_queue")]


# Under gunicorn


def _wait_until_both_workers_are_up(base: str, pool_size: int) -> None:
    """Until a scrape shows two workers' pools: each has built its app."""
    deadline = time.monotonic() + 90  # workers load the whole app, scikit-learn included, when they boot
    while time.monotonic() < deadline:
        try:
            samples = parse(requests.get(f"{base}/metrics", timeout=5).text)
            if samples.get(("challenges_db_pool_size", frozenset())) == 2 * pool_size:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn's two workers did not start")


def test_two_gunicorn_workers_metrics_add_up_and_access_lines_are_json(app, tmp_path):
    """One gunicorn run for both, since a boot takes seconds: metrics of every worker in each scrape, and the
    JSON access line of each request with its id, status, duration and user."""
    port, folder, user = free_port(), tmp_path / "prometheus", make_user()
    with app.app_context():
        one_pool = db.engine.pool.size()
    env = {name: setting for name, setting in os.environ.items() if name not in ("REDIS_URL", "METRICS_TOKEN")} | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "WEB_CONCURRENCY": "2", "PORT": str(port),
        "LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(folder), "CHALLENGES_ENV": "development"}
    with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py", "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=out, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_both_workers_are_up(base, one_pool)
        key = ("challenges_http_requests_total", frozenset({"method": "GET", "route": "/healthz",
                                                            "status": "200"}.items()))
        before = parse(requests.get(f"{base}/metrics", timeout=10).text).get(key, 0)
        for n in range(8):  # a new connection each: either worker takes it
            response = requests.get(f"{base}/healthz", headers={"Connection": "close", "X-Request-ID": f"hz-{n}"},
                                    timeout=10)
            assert response.status_code == 200 and response.headers["X-Request-ID"] == f"hz-{n}"
        me = requests.get(f"{base}/api/v1/me", headers=auth_headers(user) | {"X-Request-ID": "me-1"}, timeout=10)
        assert me.status_code == 200 and me.json()["id"] == user.id
        scrapes = [parse(requests.get(f"{base}/metrics", headers={"Connection": "close"}, timeout=10).text)
                   for _ in range(4)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert {samples[key] for samples in scrapes} == {before + 8}  # whichever worker answered the scrape
    assert {samples[("challenges_db_pool_size", frozenset())] for samples in scrapes} == {2 * one_pool}  # both pools
    access = {line["request_id"]: line for line in map(json.loads, (tmp_path / "out").read_text().splitlines())}
    for n in range(8):
        line = access[f"hz-{n}"]
        assert line.pop("time") and 0 <= line.pop("duration") < 10
        assert line == {"level": "INFO", "logger": "gunicorn.access", "message": "GET /healthz 200",
                        "request_id": f"hz-{n}", "method": "GET", "path": "/healthz", "status": 200, "user_id": None,
                        "remote_addr": "127.0.0.1"}
    assert access["me-1"]["user_id"] == user.id and access["me-1"]["path"] == "/api/v1/me"
    assert user.token not in (tmp_path / "out").read_text() + (tmp_path / "err").read_text()
    errors = [json.loads(line) for line in (tmp_path / "err").read_text().splitlines()]
    assert {"Booting worker with pid"} <= {line["message"].split(":")[0] for line in errors}
